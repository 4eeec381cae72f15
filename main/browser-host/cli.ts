// `npm run start:browser`: the console UI for a local browser (a development tool), with USB and virtual Ledgers.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startBrowserHost } from './server';

const { values } = parseArgs({
  options: { 'data-dir': { type: 'string', default: 'custos-data' }, port: { type: 'string' }, 'no-usb': { type: 'boolean', default: false } },
});
const dataDir = path.resolve(values['data-dir'] ?? 'custos-data');
const host = await startBrowserHost({
  dataDir,
  usb: !values['no-usb'],
  port: values.port ? Number.parseInt(values.port, 10) : undefined,
});
process.stdout.write(
  `\nCustos browser host — a DEVELOPMENT TOOL, not the desktop app.\n` +
    `Vault data: ${dataDir}\n` +
    `Open this address in a browser on this computer (it carries a one-time token):\n\n  ${host.url}\n\n` +
    `Press Ctrl+C to stop.\n`,
);
const stop = () => {
  void host.close().finally(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
