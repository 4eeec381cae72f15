// `npm run start:browser`: the console UI for a local browser (a development tool), with USB and virtual Ledgers.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { defaultDataDir } from '../data-folder';
import { fileLogger } from '../file-log';
import { startBrowserHost } from './server';

const HELP = `Custos browser host: the console UI in a local browser. A development tool, not the desktop app.

Usage: npm run start:browser -- [options]

Options:
  --data-dir DIR   where the vault's files live (default: ${defaultDataDir()}, the desktop app's; CUSTOS_DATA_DIR overrides it)
  --port N         the port on 127.0.0.1 to serve on (default: any free port)
  --no-usb         do not look for USB Ledgers (virtual Ledgers only)
  -h, --help       print this and exit
`;

let values: { 'data-dir'?: string; port?: string; 'no-usb'?: boolean; help?: boolean };
try {
  ({ values } = parseArgs({
    options: { 'data-dir': { type: 'string' }, port: { type: 'string' }, 'no-usb': { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
  }));
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n\n${HELP}`);
  process.exit(2);
}
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const port = values.port === undefined ? undefined : Number(values.port);
if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) {
  process.stderr.write(`--port: "${values.port}" is not a port number (1 to 65535).\n`);
  process.exit(2);
}
const dataDir = path.resolve(values['data-dir'] ?? defaultDataDir());
const log = fileLogger(path.join(dataDir, 'logs'), 'custos-browser-host', { echo: true });
const host = await startBrowserHost({ dataDir, usb: !values['no-usb'], port, log });
process.stdout.write(
  `\nCustos browser host — a DEVELOPMENT TOOL, not the desktop app.\n` +
    `Vault data: ${dataDir}\n` +
    `Log: ${log.file} (rotated)\n` +
    `Open this address in a browser on this computer. It carries a token that stays valid while this host runs; keep it to yourself:\n\n  ${host.url}\n\n` +
    `Press Ctrl+C to stop.\n`,
);
const stop = () => {
  void host
    .close()
    .then(() => log.close())
    .finally(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
