import type { Command } from 'commander';
import { startBrowserServer } from '../../server/browser-server';
import { UserError } from '../../util/errors';
import { dbPathFrom } from '../context';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('browser mode: serve the app on 127.0.0.1 for boards without a display')
    .option('--port <port>', 'port to listen on (default: a random free port)')
    .action(async (opts: { port?: string }, cmd: Command) => {
      const port = opts.port === undefined ? 0 : Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new UserError(`"${opts.port}" is not a port number; use 0-65535 or omit --port.`, 'bad-port');
      }
      const server = await startBrowserServer({ dbPath: dbPathFrom(cmd), port });
      console.log(`DDI Profiler browser mode: ${server.url}`);
      console.log(`Database: ${dbPathFrom(cmd)}`);
      console.log('Listening on 127.0.0.1 only. To reach it from another machine use an SSH tunnel: ssh -L PORT:127.0.0.1:PORT board');
      const stop = async (): Promise<void> => {
        await server.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop());
      process.once('SIGTERM', () => void stop());
    });
}
