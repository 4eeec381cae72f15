// Where a vault's files live by default: the OS's application-data folder, the same for the desktop app (Electron's
// userData is set to it), the CLI and the browser host, so all three open one vault; never the current folder.
import os from 'node:os';
import path from 'node:path';

/** The app's folder name inside the OS's application-data folder. */
export const APP_FOLDER = 'Custos';

/**
 * CUSTOS_DATA_DIR if set; else Windows %APPDATA%\Custos, macOS ~/Library/Application Support/Custos, and elsewhere
 * $XDG_CONFIG_HOME/Custos or ~/.config/Custos (Electron's appData on each OS).
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home: string = os.homedir()): string {
  if (env.CUSTOS_DATA_DIR) return path.resolve(env.CUSTOS_DATA_DIR);
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), APP_FOLDER);
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', APP_FOLDER);
  return path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), APP_FOLDER);
}
