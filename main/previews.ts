// What each device will show for an action, rendered before it runs with the statement code the action signs with.
import {
  decisionStatement,
  genesisStatement,
  lookupOf,
  PLACEHOLDER_SIGNATURE,
  proposalStatement,
  registrationStatement,
  type Action,
  type GovernanceState,
  type ProposalRecord,
  type User,
} from '../crypto/governance';
import { groupKeyOf } from '../crypto/governance/wallet-key';
import { walletOutputKeyAt } from '../crypto/transfers/transaction';
import { validateWhitelist, whitelistHash } from '../crypto/policy';
import { PROPOSAL_STATEMENT_FORMAT, renderStatement, StatementError, type Statement } from '../crypto/statements';
import { transferStatement } from '../crypto/transfers/statements';
import { channels, type DeviceStep, type ParsedInput, type PreviewAction } from '../preload/contract';
import type { DeviceManager } from './devices/manager';
import { CustosError } from './errors';
import { psbtRequest, type RequestTransaction } from './transfers/psbt-import';
import { requestDraft, type TransferService } from './transfers/service';
import { proposalAction, orderRoles, requireName, type ProposalKind } from './vault/proposal-actions';
import { DEFAULT_IDENTITY_PATH, GENESIS_SETTINGS, type VaultService } from './vault/service';

/**
 * Stand-ins for what exists only once the action runs. Each is a value the statement code accepts and that no real
 * action produces, so the rendered text is the real one and the stand-in's lines can be found and replaced by words.
 */
const PENDING_ID = 'assigned-when-signed';
const PENDING_DIGEST = '0x' + 'f0'.repeat(32);
const PENDING_ADDRESS = '0x' + '0'.repeat(40);
const PENDING_TIME = '1970-01-01T00:00:00.000Z';

export interface PreviewContext {
  vault: VaultService;
  transfers: () => TransferService;
  devices: DeviceManager;
}

/** The device steps `action` with `input` would ask for, in order; BAD_INPUT when the input is not yet complete. */
export function previewStatements(ctx: PreviewContext, action: PreviewAction, rawInput: Record<string, unknown>): DeviceStep[] {
  const parsed = channels[action].input.safeParse(rawInput);
  if (!parsed.success) {
    // The form says which field each message is about; the messages alone read as words.
    const problems = [...new Set(parsed.error.issues.map((i) => i.message))].join('; ');
    throw new CustosError('BAD_INPUT', `The device's screen appears once the form is complete: ${problems}.`);
  }
  const input = parsed.data as { deviceId: string };
  const label = (deviceId: string): string => ctx.devices.list().find((d) => d.id === deviceId)?.label ?? 'your device';
  const acting = label(input.deviceId);
  switch (action) {
    case 'vault.create':
      return genesisSteps(parsed.data as ParsedInput<'vault.create'>, acting);
    case 'users.propose': {
      const i = parsed.data as ParsedInput<'users.propose'>;
      return newUserSteps(ctx, i, label(i.newUserDeviceId), acting);
    }
    case 'proposals.approve':
    case 'proposals.reject':
      return [proposalDecisionStep(ctx, action, (parsed.data as ParsedInput<'proposals.approve'>).proposalId, acting)];
    case 'transfers.approve':
    case 'transfers.reject':
    case 'transfers.cancel':
      return [transferDecisionStep(ctx, action, (parsed.data as ParsedInput<'transfers.approve'>).requestId, acting)];
    case 'transfers.create':
    case 'transfers.importPsbt':
      return [transferRequestStep(ctx, action, parsed.data as ParsedInput<'transfers.create'> | ParsedInput<'transfers.importPsbt'>, acting)];
    default: {
      const { state } = ctx.vault.readProjection();
      const built = proposalAction(action as ProposalKind, parsed.data as never, state, (kind) => `${kind}-${PENDING_ID}`);
      // A new whitelist's id is made when it is proposed, and its hash covers the id: that hash is known only then.
      const newList = built.type === 'set-whitelist' && built.whitelist.id.endsWith(PENDING_ID);
      return [proposalStep(state, built, acting, newList ? { [whitelistHash(validateWhitelist(built.whitelist))]: 'of the canonical list' } : {})];
    }
  }
}

/** The proposer's statement for `action` on `state`, as the next record would carry it. */
function proposalStep(state: GovernanceState, action: Action, device: string, blanks: Record<string, string> = {}): DeviceStep {
  const draft: Omit<ProposalRecord, 'signature'> = {
    type: 'proposal',
    seq: state.seq + 1,
    vaultId: state.vaultId,
    proposalId: PENDING_ID,
    proposerId: PENDING_ID,
    action,
    createdAt: PENDING_TIME,
    ...(action.type === 'set-policy' ? { statementFormat: PROPOSAL_STATEMENT_FORMAT } : {}),
  };
  let statement: Statement;
  try {
    statement = { ...proposalStatement(lookupOf(state), draft), digest: PENDING_DIGEST };
  } catch (err) {
    // Describing the change names what it refers to; replay refuses the same references when the proposal is made.
    if (err instanceof StatementError || !(err instanceof Error)) throw err;
    throw new CustosError('BAD_INPUT', `The vault's rules refuse this: ${err.message}.`);
  }
  return { device, heading: 'Your proposal', screen: preview(statement, 'of the proposal', blanks) };
}

function newUserSteps(ctx: PreviewContext, input: ParsedInput<'users.propose'>, newDevice: string, acting: string): DeviceStep[] {
  requireName(input.name, 'user name');
  const { state, header } = ctx.vault.readProjection();
  const user: User = {
    id: PENDING_ID,
    name: input.name,
    roles: orderRoles(input.roles),
    identityAddress: PENDING_ADDRESS,
    identityPublicKey: '0x02' + '0'.repeat(64),
    encryptionKey: '0x' + '0'.repeat(64),
    devicePath: header.identityPath,
    registrationSignature: PLACEHOLDER_SIGNATURE,
  };
  const registration = { ...registrationStatement(state, state.seq + 1, user), digest: PENDING_DIGEST };
  return [
    { device: newDevice, heading: `Registration of ${input.name}`, screen: preview(registration, 'of the registration') },
    proposalStep(state, { type: 'add-user', user }, acting),
  ];
}

function genesisSteps(input: ParsedInput<'vault.create'>, device: string): DeviceStep[] {
  requireName(input.name, 'vault name');
  requireName(input.adminName, 'administrator name');
  const vault = { vaultId: PENDING_ID, vaultName: input.name };
  const admin: User = {
    id: PENDING_ID,
    name: input.adminName,
    roles: ['administrator'],
    identityAddress: PENDING_ADDRESS,
    identityPublicKey: '0x02' + '0'.repeat(64),
    encryptionKey: '0x' + '0'.repeat(64),
    devicePath: input.identityPath ?? DEFAULT_IDENTITY_PATH,
    registrationSignature: PLACEHOLDER_SIGNATURE,
  };
  const genesis = genesisStatement({ type: 'genesis', seq: 0, ...vault, createdAt: PENDING_TIME, admin, settings: GENESIS_SETTINGS });
  return [
    { device, heading: 'Your registration', screen: preview({ ...registrationStatement(vault, 0, admin), digest: PENDING_DIGEST }, 'of the registration') },
    { device, heading: 'The genesis of the vault, you its administrator', screen: preview({ ...genesis, digest: PENDING_DIGEST }, 'of the genesis record') },
  ];
}

function proposalDecisionStep(ctx: PreviewContext, action: 'proposals.approve' | 'proposals.reject', proposalId: string, device: string): DeviceStep {
  const { state } = ctx.vault.readProjection();
  const proposal = state.proposals.find((p) => p.id === proposalId);
  if (proposal === undefined) throw new CustosError('NOT_FOUND', `There is no proposal ${proposalId} in this vault. List the proposals to find its id.`);
  const type = action === 'proposals.approve' ? 'approval' : 'rejection';
  const statement = decisionStatement(lookupOf(state), { type, seq: state.seq + 1, vaultId: state.vaultId, proposalId });
  return { device, heading: type === 'approval' ? 'Your approval' : 'Your rejection', screen: preview(statement, '') };
}

const TRANSFER_DECISIONS = {
  'transfers.approve': { kind: 'transfer-approval', heading: 'Your approval of the transfer' },
  'transfers.reject': { kind: 'transfer-rejection', heading: 'Your rejection of the transfer' },
  'transfers.cancel': { kind: 'transfer-cancel', heading: 'Your cancellation of the request' },
} as const;

function transferDecisionStep(ctx: PreviewContext, action: keyof typeof TRANSFER_DECISIONS, requestId: string, device: string): DeviceStep {
  const state = ctx.vault.readState();
  const transfer = state.transfers.find((t) => t.id === requestId);
  if (transfer === undefined) throw new CustosError('NOT_FOUND', `There is no request ${requestId}. List the transfers to find its id.`);
  const wallet = state.wallets.find((w) => w.id === transfer.request.walletId);
  const d = TRANSFER_DECISIONS[action];
  return { device, heading: d.heading, screen: preview(transferStatement(state, wallet?.name ?? '?', d.kind, state.seq + 1, transfer.request), '') };
}

/**
 * The initiator's request statement: the exact transaction built as the request builds it (the fee is real), its id
 * and digest stand-ins (the digest binds the time the request is made).
 */
function transferRequestStep(
  ctx: PreviewContext,
  action: 'transfers.create' | 'transfers.importPsbt',
  input: ParsedInput<'transfers.create'> | ParsedInput<'transfers.importPsbt'>,
  device: string,
): DeviceStep {
  const { wallet, state } = ctx.vault.wallet(input.walletId);
  if (wallet.key === null) throw new CustosError('RULE_VIOLATION', `The wallet ${wallet.name} has no key yet.`);
  const root = groupKeyOf(wallet.key);
  let facts: RequestTransaction;
  if (action === 'transfers.create') {
    facts = ctx.transfers().requestTransaction(state, wallet, root, input as ParsedInput<'transfers.create'>);
  } else {
    facts = psbtRequest((input as ParsedInput<'transfers.importPsbt'>).psbt, root, wallet);
  }
  const request = requestDraft(state, wallet, facts, (p: string) => walletOutputKeyAt(root, p), { seq: state.seq + 1, requestId: PENDING_ID, initiatorId: PENDING_ID, createdAt: PENDING_TIME });
  const statement = { ...transferStatement(state, wallet.name, 'transfer-request', state.seq + 1, request), digest: PENDING_DIGEST };
  return { device, heading: 'Your transfer request', screen: preview(statement, 'of the exact transaction') };
}

/** The statement's exact text with each stand-in's lines replaced by what it will be. */
function preview(statement: Statement, digestNote: string, blanks: Record<string, string> = {}): string {
  let text: string;
  try {
    text = renderStatement(statement);
  } catch (err) {
    if (err instanceof StatementError) throw new CustosError('BAD_INPUT', `This cannot be shown faithfully on a device: ${err.message}.`);
    throw err;
  }
  const digestLines = (digest: string) => Array.from({ length: 4 }, (_, i) => `  ${digest.slice(2 + i * 16, 18 + i * 16)}`).join('\n');
  const addressLines = `  ${PENDING_ADDRESS.slice(0, 22)}\n  ${PENDING_ADDRESS.slice(22)}`;
  for (const [digest, note] of Object.entries(blanks)) text = text.replaceAll(`:\n${digestLines(digest)}`, `: (${note})`);
  return text
    .replaceAll(`:\n${digestLines(PENDING_DIGEST)}`, `: (${digestNote})`)
    .replaceAll(`:\n${addressLines}`, ': (read from this device)')
    .replaceAll(`: ${PENDING_ID}`, ': (assigned now)');
}
