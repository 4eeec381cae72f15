// The default data folder: the OS's application-data folder on each OS (as Electron's userData), never the current one.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultDataDir } from '../../main/data-folder';

describe('the default data folder', () => {
  it('is the application-data folder of each OS, the same for the desktop app, the CLI and the browser host', () => {
    expect(defaultDataDir({}, 'linux', '/home/ada')).toBe('/home/ada/.config/Custos');
    expect(defaultDataDir({ XDG_CONFIG_HOME: '/xdg' }, 'linux', '/home/ada')).toBe('/xdg/Custos');
    expect(defaultDataDir({}, 'darwin', '/Users/ada')).toBe('/Users/ada/Library/Application Support/Custos');
    expect(defaultDataDir({ APPDATA: 'C:\\Users\\ada\\AppData\\Roaming' }, 'win32', 'C:\\Users\\ada')).toBe(path.join('C:\\Users\\ada\\AppData\\Roaming', 'Custos'));
  });

  it('CUSTOS_DATA_DIR chooses another, resolved; the current folder is never the default', () => {
    expect(defaultDataDir({ CUSTOS_DATA_DIR: 'here' }, 'linux', '/home/ada')).toBe(path.resolve('here'));
    expect(defaultDataDir({}, 'linux', '/home/ada').startsWith(process.cwd())).toBe(false);
  });
});
