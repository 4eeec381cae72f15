// `custos device …`: list Ledgers, read an identity, sign a statement, on the first USB Ledger or a virtual one.
import { channels } from '../../preload/contract';
import { DeviceManager } from '../devices/manager';
import { nodeHidDiscovery } from '../devices/usb';
import { CustosError } from '../errors';
import { type CliContext, CliUsageError } from './context';

/** How long a fresh USB scan may take to report devices already plugged in. */
const USB_SETTLE_MS = 1_500;

async function openManager(ctx: CliContext): Promise<{ manager: DeviceManager; deviceId: string | null }> {
  if (ctx.virtual) {
    const manager = new DeviceManager();
    const { device, ledger, mnemonic } = manager.addVirtual({ label: 'CLI virtual Ledger', mnemonic: ctx.mnemonic });
    if (!ctx.mnemonic) ctx.err(`virtual Ledger (NOT secure) created from a new mnemonic: ${mnemonic}`);
    // The CLI has no console to click Approve on: it prints each screen and answers as told.
    ledger.screen.setResponder((screen) => {
      ctx.err(`┌ virtual Ledger screen — ${screen.title}`);
      for (const field of screen.fields) ctx.err(`│ ${field.label}: ${field.value}`);
      ctx.err(`└ ${ctx.reject ? 'rejected (--reject)' : 'approved'}`);
      return ctx.reject ? 'reject' : 'approve';
    });
    return { manager, deviceId: device.id };
  }
  const manager = new DeviceManager({ usb: nodeHidDiscovery((m) => ctx.err(m)) });
  manager.on('prompt', (prompt) => ctx.err(`→ ${prompt.instruction}\n  ${prompt.title}: ${prompt.fields.map((f) => f.value).join(' | ')}`));
  await manager.start();
  await new Promise((resolve) => setTimeout(resolve, USB_SETTLE_MS));
  return { manager, deviceId: manager.list()[0]?.id ?? null };
}

function requireDevice(deviceId: string | null): string {
  if (!deviceId) {
    throw new CustosError(
      'DEVICE_NOT_FOUND',
      'No Ledger found. Plug it in, unlock it and open the Ethereum app (on Linux, Ledger udev rules are needed), or use --virtual.',
    );
  }
  return deviceId;
}

function checkedPath(path: string): string {
  const parsed = channels['devices.identity'].input.shape.path.safeParse(path);
  if (!parsed.success) throw new CliUsageError(`--path: ${parsed.error.issues[0]?.message ?? 'invalid path'}`);
  return parsed.data;
}

export async function runDeviceCommand(command: string | undefined, ctx: CliContext): Promise<number> {
  if (command !== 'list' && command !== 'address' && command !== 'sign-message') {
    throw new CliUsageError(`Unknown device command "${command ?? ''}": use list, address or sign-message.`);
  }
  const path = checkedPath(ctx.path);
  let text: string | undefined;
  if (command === 'sign-message') {
    const parsed = channels['devices.signStatement'].input.shape.text.safeParse(ctx.text ?? '');
    if (!parsed.success) throw new CliUsageError(`--text: ${parsed.error.issues[0]?.message ?? 'invalid text'}`);
    text = parsed.data;
  }
  const { manager, deviceId } = await openManager(ctx);
  try {
    if (command === 'list') {
      const devices = await manager.refresh();
      if (ctx.json) ctx.out(JSON.stringify({ devices }));
      else if (devices.length === 0) ctx.out('No Ledger found. Plug one in, or use --virtual with the other commands.');
      else for (const d of devices) ctx.out(`${d.id}\t${d.model}\t${d.state}${d.app ? `\t${d.app.name} ${d.app.version}` : ''}${d.hint ? `\t(${d.hint})` : ''}`);
      return 0;
    }
    const id = requireDevice(deviceId);
    if (command === 'address') {
      const identity = await manager.identity(id, path, ctx.show);
      if (ctx.json) ctx.out(JSON.stringify({ path, address: identity.address, publicKey: identity.publicKey }));
      else ctx.out(`${identity.address}\n(public key ${identity.publicKey}, path ${path})`);
      return 0;
    }
    const signed = await manager.signStatement(id, path, text as string);
    if (ctx.json) ctx.out(JSON.stringify({ path, address: signed.address, text: signed.text, signature: signed.signature }));
    else ctx.out(`address   ${signed.address}\nsignature ${signed.signature}`);
    return 0;
  } finally {
    await manager.close();
  }
}
