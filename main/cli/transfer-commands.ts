// `custos transfer …` and `custos psbt …`: transfer requests under the wallet's policy, on the same services as the
// console. A PSBT made elsewhere becomes a request like any other; nothing is signed but an allowed request.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { base64 } from '@scure/base';
import { btcToSats, formatBtc } from '../../crypto/amounts';
import { channels, type PsbtPreviewView, type TransferView } from '../../preload/contract';
import { DeviceManager } from '../devices/manager';
import { CustosError } from '../errors';
import { hostClientFor } from '../mpc/launch-node';
import { Store } from '../store';
import { TransferService } from '../transfers/service';
import { whatItNeeds } from '../transfers/views';
import { VaultService } from '../vault';
import { attachFromSettings, type TeamSession } from '../team/team';
import { readTeamSettings } from '../team/settings';
import { teamNodes } from './signer-nodes';
import { syncHost } from '../wallets/host-anchor';
import { type CliContext, CliUsageError } from './context';
import { addCustodianDevices, openVaultDevices, type VaultDevices } from './vault-devices';
import { parse, required, resolveWallet, usbManager } from './wallet-commands';

export const TRANSFER_COMMANDS = ['create', 'list', 'show', 'approve', 'reject', 'cancel', 'sign'] as const;
export const PSBT_COMMANDS = ['import', 'sign'] as const;

/** Commands the acting person signs on their device (a request, an approval, a rejection, a cancellation). */
const ACTING = new Set(['transfer create', 'transfer approve', 'transfer reject', 'transfer cancel', 'psbt import']);

export async function runTransferCommand(group: 'transfer' | 'psbt', command: string | undefined, args: string[], ctx: CliContext): Promise<number> {
  const known: readonly string[] = group === 'transfer' ? TRANSFER_COMMANDS : PSBT_COMMANDS;
  if (command === undefined || !known.includes(command)) throw new CliUsageError(`Unknown ${group} command "${command ?? ''}": use ${known.join(', ')}.`);
  const name = `${group} ${command}`;
  // Read before anything opens: a PSBT that is not one is a usage error, whatever the vault holds.
  const psbt = group === 'psbt' ? readPsbtArg(required(ctx.psbt, '--psbt', 'the PSBT (a file, or base64)')) : null;
  mkdirSync(ctx.dataDir, { recursive: true });
  const store = Store.open(ctx.dataDir);
  // The host keeps its own pinned log and signed ledger beside the vault, as the console's services set it up.
  const host = hostClientFor(ctx.dataDir);
  let devices: VaultDevices | null = null;
  let manager: DeviceManager | null = null;
  let team: TeamSession | null = null;
  try {
    /** The acting person's device and the custodians' (--devices), opened when a command first needs them. */
    const open = async (acting: boolean): Promise<{ manager: DeviceManager; actor: () => string }> => {
      if (acting) {
        devices = await openVaultDevices(ctx, { allowNewPhrase: false, newUser: false });
        manager = devices.manager;
      } else {
        manager = ctx.virtual ? new DeviceManager() : await usbManager(ctx);
      }
      if (ctx.virtual) addCustodianDevices(ctx, manager);
      const given = devices as VaultDevices | null;
      return { manager, actor: given?.actor ?? (() => { throw new CliUsageError("--mnemonic: no request carries this PSBT yet, and making one needs the operator's device (--virtual --mnemonic \"<operator's phrase>\")."); }) };
    };
    if (ctx.nodes === true && name !== 'transfer sign') throw new CliUsageError('--nodes: only transfer sign takes it.');
    // In a team a request is signed by the custodians' signer nodes: this console coordinates, and opens no device.
    const inTeam = readTeamSettings(ctx.dataDir) !== null;
    if (ctx.nodes === true && !inTeam) throw new CliUsageError('--nodes: this console is a single desk (not joined to a team); sign without --nodes.');
    const byNodes = name === 'transfer sign' && inTeam;
    // `psbt sign` imports a PSBT no request carries yet: then it needs the operator's device (USB: the first Ledger).
    const opened = byNodes
      ? { manager: (manager = new DeviceManager()), actor: () => { throw new CliUsageError('signing through the nodes asks no device here'); } }
      : await open(ACTING.has(name) || (name === 'psbt sign' && (ctx.mnemonic !== undefined || !ctx.virtual)));
    const vault = new VaultService({ store, devices: opened.manager });
    // In a team, each change is published to the team log first (connecting at the first append: reads stay offline).
    team = attachFromSettings(ctx.dataDir, vault);
    const transfers = new TransferService({ vault, store, devices: opened.manager, host, nodes: teamNodes(ctx, vault) });
    transfers.on('progress', ({ message }) => ctx.err(`  ${message}`));
    const out = (value: unknown, text: string) => ctx.out(ctx.json ? JSON.stringify(value) : text);
    /** The host times approvals (delays) by when it first sees them: it gets the log after every change. */
    const synced = async <T>(work: Promise<T>): Promise<T> => {
      const value = await work;
      try {
        await syncHost(store, host, vault);
      } catch (err) {
        ctx.err(`custos: the MPC host did not take the latest records (it gets them with the next signing): ${(err as Error).message}`);
      }
      return value;
    };
    const status = (view: TransferView, lead = ''): number => {
      out({ request: view, needs: whatItNeeds(view) }, `${lead}${describe(view)}\n${view.id}: ${whatItNeeds(view)}.`);
      return 0;
    };
    const sign = async (view: TransferView): Promise<number> => {
      refuseUnsignable(view);
      // One way to sign per mode, chosen by the transfer service: the MPC host on a single desk, the nodes in a team.
      return printSigned(ctx, await transfers.sign(view.id));
    };
    const requestId = (ref: string | undefined) => parse(channels['transfers.get'].input, { requestId: required(ref, '<request>', 'the request id (R-n)') }).requestId;

    switch (name) {
      case 'transfer create': {
        const walletId = resolveWallet(vault, args[0]);
        const amount = btcToSats(required(ctx.amount, '--amount', 'the amount in BTC'));
        if ('problem' in amount) throw new CliUsageError(`--amount: ${amount.problem}`);
        const input = parse(channels['transfers.create'].input, {
          walletId,
          destination: required(ctx.to, '--to', 'the destination address'),
          amount: amount.sats,
          feeRate: Number(required(ctx.feeRate, '--fee-rate', 'the fee rate in sat/vB')),
          deviceId: opened.actor(),
        });
        return status(await synced(transfers.create(input)));
      }
      case 'transfer list': {
        const walletId = ctx.wallet === undefined ? undefined : resolveWallet(vault, ctx.wallet);
        const page = transfers.list({ walletId, offset: 0, limit: 500 });
        out(page, page.transfers.map(describe).join('\n') || 'No transfer requests.');
        return 0;
      }
      case 'transfer show': {
        const view = transfers.get(requestId(args[0]));
        out({ request: view, needs: whatItNeeds(view) }, showText(view));
        return 0;
      }
      case 'transfer approve':
      case 'transfer reject':
      case 'transfer cancel': {
        const input = { requestId: requestId(args[0]), deviceId: opened.actor() };
        const view = await synced(command === 'approve' ? transfers.approve(input) : command === 'reject' ? transfers.reject(input) : transfers.cancel(input));
        return status(view);
      }
      case 'transfer sign':
        return await sign(transfers.get(requestId(args[0])));
      case 'psbt import':
      case 'psbt sign': {
        const walletId = resolveWallet(vault, args[0]);
        const encoded = base64.encode(psbt as Uint8Array);
        const existing = transfers.requestForPsbt(walletId, encoded);
        if (existing !== null && command === 'import') {
          throw new CustosError('RULE_VIOLATION', `Request ${existing.id} already carries this transaction (${existing.status}): ${whatItNeeds(existing)}. Run: custos transfer show ${existing.id}`);
        }
        if (existing !== null) {
          if (existing.status === 'signed') return printSigned(ctx, existing);
          return await sign(existing);
        }
        // No request carries it: it becomes one, signed on the operator's device. No custodian is asked for anything.
        refuseUnimportable(transfers.previewPsbt(walletId, encoded));
        const view = await synced(transfers.importPsbt({ walletId, psbt: encoded, deviceId: opened.actor() }));
        return status(view, command === 'sign' ? 'No request carried this PSBT; it is now a request (nothing was signed):\n' : '');
      }
      default:
        throw new CliUsageError(`Unknown command ${name}.`);
    }
  } finally {
    await team?.close();
    await host.close();
    store.close();
    await (manager as DeviceManager | null)?.close();
  }
}

/** Signing starts only for an allowed request whose delay is over; otherwise it says, by group, what is missing. */
function refuseUnsignable(view: TransferView): void {
  if (view.status === 'ready') return;
  if (view.status === 'signed' || view.status === 'cancelled') throw new CustosError('RULE_VIOLATION', `Request ${view.id} cannot be signed: ${whatItNeeds(view)}.`);
  throw new CustosError('POLICY_DENIED', `Request ${view.id} cannot be signed: ${whatItNeeds(view)}. Nothing was signed.`);
}

/** A PSBT that cannot become a request says why before anyone's device is asked (the service checks it all again). */
function refuseUnimportable(preview: PsbtPreviewView): void {
  const [first] = preview.problems;
  if (first === undefined) return;
  const all = preview.problems.join(' ');
  throw new CustosError(preview.policy === null ? 'RULE_VIOLATION' : 'BAD_INPUT', all === first ? first : all);
}

function printSigned(ctx: CliContext, view: TransferView): number {
  const signed = view.signed;
  if (signed === null || signed.psbt === null) throw new CustosError('MPC_PROTOCOL', `Request ${view.id} came back unsigned.`);
  if (ctx.outFile !== undefined) writeFileSync(ctx.outFile, signed.psbt + '\n');
  const text = [`${view.id} signed under rule ${view.rule?.name ?? '?'}: txid ${signed.txid}`, signed.tx, ctx.outFile ? `signed PSBT written to ${ctx.outFile}` : `signed PSBT: ${signed.psbt}`].join('\n');
  ctx.out(ctx.json ? JSON.stringify({ request: view, txid: signed.txid, txHex: signed.tx, psbt: signed.psbt }) : text);
  return 0;
}

function describe(view: TransferView): string {
  return `${view.id}\t${view.status}\t${view.wallet.name}\t${formatBtc(view.amount)} to ${view.destination}\t(fee ${formatBtc(view.fee)}, by ${view.initiator.name})`;
}

function showText(view: TransferView): string {
  return [
    `Request ${view.id} of ${view.wallet.name}: ${view.status}`,
    `pays ${formatBtc(view.amount)} to ${view.destination}; fee ${formatBtc(view.fee)}`,
    `requested by ${view.initiator.name} at ${view.createdAt} under policy version ${view.policy.version}${view.rule ? `, rule ${view.rule.name}` : ''}`,
    ...view.steps.map((s) => `step ${s.index + 1}: ${s.counted.length} of ${s.required} from ${s.group.name}${s.counted.length ? ` (${s.counted.map((u) => u.name).join(', ')})` : ''}`),
    view.rejections.length ? `rejected by ${view.rejections.map((r) => r.name).join(', ')}` : '',
    `digest ${view.digest}`,
    view.signed ? `txid ${view.signed.txid}` : '',
    `${whatItNeeds(view)}.`,
  ]
    .filter(Boolean)
    .join('\n');
}

/** --psbt: a file holding a base64 PSBT, or the base64 itself. */
function readPsbtArg(ref: string): Uint8Array {
  let text = ref;
  try {
    text = readFileSync(ref, 'utf8');
  } catch {
    // Not a file: the value itself is the PSBT.
  }
  try {
    return base64.decode(text.trim());
  } catch {
    throw new CliUsageError('--psbt: not a base64 PSBT (BIP-174) nor a file holding one.');
  }
}

