import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The platform's per-user data folder for the app: the folder Electron's app.getPath('userData')
 * gives for productName "DDI Profiler", so the desktop app, the CLI and browser mode share it.
 */
export function appDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  const home = homedir();
  const base =
    platform === 'win32'
      ? (env.APPDATA ?? join(home, 'AppData', 'Roaming'))
      : platform === 'darwin'
        ? join(home, 'Library', 'Application Support')
        : (env.XDG_CONFIG_HOME ?? join(home, '.config'));
  return join(base, 'DDI Profiler');
}
