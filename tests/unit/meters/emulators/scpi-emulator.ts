/**
 * A SCPI instrument: line-based commands, an error queue, and configurable measurement replies.
 * The same logic serves a pty (ScpiSerialEmulator) and a TCP socket (ScpiTcpEmulator).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { DevicePort } from './device-port';

export class ScpiInstrument {
  identity = 'Rigol Technologies,DP832,DP8A000000,00.01.16';
  current = 0.5;
  voltage = 12.0;
  errors: string[] = [];
  received: string[] = [];
  silent = false;
  selected = 1;

  handle(line: string): string | undefined {
    const cmd = line.trim();
    this.received.push(cmd);
    if (this.silent) return undefined;
    const u = cmd.toUpperCase();
    if (u === '*IDN?') return this.identity;
    if (u === 'SYST:ERR?' || u === ':SYST:ERR?') return this.errors.shift() ?? '0,"No error"';
    if (u.startsWith(':INST:NSEL ')) {
      this.selected = Number(u.slice(11));
      return undefined;
    }
    if (u === ':MEAS:ALL? CH1' || u === ':MEAS:ALL? CH2')
      return `${this.voltage.toFixed(3)},${this.current.toFixed(4)},${(this.voltage * this.current).toFixed(4)}`;
    if (u === 'MEAS:CURR?' || u === ':MEAS:CURR?') return this.current.toExponential(5);
    if (u === 'MEAS:VOLT?' || u === ':MEAS:VOLT?') return this.voltage.toExponential(5);
    if (u === 'CONF:CURR:DC' || u === 'INIT') return undefined;
    if (u === 'FETC?' || u === 'READ?') return `+${this.current.toExponential(8)}`;
    if (u.endsWith('?')) {
      this.errors.push('-113,"Undefined header"');
      return undefined;
    }
    return undefined;
  }
}

export class ScpiSerialEmulator extends DevicePort {
  private buf = '';
  constructor(readonly instrument = new ScpiInstrument()) {
    super();
  }
  protected onBytes(data: Buffer): void {
    this.buf += data.toString('latin1');
    let i: number;
    while ((i = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 1);
      const reply = this.instrument.handle(line);
      if (reply !== undefined) this.write(reply + '\n');
    }
  }
}

export class ScpiTcpEmulator {
  private server: Server | undefined;
  private sockets = new Set<Socket>();
  port = 0;
  constructor(readonly instrument = new ScpiInstrument()) {}

  listen(port = 0): Promise<number> {
    return new Promise((resolve) => {
      const server = createServer((s) => {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
        let buf = '';
        s.on('data', (d) => {
          buf += d.toString('latin1');
          let i: number;
          while ((i = buf.indexOf('\n')) >= 0) {
            const reply = this.instrument.handle(buf.slice(0, i));
            buf = buf.slice(i + 1);
            if (reply !== undefined) s.write(reply + '\r\n');
          }
        });
      });
      this.server = server;
      server.listen(port, '127.0.0.1', () => {
        this.port = (server.address() as { port: number }).port;
        resolve(this.port);
      });
    });
  }

  /** Drops every connection and stops listening: the instrument vanished from the network. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.server = undefined;
  }
}
