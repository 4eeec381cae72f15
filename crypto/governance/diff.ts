// Compares the replayed governance state with what a store projects, naming each difference so tampering is reported.
import { canonicalize } from '../canonical.js';
import type { Action, Group, PolicyState, ProposalStatus, TransferState, User, UserState, UserStatus, VaultSettings, WalletState, WhitelistState } from './types.js';

/** What a database holds about the vault's governance; a GovernanceState is one. */
export interface GovernanceProjection {
  readonly vaultId: string;
  readonly vaultName: string;
  readonly seq: number;
  readonly settings: VaultSettings;
  readonly founding: boolean;
  readonly users: readonly (User & { readonly status: UserStatus; readonly registeredAtSeq?: number; readonly adminSinceSeq?: number | null; readonly node?: UserState['node'] })[];
  readonly groups: readonly Group[];
  readonly proposals: readonly {
    readonly id: string;
    readonly seq: number;
    readonly proposerId: string;
    readonly action: Action;
    readonly status: ProposalStatus;
    readonly approvals: readonly { readonly userId: string; readonly seq?: number }[];
    readonly rejections: readonly { readonly userId: string; readonly seq?: number }[];
    readonly digest?: string;
    readonly closedAtSeq?: number;
    readonly reason?: string;
  }[];
  readonly wallets: readonly WalletState[];
  readonly policies: readonly PolicyState[];
  readonly whitelists: readonly WhitelistState[];
  readonly transfers: readonly TransferState[];
}

export interface StateDifference {
  readonly entity: 'vault' | 'settings' | 'user' | 'group' | 'proposal' | 'wallet' | 'policy' | 'whitelist' | 'transfer';
  /** Id of the user, group or proposal; absent for vault and settings. */
  readonly id?: string;
  /** The field that differs, or 'presence' when the whole entity is missing or extra. */
  readonly field: string;
  /** Canonical JSON of each side (or 'absent'). */
  readonly expected: string;
  readonly actual: string;
  readonly message: string;
}

const USER_FIELDS = ['name', 'roles', 'status', 'identityAddress', 'identityPublicKey', 'encryptionKey', 'devicePath', 'registrationSignature', 'node'] as const;
/** Derived fields a store may also hold (it need not): compared only when both sides carry them. */
const USER_DERIVED = ['registeredAtSeq', 'adminSinceSeq'] as const;
const PROPOSAL_DERIVED = ['digest', 'closedAtSeq', 'reason'] as const;

/**
 * Every difference between `expected` (replayed from the signed log) and `actual` (the store's
 * projection). Empty means they agree. Order-free lists (group members, approvals) compare as sets.
 */
export function diffState(expected: GovernanceProjection, actual: GovernanceProjection): StateDifference[] {
  const out: StateDifference[] = [];
  const add = (entity: StateDifference['entity'], id: string | undefined, field: string, e: unknown, a: unknown, what: string): void => {
    const es = e === undefined ? 'absent' : canonicalize(e);
    const as = a === undefined ? 'absent' : canonicalize(a);
    if (es === as) return;
    const base = { entity, field, expected: es, actual: as, message: `${what}: the signed log says ${es}, the store says ${as}` };
    out.push(id === undefined ? base : { ...base, id });
  };
  add('vault', undefined, 'vaultId', expected.vaultId, actual.vaultId, 'vault id');
  add('vault', undefined, 'vaultName', expected.vaultName, actual.vaultName, 'vault name');
  add('vault', undefined, 'seq', expected.seq, actual.seq, 'last record seq');
  add('settings', undefined, 'adminQuorum', expected.settings.adminQuorum, actual.settings.adminQuorum, 'administrator quorum');
  add('settings', undefined, 'proposerMayApprove', expected.settings.proposerMayApprove, actual.settings.proposerMayApprove, 'proposer may approve');
  add('settings', undefined, 'founding', expected.founding, actual.founding, 'founding');

  byId(expected.users, actual.users, (id, e, a) => {
    if (e === undefined || a === undefined) return add('user', id, 'presence', e && 'present', a && 'present', `user ${id}`);
    for (const f of USER_FIELDS) add('user', id, f, e[f], a[f], `user ${id} ${f}`);
    for (const f of USER_DERIVED) if (f in e && f in a) add('user', id, f, e[f], a[f], `user ${id} ${f}`);
  });
  byId(expected.groups, actual.groups, (id, e, a) => {
    if (e === undefined || a === undefined) return add('group', id, 'presence', e && 'present', a && 'present', `group ${id}`);
    add('group', id, 'name', e.name, a.name, `group ${id} name`);
    add('group', id, 'members', sorted(e.members), sorted(a.members), `group ${id} members`);
  });
  byId(expected.proposals, actual.proposals, (id, e, a) => {
    if (e === undefined || a === undefined) return add('proposal', id, 'presence', e && 'present', a && 'present', `proposal ${id}`);
    add('proposal', id, 'seq', e.seq, a.seq, `proposal ${id} seq`);
    add('proposal', id, 'proposerId', e.proposerId, a.proposerId, `proposal ${id} proposer`);
    add('proposal', id, 'action', e.action, a.action, `proposal ${id} action`);
    add('proposal', id, 'status', e.status, a.status, `proposal ${id} status`);
    add('proposal', id, 'approvals', sorted(e.approvals.map((d) => d.userId)), sorted(a.approvals.map((d) => d.userId)), `proposal ${id} approvals`);
    add('proposal', id, 'rejections', sorted(e.rejections.map((d) => d.userId)), sorted(a.rejections.map((d) => d.userId)), `proposal ${id} rejections`);
    // Optional fields: absent on one side and present on the other is a difference, so a store cannot drop a reason.
    for (const f of PROPOSAL_DERIVED) if (e[f] !== undefined || a[f] !== undefined) add('proposal', id, f, e[f], a[f], `proposal ${id} ${f}`);
    const seqs = (ds: readonly { userId: string; seq?: number }[]) => sorted(ds.map((d) => `${d.userId}@${d.seq ?? '?'}`));
    const all = [...e.approvals, ...e.rejections, ...a.approvals, ...a.rejections];
    const sameDeciders = canonicalize(sorted([...e.approvals, ...e.rejections].map((d) => d.userId))) === canonicalize(sorted([...a.approvals, ...a.rejections].map((d) => d.userId)));
    // Only when the same people decided: a missing decision is already named above.
    if (sameDeciders && all.every((d) => d.seq !== undefined)) {
      add('proposal', id, 'decision seqs', seqs([...e.approvals, ...e.rejections]), seqs([...a.approvals, ...a.rejections]), `proposal ${id} decision seqs`);
    }
  });
  byId(expected.wallets, actual.wallets, (id, e, a) => {
    if (e === undefined || a === undefined) return add('wallet', id, 'presence', e && 'present', a && 'present', `wallet ${id}`);
    for (const f of WALLET_FIELDS) add('wallet', id, f, e[f], a[f], `wallet ${id} ${f}`);
  });
  const keyed = (ps: readonly PolicyState[]) => ps.map((p) => ({ ...p, id: p.walletId }));
  byId(keyed(expected.policies), keyed(actual.policies), (id, e, a) => {
    if (e === undefined || a === undefined) return add('policy', id, 'presence', e && 'present', a && 'present', `policy of wallet ${id}`);
    for (const f of ['version', 'hash', 'document', 'adoptedAtSeq'] as const) add('policy', id, f, e[f], a[f], `policy of wallet ${id} ${f}`);
  });
  byId(expected.whitelists, actual.whitelists, (id, e, a) => {
    if (e === undefined || a === undefined) return add('whitelist', id, 'presence', e && 'present', a && 'present', `whitelist ${id}`);
    for (const f of ['hash', 'document', 'changedAtSeq'] as const) add('whitelist', id, f, e[f], a[f], `whitelist ${id} ${f}`);
  });
  byId(expected.transfers, actual.transfers, (id, e, a) => {
    if (e === undefined || a === undefined) return add('transfer', id, 'presence', e && 'present', a && 'present', `transfer ${id}`);
    for (const f of ['seq', 'request', 'approvals', 'rejections', 'signed', 'cancelled'] as const) add('transfer', id, f, e[f], a[f], `transfer ${id} ${f}`);
  });
  return out;
}

const WALLET_FIELDS = ['name', 'network', 'createdAtSeq', 'status', 'key', 'keySince', 'pending'] as const;

function sorted(values: readonly string[]): string[] {
  return [...values].sort();
}

function byId<T extends { readonly id: string }>(expected: readonly T[], actual: readonly T[], visit: (id: string, e: T | undefined, a: T | undefined) => void): void {
  const e = new Map(expected.map((x) => [x.id, x]));
  const a = new Map<string, T>();
  for (const x of actual) {
    // A duplicated row is tampering too: report it as an extra entity under the same id.
    if (a.has(x.id)) visit(x.id, undefined, x);
    else a.set(x.id, x);
  }
  for (const id of [...new Set([...e.keys(), ...a.keys()])].sort()) visit(id, e.get(id), a.get(id));
}
