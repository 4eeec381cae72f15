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
    decision === 'reject' ? proposal.statementPreview.replace(/^Custos v1: APPROVE change$/m, 'Custos v1: REJECT change') : proposal.statementPreview;
  return { device, heading: decision === 'approve' ? 'Your approval' : 'Your rejection', screen: text };
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
