// What a device will show for each signed action, described before it starts (the device then shows the exact text).
import type { ProposalView, Role, VaultSummary } from '../preload/contract';

/** One screen a device will show: on which device, what for, and its text. */
export interface DeviceStep {
  /** The device's label ("Alice Ledger"). */
  device: string;
  /** What the screen is for ("registration of Bob"). */
  heading: string;
  /** The screen as the device shows it: "Label: value" lines, or the exact statement text. */
  screen: string;
}

const lines = (...rows: (string | null)[]) => rows.filter((r): r is string => r !== null).join('\n');
const list = (label: string, items: readonly string[]) => `${label}:\n${items.map((i) => `  - ${i}`).join('\n')}`;

function vaultLines(vault: VaultSummary | null, name?: string): string {
  return lines(`Vault: ${vault?.name ?? name ?? ''}`, vault ? `Vault id: ${vault.vaultId}` : 'Vault id: (assigned now)');
}

export function genesisSteps(input: { vaultName: string; adminName: string; device: string }): DeviceStep[] {
  return [
    {
      device: input.device,
      heading: 'Your registration',
      screen: lines(
        'Custos v1: register device',
        vaultLines(null, input.vaultName),
        'Kind: registration',
        `User: ${input.adminName}`,
        list('Roles', ['administrator']),
        'Address: (read from this device)',
        "Path: m/44'/60'/0'/0/0",
        'Digest: (of the registration)',
      ),
    },
    {
      device: input.device,
      heading: 'The genesis of the vault, you its administrator',
      screen: lines(
        'Custos v1: create vault',
        vaultLines(null, input.vaultName),
        'Kind: genesis',
        `Admin: ${input.adminName}`,
        'Address: (read from this device)',
        'Quorum: 1',
        'Proposer counts: no',
        'Digest: (of the genesis record)',
      ),
    },
  ];
}

/** A proposal is signed by its proposer; the device shows the change it makes. */
export function proposalStep(vault: VaultSummary | null, device: string, change: string): DeviceStep {
  return {
    device,
    heading: 'Your proposal',
    screen: lines('Custos v1: propose change', vaultLines(vault), 'Kind: proposal', change, 'Digest: (of the proposal)'),
  };
}

export function registrationSteps(
  vault: VaultSummary | null,
  input: { name: string; roles: Role[]; newDevice: string; actingDevice: string },
): DeviceStep[] {
  return [
    {
      device: input.newDevice,
      heading: `Registration of ${input.name || 'the new user'}`,
      screen: lines(
        'Custos v1: register device',
        vaultLines(vault),
        'Kind: registration',
        `User: ${input.name}`,
        list('Roles', input.roles),
        'Address: (read from this device)',
        `Path: ${vault?.identityPath ?? ''}`,
        'Digest: (of the registration)',
      ),
    },
    proposalStep(vault, input.actingDevice, lines(`Change: add user ${input.name}`, list('Roles', input.roles))),
  ];
}

/**
 * The decision statement as main previews it. The preview is the approval's text; a rejection differs only in its
 * first line, which the statement format fixes ("Custos v1: REJECT change").
 */
export function decisionStep(proposal: ProposalView, decision: 'approve' | 'reject', device: string): DeviceStep {
  const text =
    decision === 'reject'
      ? proposal.statementPreview.replace(/^Custos v1: APPROVE change$/m, 'Custos v1: REJECT change').replace(/^Kind: proposal-approval$/m, 'Kind: proposal-rejection')
      : proposal.statementPreview;
  return { device, heading: decision === 'approve' ? 'Your approval' : 'Your rejection', screen: text };
}

/** The statement format's line width: a longer "Label: value" goes on lines of its own (crypto/statements.ts). */
const DEVICE_LINE = 32;

/** A field as the statement writes it: on one line when it fits, else the label, then the value in indented pieces. */
function field(label: string, value: string): string {
  const single = `${label}: ${value}`;
  if (single.length <= DEVICE_LINE) return single;
  const pieces: string[] = [`${label}:`];
  for (let i = 0; i < value.length; i += DEVICE_LINE - 2) pieces.push(`  ${value.slice(i, i + DEVICE_LINE - 2)}`);
  return pieces.join('\n');
}

/** A 0x digest as the statement writes it: the label, then 16 hex digits a line. */
function digestLines(label: string, digest: string): string {
  if (!/^0x[0-9a-f]{64}$/.test(digest)) return `${label}: ${digest}`;
  const pieces: string[] = [`${label}:`];
  for (let i = 2; i < 66; i += 16) pieces.push(`  ${digest.slice(i, i + 16)}`);
  return pieces.join('\n');
}

/**
 * A transfer request as the operator's device will show it. The request id, the fee and the digest exist only once
 * main has built the exact transaction from the wallet's coins; the device then shows them, and the rest as here.
 */
export function transferRequestStep(
  vault: VaultSummary | null,
  device: string,
  request: { wallet: string; amount: string; destination: string; policy: { version: number; hash: string } | null; fee?: string },
): DeviceStep {
  return {
    device,
    heading: 'Your transfer request',
    screen: lines(
      'Custos v1: REQUEST transfer',
      vaultLines(vault),
      'Kind: transfer-request',
      'Request: (assigned now)',
      `Wallet: ${request.wallet}`,
      `Amount: ${request.amount}`,
      `Fee: ${request.fee ?? '(from the fee rate and the coins)'}`,
      field('To', request.destination),
      request.policy ? `Policy: version ${request.policy.version}` : 'Policy: (none in force)',
      request.policy ? digestLines('Policy hash', request.policy.hash) : null,
      'Digest: (of the exact transaction)',
    ),
  };
}

const TRANSFER_DECISIONS = {
  approve: { title: 'APPROVE transfer', kind: 'transfer-approval', heading: 'Your approval of the transfer' },
  reject: { title: 'REJECT transfer', kind: 'transfer-rejection', heading: 'Your rejection of the transfer' },
  cancel: { title: 'CANCEL transfer', kind: 'transfer-cancel', heading: 'Your cancellation of the request' },
} as const;

/**
 * A decision on a transfer as the device will show it: main's preview is the approval's exact text; a rejection or a
 * cancellation differs only in its title and kind lines, which the statement format fixes.
 */
export function transferDecisionStep(statementPreview: string, decision: 'approve' | 'reject' | 'cancel', device: string): DeviceStep {
  const d = TRANSFER_DECISIONS[decision];
  const text = statementPreview.replace(/^Custos v1: APPROVE transfer$/m, `Custos v1: ${d.title}`).replace(/^Kind: transfer-approval$/m, `Kind: ${d.kind}`);
  return { device, heading: d.heading, screen: text };
}

/** The lines of a policy proposal as the statement writes them; the hash is of the canonical document main makes. */
export function policyChange(change: { wallet: string; version: number | null; rules: number | null }): string {
  return lines(
    'Change: adopt policy',
    `Wallet: ${change.wallet}`,
    `Policy: version ${change.version ?? '(from the draft)'}`,
    `Rules: ${change.rules ?? '(from the draft)'}`,
    'Policy hash: (of the canonical document)',
  );
}

/** The lines of a whitelist proposal as the statement writes them. */
export function whitelistChange(change: { name: string; network: string; entries: number }): string {
  return lines(
    'Change: set whitelist',
    `Whitelist: ${change.name}`,
    `Network: Bitcoin ${change.network}`,
    `Addresses: ${change.entries}`,
    'List hash: (of the canonical list)',
  );
}

/** The wallet lines of a proposal as the statement writes them (crypto/statements.ts); the device shows the exact text. */
export function walletChange(
  change:
    | { kind: 'create'; name: string; network: string; threshold: number; custodians: readonly string[] }
    | { kind: 'refresh'; name: string; threshold: number; custodians: readonly string[] }
    | { kind: 'reshare'; name: string; threshold: number; custodians: readonly string[]; removed: readonly string[] },
): string {
  const of = `${change.threshold} of ${change.custodians.length}`;
  switch (change.kind) {
    case 'create':
      return lines('Change: create wallet', `Wallet: ${change.name}`, `Network: Bitcoin ${change.network}`, `Threshold: ${of}`, list('Custodians', change.custodians));
    case 'refresh':
      return lines('Change: refresh wallet shares', `Wallet: ${change.name}`, `Threshold: ${of}`, list('Custodians', change.custodians));
    case 'reshare':
      return lines(
        'Change: reshare wallet',
        `Wallet: ${change.name}`,
        `New threshold: ${of}`,
        list('Custodians', change.custodians),
        change.removed.length ? list('Removed', change.removed) : 'Removed: (none)',
      );
  }
}
