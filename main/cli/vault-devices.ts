// The devices a vault command acts with: virtual Ledgers from the given phrases (screens printed, auto-answered) or USB Ledgers.
import { DeviceManager } from '../devices/manager';
import { nodeHidDiscovery } from '../devices/usb';
import { CustosError } from '../errors';
import { type CliContext, CliUsageError } from './context';

const USB_SETTLE_MS = 1_500;

export interface VaultDevices {
  manager: DeviceManager;
  /** The acting person's device. */
  actor(): string;
  /** The new user's device (user add). */
  newUser(): string;
}

function printScreens(ctx: CliContext, manager: DeviceManager, deviceId: string, whose: string): void {
  // The CLI has no console to click Approve on: it prints each screen and answers as told.
  manager.virtualLedger(deviceId).screen.setResponder((screen) => {
    ctx.err(`┌ ${whose} virtual Ledger screen — ${screen.title}`);
    for (const field of screen.fields) ctx.err(`│ ${field.label}: ${field.value.split('\n').join('\n│   ')}`);
    ctx.err(`└ ${ctx.reject ? 'rejected (--reject)' : 'approved'}`);
    return ctx.reject ? 'reject' : 'approve';
  });
}

/**
 * The custodians' virtual Ledgers for a key ceremony or a signature (--devices "phrase; phrase"): each one's screens
 * printed and answered like the acting person's. A phrase already present (the acting person's) is not added twice.
 */
export function addCustodianDevices(ctx: CliContext, manager: DeviceManager): void {
  const phrases = (ctx.devices ?? '').split(';').map((p) => p.trim().replace(/\s+/g, ' ')).filter(Boolean);
  const present = new Set(ctx.mnemonic ? [ctx.mnemonic.trim().replace(/\s+/g, ' ')] : []);
  phrases.forEach((phrase, i) => {
    if (present.has(phrase)) return;
    present.add(phrase);
    const added = manager.addVirtual({ label: `custodian ${i + 1}`, mnemonic: phrase });
    printScreens(ctx, manager, added.device.id, `custodian ${i + 1}’s`);
  });
}

/**
 * Virtual: the acting person's Ledger from --mnemonic (a new phrase, printed, only for `vault init`),
 * and the new user's from --new-user-mnemonic. USB: the first Ledger is the actor and, for `user add`,
 * the second is the new user.
 */
export async function openVaultDevices(ctx: CliContext, options: { allowNewPhrase: boolean; newUser: boolean }): Promise<VaultDevices> {
  if (ctx.virtual) {
    const manager = new DeviceManager();
    if (!ctx.mnemonic && !options.allowNewPhrase) {
      throw new CliUsageError("--mnemonic: with --virtual, give the acting person's BIP-39 phrase (their virtual Ledger).");
    }
    if (options.newUser && !ctx.newUserMnemonic) throw new CliUsageError("--new-user-mnemonic: with --virtual, give the new user's BIP-39 phrase.");
    const acting = manager.addVirtual({ label: 'acting person', mnemonic: ctx.mnemonic });
    if (!ctx.mnemonic) ctx.err(`virtual Ledger (NOT secure) created from a new mnemonic: ${acting.mnemonic}`);
    printScreens(ctx, manager, acting.device.id, 'acting person’s');
    let newUserId: string | null = null;
    if (options.newUser) {
      const added = manager.addVirtual({ label: 'new user', mnemonic: ctx.newUserMnemonic });
      printScreens(ctx, manager, added.device.id, 'new user’s');
      newUserId = added.device.id;
    }
    return {
      manager,
      actor: () => acting.device.id,
      newUser: () => newUserId ?? (() => { throw new CliUsageError('this command has no new user'); })(),
    };
  }
  const manager = new DeviceManager({ usb: nodeHidDiscovery((m) => ctx.err(m)) });
  manager.on('prompt', (prompt) => ctx.err(`→ ${prompt.instruction}\n  ${prompt.title}: ${prompt.fields.map((f) => f.value).join(' | ')}`));
  await manager.start();
  await new Promise((resolve) => setTimeout(resolve, USB_SETTLE_MS));
  const ids = manager.list().map((d) => d.id);
  const need = (i: number, who: string): string => {
    const id = ids[i];
    if (id === undefined) {
      throw new CustosError('DEVICE_NOT_FOUND', `No Ledger found for ${who}. Plug it in, unlock it and open the Ethereum app (on Linux, Ledger udev rules are needed), or use --virtual.`);
    }
    return id;
  };
  return { manager, actor: () => need(0, 'the acting person'), newUser: () => need(1, 'the new user (plug in a second Ledger)') };
}
