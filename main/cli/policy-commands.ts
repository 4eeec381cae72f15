// `custos policy …` and `custos whitelist …`: a wallet's policy and the vault's whitelists from a terminal, on the same
// services as the console, so an operator can script what the console does (show, draft, simulate, propose).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { PolicyError, policyDocument, validatePolicy } from '../../crypto/policy';
import { describeLimits, describeRule, describeShareRefresh, type PolicyNames } from '../../crypto/policy/describe';
import { diffPolicies } from '../../crypto/policy/diff';
import { channels, type PolicyView, type ProposalView, type SimulationView, type WhitelistView } from '../../preload/contract';
import { DeviceManager } from '../devices/manager';
import { CustosError } from '../errors';
import { hostClientFor } from '../mpc/launch-node';
import { Store } from '../store';
import { TransferService } from '../transfers/service';
import { VaultService } from '../vault';
import { attachFromSettings, type TeamSession } from '../team/team';
import { type CliContext, CliUsageError } from './context';
import { openVaultDevices, type VaultDevices } from './vault-devices';
import { parse, required, resolveWallet } from './wallet-commands';

export const POLICY_COMMANDS = ['show', 'draft', 'simulate', 'diff', 'propose'] as const;
export const WHITELIST_COMMANDS = ['list', 'show', 'propose'] as const;

export async function runPolicyCommand(group: 'policy' | 'whitelist', command: string | undefined, args: string[], ctx: CliContext): Promise<number> {
  const known: readonly string[] = group === 'policy' ? POLICY_COMMANDS : WHITELIST_COMMANDS;
  if (command === undefined || !known.includes(command)) throw new CliUsageError(`Unknown ${group} command "${command ?? ''}": use ${known.join(', ')}.`);
  // A document that cannot be read is a usage error, before any device or store is opened.
  const document = command === 'propose' || command === 'simulate' || command === 'diff' ? readDocument(required(ctx.file, '--file', `the ${group} document (JSON)`)) : null;
  mkdirSync(ctx.dataDir, { recursive: true });
  const store = Store.open(ctx.dataDir);
  let devices: VaultDevices | null = null;
  let manager: DeviceManager | null = null;
  let team: TeamSession | null = null;
  try {
    if (command === 'propose') {
      devices = await openVaultDevices(ctx, { allowNewPhrase: false, newUser: false });
      manager = devices.manager;
    } else {
      manager = new DeviceManager();
    }
    const vault = new VaultService({ store, devices: manager });
    // In a team, each change is published to the team log first (connecting at the first append: reads stay offline).
    team = attachFromSettings(ctx.dataDir, vault);
    // Reading and simulating never reach the MPC host; the service only needs a client to exist.
    const transfers = new TransferService({ vault, store, devices: manager, host: hostClientFor(ctx.dataDir) });
    const out = (value: unknown, text: string) => ctx.out(ctx.json ? JSON.stringify(value) : text);
    const proposed = (p: ProposalView) => {
      const next = p.status === 'pending' ? ` Waiting for ${p.waitingFor.map((u) => u.name).join(', ')}.` : '';
      out({ proposal: p }, `${p.id}\t${p.status}\t${p.title}.${next}`);
      return 0;
    };
    const names = new Map(vault.readState().groups.map((g) => [g.id, g.name]));
    /** Groups and whitelists by name, as the console writes them. */
    const policyNames = (): PolicyNames => {
      const lists = new Map(transfers.whitelists().map((w) => [w.id, w.name]));
      return { group: (id) => names.get(id) ?? `unknown group ${id}`, whitelist: (id) => lists.get(id) ?? `unknown whitelist ${id}` };
    };
    switch (`${group} ${command}`) {
      case 'policy show': {
        const walletId = resolveWallet(vault, args[0]);
        const view = transfers.policy(walletId);
        if (view === null) throw new CustosError('NOT_FOUND', `The wallet ${args[0]} has no policy yet. Write one with custos policy draft, then propose it.`);
        out(view, describePolicy(view, vault.wallet(walletId).wallet.name, policyNames()));
        return 0;
      }
      case 'policy draft': {
        const walletId = resolveWallet(vault, args[0]);
        const draft = JSON.stringify(nextDraft(transfers.policy(walletId), walletId, [...names.keys()]), null, 2);
        if (ctx.outFile !== undefined) writeFileSync(ctx.outFile, draft + '\n');
        out({ document: JSON.parse(draft) as unknown, file: ctx.outFile ?? null }, ctx.outFile ? `Draft written to ${ctx.outFile}: edit it, simulate it, then propose it.` : draft);
        return 0;
      }
      case 'policy simulate': {
        const walletId = resolveWallet(vault, args[0]);
        const input = parse(channels['policies.simulate'].input, { walletId, document });
        const report = transfers.simulate(input.walletId, input.document);
        out(report, describeSimulation(report));
        return 0;
      }
      case 'policy diff': {
        const walletId = resolveWallet(vault, args[0]);
        const draft = readDraft(document!);
        const current = transfers.policy(walletId);
        const changes = diffPolicies(current === null ? null : policyDocument(validatePolicy(JSON.parse(current.document))), draft, policyNames());
        out({ changes }, changes.length ? changes.map((c) => c.text).join('\n') : 'The draft changes nothing against the policy in force.');
        return 0;
      }
      case 'policy propose': {
        const input = parse(channels['policies.propose'].input, { document, deviceId: devices!.actor() });
        return proposed(await vault.proposePolicy(input));
      }
      case 'whitelist list': {
        const lists = transfers.whitelists();
        out({ whitelists: lists }, lists.map((w) => `${w.id}\t${w.name}\t${w.network}\t${w.entries.length} address${w.entries.length === 1 ? '' : 'es'}`).join('\n') || 'No whitelists.');
        return 0;
      }
      case 'whitelist show': {
        const wanted = required(args[0], '<whitelist>', 'the whitelist (id or name)');
        const w = transfers.whitelists().find((x) => x.id === wanted || x.name.toLowerCase() === wanted.toLowerCase());
        if (w === undefined) throw new CustosError('NOT_FOUND', `There is no whitelist "${wanted}". Run custos whitelist list.`);
        out(w, describeWhitelist(w));
        return 0;
      }
      case 'whitelist propose': {
        const input = parse(channels['whitelists.propose'].input, { document, deviceId: devices!.actor() });
        return proposed(await vault.proposeWhitelist(input));
      }
      default:
        throw new CliUsageError(`Unknown command ${group} ${command}.`);
    }
  } finally {
    await team?.close();
    store.close();
    await (manager as DeviceManager | null)?.close();
  }
}

/** --file: a file holding a JSON document; its text is passed on as is (the service says what is wrong with it). */
function readDocument(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new CliUsageError(`--file: cannot read ${file}.`);
  }
  try {
    JSON.parse(text);
  } catch (err) {
    throw new CliUsageError(`--file: ${file} is not JSON (${(err as Error).message}).`);
  }
  return text;
}

/** A draft as the document it would be adopted as, or why it cannot be (the same words as simulate and propose). */
function readDraft(document: string) {
  try {
    return policyDocument(validatePolicy(JSON.parse(document) as unknown));
  } catch (err) {
    const message = err instanceof PolicyError ? err.message : (err as Error).message;
    throw new CustosError('BAD_INPUT', `The draft policy cannot be used: ${message}.`);
  }
}

/** The next version of the policy in force, or a first policy: any transfer, one approval from the first group. */
function nextDraft(current: PolicyView | null, walletId: string, groupIds: readonly string[]) {
  if (current !== null) {
    const policy = validatePolicy(JSON.parse(current.document));
    return policyDocument({ ...policy, version: policy.version + 1 });
  }
  const groupId = groupIds[0];
  if (groupId === undefined) throw new CustosError('RULE_VIOLATION', 'A policy names the groups that approve: create a group first (custos group create).');
  return policyDocument(
    validatePolicy({
      version: 1,
      walletId,
      rules: [{ id: 'default', name: 'Every transfer', amount: { min: null, max: null }, destination: { kind: 'any' }, initiatorGroupId: null, steps: [{ groupId, count: 1, initiatorMayApprove: false }], delaySeconds: 0, velocity: [] }],
      velocity: [],
    }),
  );
}

function describePolicy(view: PolicyView, walletName: string, names: PolicyNames): string {
  const policy = policyDocument(validatePolicy(JSON.parse(view.document)));
  const adopted = view.adoptedAt !== null ? `adopted ${view.adoptedAt}` : `adopted with record ${view.adoptedAtSeq}`;
  const lines = [`Policy version ${view.version} of wallet ${walletName} (${adopted}), hash ${view.hash}`];
  policy.rules.forEach((r, i) => lines.push(`${i + 1}. ${r.name} (${r.id}): ${describeRule(r, names)}`));
  lines.push(`Wallet limits: ${describeLimits(policy.velocity)}. A request no rule matches is denied.`);
  if (policy.shareRefresh !== undefined) lines.push(`Refresh of the key shares: ${describeShareRefresh(policy.shareRefresh)}.`);
  return lines.join('\n');
}

function describeSimulation(r: SimulationView): string {
  const { counts } = r;
  const changed = r.results.filter((x) => x.changed !== 'same').map((x) => `${x.requestId}: ${x.before} → ${x.after}`);
  return [`${counts.same} the same, ${counts['now-denied']} now denied, ${counts['now-allowed']} now allowed, ${counts.rerouted} routed differently`, ...changed].join('\n');
}

function describeWhitelist(w: WhitelistView): string {
  return [`${w.name} (${w.id}) on ${w.network}, hash ${w.hash}`, ...w.entries.map((e) => `  ${e.address}\t${e.label}`)].join('\n');
}
