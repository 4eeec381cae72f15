// The governance state while replaying: changed in place record by record, each record committed whole or undone whole.
//
// Entities are never mutated: a change stores a new object under the same key (copy-on-write), so an entity once
// handed out in a GovernanceState stays as it was. Each collection keeps its entities sorted by key as an array,
// updated at commit for the keys the record touched (binary search, then one splice), so `state()` hands out the
// arrays themselves instead of copying and sorting everything. An array handed out is copied before its next change
// (one pointer copy, no entity copied); while nobody asks for the state, commits change the arrays in place.
import { isActiveAdministrator } from './rules.js';
import type { GovernanceLookup } from './records.js';
import type { TransferBook } from './transfers.js';
import { groupKeyOf } from './wallet-key.js';
import type { GroupKey } from '../frost/types.js';
import type {
  GovernanceState,
  Group,
  PolicyState,
  ProposalState,
  TransferState,
  UserState,
  VaultSettings,
  WalletKey,
  WalletState,
  WhitelistState,
} from './types.js';

/** What one record changed: the keys it touched per collection (policies by walletId), and the seq it brought. */
export interface StateChanges {
  readonly seq: number;
  readonly users: readonly string[];
  readonly groups: readonly string[];
  readonly proposals: readonly string[];
  readonly wallets: readonly string[];
  /** Wallet ids whose policy changed. */
  readonly policies: readonly string[];
  readonly whitelists: readonly string[];
  readonly transfers: readonly string[];
  readonly settings: boolean;
  readonly founding: boolean;
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** One collection of the state: a map for lookups, and the same entities as an array sorted by key. */
export class Collection<T> {
  private readonly byKey = new Map<string, T>();
  private sorted: T[] = [];
  /** The array was handed out in a state: it must not change any more. */
  private shared = false;

  constructor(
    private readonly keyOf: (value: T) => string,
    private readonly journal: Journal,
  ) {}

  /** The entities in the order they were first stored (replay order); lookups only. */
  get view(): ReadonlyMap<string, T> {
    return this.byKey;
  }
  get(key: string): T | undefined {
    return this.byKey.get(key);
  }
  has(key: string): boolean {
    return this.byKey.has(key);
  }
  values(): IterableIterator<T> {
    return this.byKey.values();
  }

  /** Stores `value` under its key, replacing what was there; undone if the record fails. */
  set(value: T): void {
    const key = this.keyOf(value);
    const before = this.byKey.get(key);
    this.byKey.set(key, value);
    this.journal.touched(this, key, () => {
      // Setting an existing key keeps its place in the map; deleting undoes an insertion.
      if (before === undefined) this.byKey.delete(key);
      else this.byKey.set(key, before);
    });
  }

  /** Brings the sorted array in line with the map for `key`, after the record passed. */
  commit(key: string): void {
    const value = this.byKey.get(key);
    const at = this.indexOf(key);
    const found = at < this.sorted.length && this.keyOf(this.sorted[at] as T) === key;
    if (value === undefined ? !found : found && this.sorted[at] === value) return;
    if (this.shared) {
      this.sorted = this.sorted.slice();
      this.shared = false;
    }
    if (value === undefined) this.sorted.splice(at, 1);
    else if (found) this.sorted[at] = value;
    else this.sorted.splice(at, 0, value);
  }

  /** The sorted array, to be handed out: from now on it is never changed. */
  array(): readonly T[] {
    this.shared = true;
    return this.sorted;
  }

  /** Fills an empty collection from a state's array (sorted by key, or sorted here), sharing its entities; false if it sorted. */
  load(values: readonly T[]): boolean {
    let inOrder = true;
    for (let i = 0; i < values.length; i++) {
      const key = this.keyOf(values[i] as T);
      if (i > 0 && compare(this.keyOf(values[i - 1] as T), key) >= 0) inOrder = false;
      this.byKey.set(key, values[i] as T);
    }
    this.sorted = inOrder ? (values as T[]) : [...this.byKey.values()].sort((a, b) => compare(this.keyOf(a), this.keyOf(b)));
    // The caller's array: never changed in place.
    this.shared = inOrder;
    return inOrder;
  }

  private indexOf(key: string): number {
    return lowerBound(this.sorted, this.keyOf, key);
  }
}

/** The first index of `list` (sorted by `keyOf`) whose key is not below `key`. */
function lowerBound<T>(list: readonly T[], keyOf: (x: T) => string, key: string): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compare(keyOf(list[mid] as T), key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The entity with key `key` in one of a replayed state's collections, which replay keeps sorted by their key (`id`, or
 * `walletId` for policies): a binary search instead of a pass over the history. A list sorted otherwise may miss.
 */
export function findSorted<T>(list: readonly T[], key: string, keyOf: (x: T) => string = (x) => (x as { id: string }).id): T | undefined {
  const found = list[lowerBound(list, keyOf, key)];
  return found !== undefined && keyOf(found) === key ? found : undefined;
}

/** What the current record did, so it can be undone, or committed into the sorted arrays and reported. */
class Journal {
  private undo: (() => void)[] = [];
  private keys = new Map<object, Set<string>>();

  touched(collection: object, key: string, undo: () => void): void {
    this.undo.push(undo);
    let set = this.keys.get(collection);
    if (set === undefined) this.keys.set(collection, (set = new Set()));
    set.add(key);
  }

  changed(undo: () => void): void {
    this.undo.push(undo);
  }

  /** Keys touched in `collection`, sorted. */
  keysOf(collection: object): string[] {
    return [...(this.keys.get(collection) ?? [])].sort(compare);
  }

  rollback(): void {
    for (let i = this.undo.length - 1; i >= 0; i--) (this.undo[i] as () => void)();
    this.clear();
  }

  clear(): void {
    this.undo = [];
    this.keys = new Map();
  }
}

/** Proposal ids still pending; settled oldest first (by the proposal's seq), however the state was reached. */
class Pending {
  private readonly ids = new Set<string>();
  constructor(
    private readonly journal: Journal,
    private readonly seqOf: (id: string) => number,
  ) {}
  add(id: string): void {
    if (this.ids.has(id)) return;
    this.ids.add(id);
    this.journal.changed(() => this.ids.delete(id));
  }
  delete(id: string): void {
    if (!this.ids.delete(id)) return;
    this.journal.changed(() => this.ids.add(id));
  }
  has(id: string): boolean {
    return this.ids.has(id);
  }
  /** A copy, oldest first: settling closes proposals while going through them. */
  inOrder(): string[] {
    return [...this.ids].sort((a, b) => this.seqOf(a) - this.seqOf(b));
  }
}

/** The state while replaying, with the lookups records are checked against. */
export class Working implements GovernanceLookup, TransferBook {
  private readonly journal = new Journal();
  readonly users = new Collection<UserState>((u) => u.id, this.journal);
  readonly groups = new Collection<Group>((g) => g.id, this.journal);
  readonly proposals = new Collection<ProposalState>((p) => p.id, this.journal);
  readonly wallets = new Collection<WalletState>((w) => w.id, this.journal);
  readonly policies = new Collection<PolicyState>((p) => p.walletId, this.journal);
  readonly whitelists = new Collection<WhitelistState>((w) => w.id, this.journal);
  readonly transfers = new Collection<TransferState>((t) => t.id, this.journal);
  readonly pending = new Pending(this.journal, (id) => this.proposals.get(id)?.seq ?? 0);
  private readonly keys = new WeakMap<WalletKey, GroupKey>();
  private current: { seq: number; settings: VaultSettings; founding: boolean; policyInWords: boolean; teamModeSince: number | null };
  private settingsChanged = false;
  private foundingChanged = false;
  private handedOut: GovernanceState | null = null;

  constructor(
    readonly vaultId: string,
    readonly vaultName: string,
    readonly createdAt: string,
    settings: VaultSettings,
  ) {
    this.current = { seq: 0, settings: { ...settings }, founding: true, policyInWords: false, teamModeSince: null };
  }

  /** Resumes from a replayed state in one pass; the state's entities are shared, never changed. */
  static fromState(state: GovernanceState): Working {
    const w = new Working(state.vaultId, state.vaultName, state.createdAt, state.settings);
    w.current = { seq: state.seq, settings: state.settings, founding: state.founding, policyInWords: state.policyInWords === true, teamModeSince: state.teamModeSince ?? null };
    const loaded = [
      w.users.load(state.users),
      w.groups.load(state.groups),
      w.proposals.load(state.proposals),
      w.wallets.load(state.wallets),
      w.policies.load(state.policies),
      w.whitelists.load(state.whitelists),
      w.transfers.load(state.transfers),
    ];
    for (const p of state.proposals) if (p.status === 'pending') w.pending.add(p.id);
    w.journal.clear();
    // Arrays taken as they were: the state given is the state the replayer is at.
    if (loaded.every(Boolean)) w.handedOut = state;
    return w;
  }

  get seq(): number {
    return this.current.seq;
  }
  set seq(seq: number) {
    const before = this.current.seq;
    this.current.seq = seq;
    this.journal.changed(() => (this.current.seq = before));
  }
  get settings(): VaultSettings {
    return this.current.settings;
  }
  set settings(settings: VaultSettings) {
    const before = this.current.settings;
    this.current.settings = settings;
    this.settingsChanged = true;
    this.journal.changed(() => (this.current.settings = before));
  }
  get founding(): boolean {
    return this.current.founding;
  }
  set founding(founding: boolean) {
    const before = this.current.founding;
    if (before === founding) return;
    this.current.founding = founding;
    this.foundingChanged = true;
    this.journal.changed(() => (this.current.founding = before));
  }

  /** Set-policy proposals must list their rules in words from now on (GovernanceState.policyInWords); a ratchet. */
  get policyInWords(): boolean {
    return this.current.policyInWords;
  }
  set policyInWords(value: boolean) {
    const before = this.current.policyInWords;
    if (before === value) return;
    this.current.policyInWords = value;
    this.journal.changed(() => (this.current.policyInWords = before));
  }

  /** Seq of the record that moved the vault to team mode (GovernanceState.teamModeSince), null on a single desk. */
  get teamModeSince(): number | null {
    return this.current.teamModeSince;
  }
  set teamModeSince(value: number | null) {
    const before = this.current.teamModeSince;
    if (before === value) return;
    this.current.teamModeSince = value;
    this.journal.changed(() => (this.current.teamModeSince = before));
  }

  /** Makes the record's changes part of the state and says what they were. */
  commit(): StateChanges {
    const changes = this.peek();
    const byCollection = [this.users, this.groups, this.proposals, this.wallets, this.policies, this.whitelists, this.transfers] as Collection<unknown>[];
    const keys = [changes.users, changes.groups, changes.proposals, changes.wallets, changes.policies, changes.whitelists, changes.transfers];
    byCollection.forEach((c, i) => {
      for (const k of keys[i] as readonly string[]) c.commit(k);
    });
    this.journal.clear();
    this.settingsChanged = this.foundingChanged = false;
    this.handedOut = null;
    return changes;
  }

  /** What the record changed so far, uncommitted. */
  peek(): StateChanges {
    const [users, groups, proposals, wallets, policies, whitelists, transfers] = [
      this.users, this.groups, this.proposals, this.wallets, this.policies, this.whitelists, this.transfers,
    ].map((c) => this.journal.keysOf(c));
    return {
      seq: this.seq,
      users: users as string[],
      groups: groups as string[],
      proposals: proposals as string[],
      wallets: wallets as string[],
      policies: policies as string[],
      whitelists: whitelists as string[],
      transfers: transfers as string[],
      settings: this.settingsChanged,
      founding: this.foundingChanged,
    };
  }

  /** Undoes everything since the last commit: a refused record leaves no trace. */
  rollback(): void {
    this.journal.rollback();
    this.settingsChanged = this.foundingChanged = false;
  }

  /** The state last handed out or loaded, if nothing was committed since. */
  handedOutState(): GovernanceState | null {
    return this.handedOut;
  }

  /** The committed state, sharing its arrays and entities (both immutable from here on). */
  state(): GovernanceState {
    this.handedOut ??= {
      vaultId: this.vaultId,
      vaultName: this.vaultName,
      createdAt: this.createdAt,
      seq: this.seq,
      settings: this.settings,
      founding: this.founding,
      ...(this.policyInWords ? { policyInWords: true as const } : {}),
      ...(this.current.teamModeSince === null ? {} : { teamModeSince: this.current.teamModeSince }),
      users: this.users.array(),
      groups: this.groups.array(),
      proposals: this.proposals.array(),
      wallets: this.wallets.array(),
      policies: this.policies.array(),
      whitelists: this.whitelists.array(),
      transfers: this.transfers.array(),
    };
    return this.handedOut;
  }

  user(id: string): UserState | undefined {
    return this.users.get(id);
  }
  group(id: string): Group | undefined {
    return this.groups.get(id);
  }
  wallet(id: string): WalletState | undefined {
    return this.wallets.get(id);
  }
  whitelist(id: string): WhitelistState | undefined {
    return this.whitelists.get(id);
  }
  policy(walletId: string): PolicyState | undefined {
    return this.policies.get(walletId);
  }
  transfer(id: string): TransferState | undefined {
    return this.transfers.get(id);
  }
  proposal(id: string): ProposalState | undefined {
    return this.proposals.get(id);
  }
  groupsOf(userId: string): string[] {
    return [...this.groups.values()].filter((g) => g.members.includes(userId)).map((g) => g.id).sort();
  }
  setTransfer(t: TransferState): void {
    this.transfers.set(t);
  }
  groupKey(key: WalletKey): GroupKey {
    let g = this.keys.get(key);
    if (g === undefined) {
      g = groupKeyOf(key);
      this.keys.set(key, g);
    }
    return g;
  }
  administrators(): number {
    let n = 0;
    for (const u of this.users.values()) if (isActiveAdministrator(u)) n++;
    return n;
  }
}
