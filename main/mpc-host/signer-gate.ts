// The signer's one gate before any share is used. Every signature, DKG, refresh and reshare is justified by device-signed
// records in the log this signer pinned itself, from a vault anchor a person confirmed on a device, and every share is
// opened only with its custodian's device-signed statement of that very use. Nothing main says stands in for either.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { sameBytes } from '../../crypto/frost/curve';
import { entropyFromDevice, lengthPrefixed } from '../../crypto/frost/entropy';
import { partyIdFor } from '../../crypto/frost/party-id';
import type { GroupKey, PartyId, Rng } from '../../crypto/frost/types';
import { wipeBytes } from '../../crypto/frost/wipe';
import { ceremonyPlan, checkShareUse, hostAnchorStatement, singleDeskRefusal, type GovernanceState, type HostAnchor, type ShareUseSubject, type WalletState } from '../../crypto/governance';
import { verifyStatement } from '../../crypto/statements';
import { extendState, newRecords, recordHash, replayBodies, signingPlan } from '../../crypto/transfers/evidence';
import { extendFingerprint, FINGERPRINT_START } from '../store/log-head';
import { checkpointFile, readCheckpoint, writeCheckpoint } from './checkpoint';
import { runDkg } from './ceremonies/dkg';
import type { DkgPool } from './dkg-pool';
import { runReshare } from './ceremonies/reshare';
import { runSign } from './ceremonies/sign';
import { DkgDriver, ReshareDriver, SignDriver, type CeremonyDriver } from '../relay/drivers';
import { openChildShare, sealShare, unsealShare } from './ceremonies/shares';
import { wipeShare } from '../../crypto/frost/wipe';
import { CeremonyFault, type CeremonyEnv, type Progress } from './ceremonies/common';
import { HostJournal } from './journal';
import { takeTail } from './log-tail';
import type { LogTail } from './protocol';
import { SigningKeys } from './signing-keys';
import type { SealedShare } from './wire';

/** A refusal in plain words: the evidence does not hold (POLICY_DENIED), or the signer's memory or main's log was cut or rewritten (TAMPERING_DETECTED). */
export class GateRefusal extends Error {
  override readonly name = 'GateRefusal';
  constructor(
    message: string,
    readonly code: 'POLICY_DENIED' | 'TAMPERING_DETECTED' = 'POLICY_DENIED',
  ) {
    super(message);
  }
}

/** The signer lacks records before the tail main sent (it restarted with less): main sends its log again from `resendFrom`. */
export class LogBehind extends Error {
  override readonly name = 'LogBehind';
  constructor(readonly resendFrom: number) {
    super(`this signer holds the log up to record ${resendFrom - 1}; send it again from record ${resendFrom}`);
  }
}

/** A checkpoint is written when this many pinned records are not in the last one, and after a sync that adds this many. */
export const CHECKPOINT_EVERY = 1000;
export const CHECKPOINT_AFTER_SYNC = 100;

/** Beyond this many requests waiting behind the running one, a request is refused (busy) instead of piling up secrets. */
export const MAX_WAITING = 16;

export interface SignerGateOptions {
  /** The signer's own folder (its journal); null: it refuses everything but status (it could not remember what it did). */
  dataDir: string | null;
  /** Wall-clock ms: delays, velocity windows, receipt times. */
  now: () => number;
  /** The host's CSPRNG. */
  rng: Rng;
  /** A monotonic clock (ms), for spacing progress events. */
  monotonic: () => number;
  /** How the signer yields between units of work, so pings are answered mid-ceremony. */
  pause: () => Promise<void>;
  /** Where DKG rounds run (worker threads). */
  dkgPool: DkgPool;
  /** Where the signer says what a person may want to know (a full replay after its checkpoint went missing). */
  warn?: (line: string) => void;
  /** Overrides CHECKPOINT_EVERY (tests make checkpoints often). */
  checkpointEvery?: number;
}

export interface SignerStatus {
  hostId: string;
  anchor: { vaultId: string; vaultName: string; genesisAddress: string; confirmedBy: string } | null;
  pinnedSeq: number;
  problem: string | null;
  /** How the signer rebuilt its state at start, when a person may want to know (no checkpoint: a full replay), or null. */
  notice?: string | null;
}

/** A custodian bringing their sealed share: the secret their device gave to open it, and their use statement's signature. */
export interface UnsealingParty {
  partyId: PartyId;
  sealed: Uint8Array;
  unsealSecret: Uint8Array;
  useSignature: string;
}

export interface KeyedOutcome {
  ceremonyId: string;
  walletId: string;
  ceremony: 'dkg' | 'refresh' | 'reshare';
  keyVersion: number;
  groupKey: GroupKey;
  shares: SealedShare[];
}

/** A refresh or reshare as a coordinator asks a node for it: every field is checked against the node's own log. */
export interface ReshareRequest {
  ceremonyId: string;
  walletId: string;
  ceremony: 'refresh' | 'reshare';
  dealers: PartyId[];
  receivers: PartyId[];
  threshold: number;
  head: { seq: number; fingerprint: string };
}

type Report = (p: Progress) => void;

/**
 * Runs one party's driver to its end with the other parties of its session: a RelaySession over the team's relay (or
 * files), or in-process delivery in tests. The gate builds the driver only after its checks, with the share it opened.
 */
export type RunParty = <R>(driver: CeremonyDriver<R>) => Promise<R>;

export class SignerGate {
  private journal: HostJournal | null = null;
  private state: GovernanceState | null = null;
  /** The fingerprint of the pinned log (main/store/log-head.ts), which main's tails must reach. */
  private fingerprint = FINGERPRINT_START;
  /** The last pinned seq in the checkpoint on disk (-1: none). */
  private checkpointSeq = -1;
  private loaded = false;
  /** Why the signer's checkpoint cannot be trusted, or null. */
  private checkpointProblem: string | null = null;
  private notice: string | null = null;
  private readonly keys = new SigningKeys();
  private queue: Promise<unknown> = Promise.resolve();
  private waiting = 0;
  private stopped = false;

  constructor(private readonly options: SignerGateOptions) {}

  status(): SignerStatus {
    if (this.options.dataDir === null) return { hostId: '0'.repeat(16), anchor: null, pinnedSeq: -1, problem: noFolder };
    const j = this.journalOf();
    const a = j.anchor;
    return {
      hostId: j.hostId,
      anchor: a === null ? null : { vaultId: a.anchor.vaultId, vaultName: a.anchor.vaultName, genesisAddress: a.anchor.genesisAddress, confirmedBy: a.confirmedBy },
      pinnedSeq: j.pinned.length - 1,
      problem: j.problem !== null ? damaged(this.options.dataDir, j.problem) : this.checkpointProblem,
      notice: this.notice,
    };
  }

  /** Pins the vault: the anchor statement must be signed by the confirming device, and the log must start at that genesis. */
  pinAnchor(input: { vaultId: string; vaultName: string; genesisAddress: string; confirmedBy: string; signature: string; records: readonly string[] }): Promise<SignerStatus> {
    return this.exclusive(async () => {
      const journal = this.open();
      const anchor: HostAnchor = { vaultId: input.vaultId, vaultName: input.vaultName, genesisAddress: input.genesisAddress, hostId: journal.hostId };
      if (journal.anchor !== null) {
        const pinned = journal.anchor.anchor;
        if (pinned.vaultId === anchor.vaultId && sameAddress(pinned.genesisAddress, anchor.genesisAddress)) return this.status();
        throw new GateRefusal(`this signer is pinned to vault "${pinned.vaultName}" (${pinned.vaultId}); it takes no other vault`, 'TAMPERING_DETECTED');
      }
      if (!verifyStatement(hostAnchorStatement(anchor), input.signature, input.confirmedBy)) {
        throw new GateRefusal(`the vault anchor is not signed by the device ${input.confirmedBy} for this signer (${journal.hostId})`);
      }
      const fresh = newRecords([], input.records);
      if ('refused' in fresh) throw new GateRefusal(fresh.refused);
      const state = this.genesisMatches(anchor, input.records);
      const confirmer = state.users.find((u) => sameAddress(u.identityAddress, input.confirmedBy));
      if (confirmer === undefined || confirmer.status !== 'active') throw new GateRefusal(`the device ${input.confirmedBy} that confirmed the vault is no active member of it`);
      const receivedAt = this.options.now();
      journal.append([
        { kind: 'anchor', anchor, confirmedBy: input.confirmedBy, signature: input.signature, at: receivedAt },
        ...fresh.fresh.map((f) => ({ kind: 'record' as const, seq: f.seq, hash: recordHash(f.body), receivedAt, body: f.body })),
      ]);
      this.state = state;
      this.fingerprint = fresh.fresh.reduce((fp, f) => extendFingerprint(fp, f.seq, f.body), FINGERPRINT_START);
      // Always: a checkpoint left from a folder this signer was pinned in before belongs to another journal.
      this.checkpoint();
      return this.status();
    });
  }

  /** Takes the log as it grows: pins records it has not seen (after they replay) with the time it first saw them. */
  sync(tail: LogTail): Promise<{ seq: number }> {
    return this.exclusive(async () => {
      this.take(tail);
      return { seq: this.open().pinned.length - 1 };
    });
  }

  /** Signs a transfer request once the evidence holds by this signer's own log, ledger and clock. */
  signTransfer(
    input: { ceremonyId: string; requestId: string; log: LogTail; signers: UnsealingParty[] },
    report: Report,
  ): Promise<{ ruleId: string; signatures: { index: number; signature: Uint8Array }[] }> {
    return this.exclusive(async () => {
      const state = this.take(input.log);
      singleDeskOnly(state, 'sign a transfer');
      const { plan, wallet, key } = this.transferPlan(state, input.requestId);
      if (input.signers.length < key.threshold) throw new GateRefusal(`${input.signers.length} custodians brought their shares; ${wallet.name} needs ${key.threshold}`);
      this.checkUses(state, wallet, { transfer: plan.transfer }, input.signers);
      const root = this.keys.root(wallet.id, key);
      const signatures: { index: number; signature: Uint8Array }[] = [];
      for (const inputs of byPath(plan.inputs)) {
        const path = inputs[0]!.path;
        const out = await runSign(
          {
            ceremonyId: `${input.ceremonyId}/${path.join('-') || 'root'}`,
            walletId: plan.walletId,
            keyVersion: key.keyVersion,
            groupKey: root,
            path,
            child: this.keys.child(wallet.id, key, path),
            messages: inputs.map((i) => i.sighash),
            signers: input.signers.map((s) => ({ partyId: s.partyId, sealed: s.sealed.slice(), unsealSecret: s.unsealSecret.slice() })),
          },
          this.env(input.ceremonyId, report),
        );
        // runSign verified each signature under this very child key (its verify step); here only one per input is asked.
        inputs.forEach((i, k) => {
          const sig = out.signatures[k];
          if (sig === undefined) throw new CeremonyFault('internal', `input ${i.index} got no signature`);
          signatures.push({ index: i.index, signature: sig });
        });
      }
      // Written before the signatures leave: a crash after this line costs a request, never a second signing.
      this.journalSigned(input.requestId, plan);
      return { ruleId: plan.ruleId, signatures: signatures.sort((a, b) => a.index - b.index) };
    });
  }

  /**
   * A signer node's part of a transfer's signing, its other parties elsewhere: the same evidence as signTransfer, from
   * this node's own replica (no log is taken from the coordinator), its own share only, opened with its own device's
   * use statement. The coordinator's log head must be this node's: a server that showed them two histories, or a node
   * behind, stops here. One session per wallet path signed under; `channelFor` connects each to the other parties.
   */
  signTransferAsParty(
    input: { ceremonyId: string; requestId: string; signers: PartyId[]; self: UnsealingParty; head: { seq: number; fingerprint: string } },
    run: RunParty,
    report: Report,
  ): Promise<{ sessions: string[] }> {
    return this.exclusive(async () => {
      const { state, plan, wallet, key, signers, own } = this.partyChecks(input, input.self.partyId);
      this.checkUses(state, wallet, { transfer: plan.transfer }, [input.self]);
      const root = this.keys.root(wallet.id, key);
      let journaled = false;
      // Journaled before the first signature share leaves: a crash after it costs a request, never a second signing.
      const beforeShare = () => {
        if (journaled) return;
        this.journalSigned(input.requestId, plan);
        journaled = true;
      };
      const sessions: string[] = [];
      for (const inputs of byPath(plan.inputs)) {
        const path = inputs[0]!.path;
        const sessionId = `${input.ceremonyId}/${path.join('-') || 'root'}`;
        sessions.push(sessionId);
        const child = this.keys.child(wallet.id, key, path);
        report({ step: 'unseal', done: 0, total: 1 });
        const share = openChildShare(input.self, { ceremonyId: sessionId, walletId: wallet.id, keyVersion: key.keyVersion }, root, child);
        // The driver owns the share from here and wipes it however the session ends.
        const driver = new SignDriver({ sessionId, self: own.partyId, signers, messages: inputs.map((i) => i.sighash), publicPackage: child.groupKey.publicPackage }, share, this.options.rng, { beforeShare });
        report({ step: 'commit', done: 0, total: 1 });
        await run(driver);
      }
      return { sessions };
    });
  }

  /**
   * Every check of signTransferAsParty that needs no use statement, run before a node asks its own device for anything:
   * a request the node's log does not allow, another head, or signers it would refuse never reach the device.
   */
  checkTransferAsParty(input: { requestId: string; signers: PartyId[]; head: { seq: number; fingerprint: string } }): Promise<{ partyId: PartyId; custodian: string; walletId: string; keyVersion: number }> {
    return this.exclusive(async () => {
      const { wallet, key, own } = this.partyChecks(input, null);
      return { partyId: own.partyId, custodian: own.name, walletId: wallet.id, keyVersion: key.keyVersion };
    });
  }

  /** The checks of a party's signing before its use statement: its own head, the request, the signers, its own party. */
  private partyChecks(input: { requestId: string; signers: PartyId[]; head: { seq: number; fingerprint: string } }, self: PartyId | null) {
    const state = this.pinnedState();
    this.sameHead(input.head);
    const { plan, wallet, key } = this.transferPlan(state, input.requestId);
    const custodians = new Set(key.custodians.map((c) => c.partyId));
    const signers = [...new Set(input.signers)];
    if (signers.length !== input.signers.length) throw new GateRefusal('a party is named twice among the signers');
    if (signers.length < key.threshold) throw new GateRefusal(`${signers.length} signers are named; ${wallet.name} needs ${key.threshold}`);
    const outsider = signers.find((p) => !custodians.has(p));
    if (outsider !== undefined) throw new GateRefusal(`party ${outsider} holds no share of ${wallet.name}`);
    const own = this.ownParty(state);
    if (self !== null && self !== own.partyId) throw new GateRefusal(`this signer node is ${own.name}'s (party ${own.partyId}); it signs as no other party`);
    if (!signers.includes(own.partyId)) throw new GateRefusal(`this node's party ${own.partyId} is not among the signers it is asked to sign with`);
    return { state, plan, wallet, key, signers, own };
  }

  /**
   * A signer node's part of the DKG its wallet owes: only if the administrators approved it in this node's own log, and
   * this node's custodian is one of its approved custodians and signed this ceremony's use on their device (that
   * signature is also their device's entropy). Ends with this node's share sealed to its custodian's device, and the
   * group key every party must agree on (the coordinator compares them before the custodians attest it).
   */
  keygenAsParty(
    input: { ceremonyId: string; walletId: string; useSignature: string; head: { seq: number; fingerprint: string } },
    run: RunParty,
    report: Report,
  ): Promise<{ keyVersion: number; partyId: PartyId; groupKey: GroupKey; sealed: Uint8Array }> {
    return this.exclusive(async () => {
      const { state, plan, me } = this.keygenPartyChecks(input);
      this.checkUses(state, plan.wallet, { ceremony: 'dkg', ceremonyId: input.ceremonyId }, [{ partyId: me.partyId, sealed: null, useSignature: input.useSignature }]);
      const deviceEntropy = entropyFromDevice(hexToBytes(input.useSignature.slice(2)), 'dkg', input.ceremonyId, me.partyId);
      try {
        this.open().append([{ kind: 'ceremony', ceremonyId: input.ceremonyId, walletId: plan.wallet.id, ceremony: 'dkg', at: this.options.now() }]);
        report({ step: 'round1', done: 0, total: 1 });
        const out = await run(new DkgDriver({ ceremonyId: input.ceremonyId, self: me.partyId, parties: plan.receivers.map((r) => r.partyId), threshold: plan.threshold }, { rng: this.options.rng, deviceEntropy }));
        let sealed: Uint8Array;
        try {
          report({ step: 'seal', done: 0, total: 1 });
          sealed = sealShare(out.share, me.encryptionKey, { ceremonyId: input.ceremonyId, walletId: plan.wallet.id, keyVersion: 1 }, this.options.rng, deviceEntropy);
        } finally {
          wipeShare(out.share);
        }
        return { keyVersion: 1, partyId: me.partyId, groupKey: out.groupKey, sealed };
      } finally {
        wipeBytes(deviceEntropy);
      }
    });
  }

  /**
   * Every check of keygenAsParty that needs no use statement, run before a node asks its own device for anything: a DKG
   * the node's log does not owe, another head, a custodian not approved for it, or a ceremony id already run never reach
   * the device.
   */
  checkKeygenAsParty(input: { ceremonyId: string; walletId: string; head: { seq: number; fingerprint: string } }): Promise<{ partyId: PartyId; custodian: string; walletId: string; parties: PartyId[]; threshold: number }> {
    return this.exclusive(async () => {
      const { plan, me, own } = this.keygenPartyChecks(input);
      return { partyId: me.partyId, custodian: own.name, walletId: plan.wallet.id, parties: plan.receivers.map((r) => r.partyId), threshold: plan.threshold };
    });
  }

  /** The checks of a party's DKG before its use statement: its own head, the DKG its wallet owes, its own party, a fresh ceremony id. */
  private keygenPartyChecks(input: { ceremonyId: string; walletId: string; head: { seq: number; fingerprint: string } }) {
    const state = this.pinnedState();
    this.sameHead(input.head);
    const plan = ceremonyPlan(state, input.walletId);
    if ('refused' in plan) throw new GateRefusal(plan.refused);
    if (plan.ceremony !== 'dkg') throw new GateRefusal(`wallet ${plan.wallet.name} owes a ${plan.ceremony}, not a DKG`);
    const own = this.ownParty(state);
    const me = plan.receivers.find((r) => r.partyId === own.partyId);
    if (me === undefined) throw new GateRefusal(`${own.name} is not among the approved custodians of ${plan.wallet.name}; this node takes no part in its DKG`);
    this.freshCeremony(input.ceremonyId);
    return { state, plan, own, me };
  }

  /**
   * A signer node's part of the refresh or reshare its wallet owes: only the one the administrators approved in this
   * node's own log (its dealers among the key's current custodians, its receivers and threshold exactly the approved
   * ones). A dealer brings its own current share only, opened with its custodian's device secret after their device
   * signed this very use; a node that only receives brings none. The new key must be the wallet's key unchanged; a
   * receiver's new share is sealed to its own custodian's device under the new key version, and only then returned.
   */
  reshareAsParty(
    input: ReshareRequest & { self: UnsealingParty | null },
    run: RunParty,
    report: Report,
  ): Promise<{ ceremony: 'refresh' | 'reshare'; keyVersion: number; partyId: PartyId; groupKey: GroupKey; sealed: Uint8Array | null }> {
    return this.exclusive(async () => {
      const { state, plan, ceremony, current, own, dealer, receiver } = this.resharePartyChecks(input);
      const self = input.self;
      if (dealer) {
        if (self === null || self.partyId !== own.partyId) throw new GateRefusal(`${own.name} deals in this ${ceremony}: this node brings ${own.name}'s own current share, and no other party's`);
        this.checkUses(state, plan.wallet, { ceremony, ceremonyId: input.ceremonyId }, [self]);
      } else if (self !== null) {
        throw new GateRefusal(`${own.name} only receives in this ${ceremony}: this node opens no share for it`);
      }
      const ctx = { ceremonyId: input.ceremonyId, walletId: plan.wallet.id };
      // A dealer's randomness and sealing mix its device's secret in, as the single-desk host's reshare does.
      const deviceEntropy = dealer ? entropyFromDevice((self as UnsealingParty).unsealSecret, 'dealer', input.ceremonyId, own.partyId) : null;
      try {
        this.open().append([{ kind: 'ceremony', ceremonyId: input.ceremonyId, walletId: plan.wallet.id, ceremony, at: this.options.now() }]);
        report({ step: 'unseal', done: 0, total: 1 });
        const share = dealer ? unsealShare({ partyId: own.partyId, sealed: (self as UnsealingParty).sealed.slice(), unsealSecret: (self as UnsealingParty).unsealSecret.slice() }, { ...ctx, keyVersion: plan.fromKeyVersion }, current.publicPackage) : null;
        report({ step: 'collect', done: 0, total: 1 });
        // The driver owns the old share from here and wipes it however the session ends.
        const driver = new ReshareDriver(
          { ceremonyId: input.ceremonyId, mode: ceremony, self: own.partyId, current, dealers: [...input.dealers], receivers: plan.receivers.map((r) => r.partyId), threshold: plan.threshold },
          share,
          deviceEntropy === null ? null : { rng: this.options.rng, deviceEntropy },
        );
        const out = await run(driver);
        try {
          if (!sameBytes(out.groupKey.outputKey, current.outputKey) || !sameBytes(out.groupKey.internalKey, current.internalKey) || !sameBytes(out.groupKey.chainCode, current.chainCode)) {
            throw new GateRefusal(`the ${ceremony} of ${plan.wallet.name} ended with another key than the wallet's; this node sealed nothing`);
          }
          if (!receiver) return { ceremony, keyVersion: plan.toKeyVersion, partyId: own.partyId, groupKey: out.groupKey, sealed: null };
          if (out.share === null) throw new GateRefusal(`the ${ceremony} of ${plan.wallet.name} ended without a new share for ${own.name}; this node sealed nothing`);
          report({ step: 'seal', done: 0, total: 1 });
          const me = plan.receivers.find((r) => r.partyId === own.partyId)!;
          const entropy = deviceEntropy ?? receiverEntropy(out.share);
          try {
            const sealed = sealShare(out.share, me.encryptionKey, { ...ctx, keyVersion: plan.toKeyVersion }, this.options.rng, entropy);
            return { ceremony, keyVersion: plan.toKeyVersion, partyId: own.partyId, groupKey: out.groupKey, sealed };
          } finally {
            if (entropy !== deviceEntropy) wipeBytes(entropy);
          }
        } finally {
          if (out.share !== null) wipeShare(out.share);
        }
      } finally {
        if (deviceEntropy !== null) wipeBytes(deviceEntropy);
      }
    });
  }

  /**
   * Every check of reshareAsParty that needs no device, run before a node asks its own device for anything: a ceremony
   * the node's log does not owe, other dealers, receivers or threshold than approved, another head, a party not in it,
   * or a ceremony id already run never reach the device. Says whether this node deals (it opens its share) and receives.
   */
  checkReshareAsParty(input: ReshareRequest): Promise<{ partyId: PartyId; custodian: string; walletId: string; ceremony: 'refresh' | 'reshare'; dealer: boolean; receiver: boolean; keyVersion: number }> {
    return this.exclusive(async () => {
      const { plan, ceremony, own, dealer, receiver } = this.resharePartyChecks(input);
      return { partyId: own.partyId, custodian: own.name, walletId: plan.wallet.id, ceremony, dealer, receiver, keyVersion: plan.toKeyVersion };
    });
  }

  /** The checks of a party's refresh or reshare before any device is asked: the approved ceremony, exactly, from this node's own log. */
  private resharePartyChecks(input: ReshareRequest) {
    const state = this.pinnedState();
    this.sameHead(input.head);
    const plan = ceremonyPlan(state, input.walletId);
    if ('refused' in plan) throw new GateRefusal(plan.refused);
    const ceremony = plan.ceremony;
    if (ceremony === 'dkg' || plan.current === null) throw new GateRefusal(`wallet ${plan.wallet.name} owes a DKG, not a ${input.ceremony}`);
    if (input.ceremony !== ceremony) throw new GateRefusal(`wallet ${plan.wallet.name} owes a ${ceremony} the administrators approved, not a ${input.ceremony}`);
    const name = plan.wallet.name;
    const approved = plan.receivers.map((r) => r.partyId);
    sameParties(input.receivers, approved, `the ${ceremony} of ${name} gives new shares to exactly its ${approved.length} approved custodians (parties ${approved.join(', ')}), not to parties ${input.receivers.join(', ') || 'none'}`);
    if (new Set(input.receivers).size !== input.receivers.length) throw new GateRefusal(`a receiver is named twice in the ${ceremony} of ${name}`);
    if (input.threshold !== plan.threshold) throw new GateRefusal(`the ${ceremony} of ${name} was approved with threshold ${plan.threshold}, not ${input.threshold}`);
    const dealers = new Set(input.dealers);
    if (dealers.size !== input.dealers.length) throw new GateRefusal(`a dealer is named twice in the ${ceremony} of ${name}`);
    const allowed = new Set(plan.dealers);
    const outsider = input.dealers.find((d) => !allowed.has(d));
    if (outsider !== undefined) throw new GateRefusal(`party ${outsider} holds no share of ${name} that may deal`);
    if (dealers.size < plan.dealersNeeded) throw new GateRefusal(`the ${ceremony} of ${name} needs ${plan.dealersNeeded} dealers; ${dealers.size} are named`);
    const own = this.ownParty(state);
    const dealer = dealers.has(own.partyId);
    const receiver = approved.includes(own.partyId);
    if (!dealer && !receiver) throw new GateRefusal(`${own.name} neither deals nor receives in the ${ceremony} of ${name}; this node takes no part in it`);
    this.freshCeremony(input.ceremonyId);
    return { state, plan, ceremony, current: plan.current.groupKey, own, dealer, receiver };
  }

  /** Whether this signer's journal holds ceremony `ceremonyId` (it ran, or began, under this id: the id is spent). */
  ranCeremony(ceremonyId: string): boolean {
    return this.open().ceremonies.has(ceremonyId);
  }

  /** This signer's log head: what a coordinator's must equal before a session starts. */
  head(): { seq: number; fingerprint: string } {
    return { seq: this.open().pinned.length - 1, fingerprint: this.fingerprint };
  }

  /** The DKG a wallet owes: exactly the approved custodians, each with their device-signed use statement. */
  keygen(input: { ceremonyId: string; walletId: string; log: LogTail; parties: { partyId: PartyId; useSignature: string }[] }, report: Report): Promise<KeyedOutcome> {
    return this.exclusive(async () => {
      const state = this.take(input.log);
      singleDeskOnly(state, 'run a DKG');
      const plan = ceremonyPlan(state, input.walletId);
      if ('refused' in plan) throw new GateRefusal(plan.refused);
      if (plan.ceremony !== 'dkg') throw new GateRefusal(`wallet ${plan.wallet.name} owes a ${plan.ceremony}, not a DKG`);
      this.freshCeremony(input.ceremonyId);
      const expected = plan.receivers.map((r) => r.partyId);
      sameParties(input.parties.map((p) => p.partyId), expected, `the DKG of ${plan.wallet.name} takes exactly its ${expected.length} approved custodians`);
      this.checkUses(state, plan.wallet, { ceremony: 'dkg', ceremonyId: input.ceremonyId }, input.parties.map((p) => ({ ...p, sealed: null })));
      const entropy = new Map(input.parties.map((p) => [p.partyId, entropyFromDevice(hexToBytes(p.useSignature.slice(2)), 'dkg', input.ceremonyId, p.partyId)]));
      try {
        this.open().append([{ kind: 'ceremony', ceremonyId: input.ceremonyId, walletId: plan.wallet.id, ceremony: 'dkg', at: this.options.now() }]);
        const out = await runDkg(
          {
            ceremonyId: input.ceremonyId,
            walletId: plan.wallet.id,
            keyVersion: 1,
            threshold: plan.threshold,
            parties: plan.receivers.map((r) => ({ partyId: r.partyId, encryptionKey: r.encryptionKey, deviceEntropy: entropy.get(r.partyId) as Uint8Array })),
          },
          this.env(input.ceremonyId, report),
        );
        return { ceremonyId: input.ceremonyId, walletId: plan.wallet.id, ceremony: 'dkg', keyVersion: 1, groupKey: out.groupKey, shares: out.shares };
      } finally {
        wipeBytes(...entropy.values());
      }
    });
  }

  /** The refresh or reshare a wallet owes, dealt by current custodians who each signed their use statement. */
  reshare(input: { ceremonyId: string; walletId: string; log: LogTail; dealers: UnsealingParty[] }, report: Report): Promise<KeyedOutcome> {
    return this.exclusive(async () => {
      const state = this.take(input.log);
      singleDeskOnly(state, 'refresh or reshare a key');
      const plan = ceremonyPlan(state, input.walletId);
      if ('refused' in plan) throw new GateRefusal(plan.refused);
      if (plan.ceremony === 'dkg' || plan.current === null) throw new GateRefusal(`wallet ${plan.wallet.name} owes a DKG, not a ${'refresh or reshare'}`);
      this.freshCeremony(input.ceremonyId);
      const allowed = new Set(plan.dealers);
      const outsider = input.dealers.find((d) => !allowed.has(d.partyId));
      if (outsider !== undefined) throw new GateRefusal(`party ${outsider.partyId} holds no share of ${plan.wallet.name} that may deal`);
      if (input.dealers.length < plan.dealersNeeded) {
        throw new GateRefusal(`the ${plan.ceremony} of ${plan.wallet.name} needs ${plan.dealersNeeded} dealers; ${input.dealers.length} brought their shares`);
      }
      this.checkUses(state, plan.wallet, { ceremony: plan.ceremony, ceremonyId: input.ceremonyId }, input.dealers);
      const dealers = input.dealers.map((d) => ({
        partyId: d.partyId,
        sealed: d.sealed.slice(),
        unsealSecret: d.unsealSecret.slice(),
        deviceEntropy: entropyFromDevice(d.unsealSecret, 'dealer', input.ceremonyId, d.partyId),
      }));
      try {
        this.open().append([{ kind: 'ceremony', ceremonyId: input.ceremonyId, walletId: plan.wallet.id, ceremony: plan.ceremony, at: this.options.now() }]);
        const out = await runReshare(
          {
            ceremonyId: input.ceremonyId,
            walletId: plan.wallet.id,
            mode: plan.ceremony === 'refresh' ? 'refresh' : 'reshare',
            fromKeyVersion: plan.fromKeyVersion,
            toKeyVersion: plan.toKeyVersion,
            groupKey: plan.current.groupKey,
            dealers,
            receivers: plan.receivers.map((r) => ({ partyId: r.partyId, encryptionKey: r.encryptionKey })),
            threshold: plan.threshold,
          },
          this.env(input.ceremonyId, report),
        );
        return { ceremonyId: input.ceremonyId, walletId: plan.wallet.id, ceremony: plan.ceremony, keyVersion: plan.toKeyVersion, groupKey: out.groupKey, shares: out.shares };
      } finally {
        for (const d of dealers) wipeBytes(d.unsealSecret, d.deviceEntropy);
      }
    });
  }

  /** Drops what waits and makes the running ceremony stop (and wipe) at its next pause. */
  stop(): void {
    this.stopped = true;
  }

  // ---------------------------------------------------------------------------------------------------

  /** The evidence for a transfer, by this signer's own log, ledger and clock: refused in words, or the plan to sign. */
  private transferPlan(state: GovernanceState, requestId: string) {
    const journal = this.open();
    const plan = signingPlan({
      state,
      requestId,
      ledger: journal.signed.map((e) => ({ requestId: e.requestId, walletId: e.walletId, ruleId: e.ruleId, amount: BigInt(e.amount), signedAt: e.signedAt })),
      receivedAt: (seq) => journal.pinned[seq]?.receivedAt,
      now: this.options.now(),
    });
    if ('refused' in plan) throw new GateRefusal(plan.refused);
    const wallet = requireWallet(state, plan.walletId);
    const key = wallet.key;
    if (key === null) throw new GateRefusal('the wallet has no key');
    return { plan, wallet, key };
  }

  private journalSigned(requestId: string, plan: { walletId: string; ruleId: string; transfer: { request: { amount: string } } }): void {
    this.open().append([{ kind: 'signed', requestId, walletId: plan.walletId, ruleId: plan.ruleId, amount: plan.transfer.request.amount, signedAt: this.options.now() }]);
  }

  /** The state of the pinned log as it stands (a signer node follows the log itself; nothing is taken from the caller). */
  private pinnedState(): GovernanceState {
    const journal = this.open();
    if (journal.anchor === null || this.state === null) {
      throw new GateRefusal(`this signer (${journal.hostId}) is not pinned to a vault yet: its custodian confirms the vault and its genesis administrator on their device first`);
    }
    return this.state;
  }

  /** The custodian whose device registered this node (its id is the signer's own id) in the log, and their party. */
  private ownParty(state: GovernanceState): { name: string; partyId: PartyId } {
    const hostId = this.open().hostId;
    const user = state.users.find((u) => u.node?.nodeId === hostId && u.status === 'active');
    if (user === undefined) throw new GateRefusal(`this signer node (${hostId}) is registered to no active custodian in the log: its custodian registers it on their device first`);
    return { name: user.name, partyId: partyIdFor(user.id) };
  }

  private sameHead(theirs: { seq: number; fingerprint: string }): void {
    const mine = this.head();
    if (theirs.seq > mine.seq) throw new GateRefusal(`this signer holds the log up to record ${mine.seq} and the session starts at record ${theirs.seq}: it catches up first`);
    if (theirs.seq < mine.seq) throw new GateRefusal(`the session starts at record ${theirs.seq} and this signer holds the log up to record ${mine.seq}: the coordinator catches up first`);
    if (theirs.fingerprint !== mine.fingerprint) {
      throw new GateRefusal(`the coordinator's log and this signer's differ at record ${mine.seq}: the server showed them two histories. This signer signs nothing on either until a person compares the heads`, 'TAMPERING_DETECTED');
    }
  }

  /** Every party's use statement, checked before any share is opened: one refusal names the first that fails. */
  private checkUses(state: GovernanceState, wallet: WalletState, subject: ShareUseSubject, parties: { partyId: PartyId; sealed: Uint8Array | null; useSignature: string }[]): void {
    for (const p of parties) {
      const checked = checkShareUse({
        state,
        wallet,
        subject,
        partyId: p.partyId,
        sealedDigest: p.sealed === null ? null : bytesToHex(sha256(p.sealed)),
        signature: p.useSignature,
        verify: verifyStatement,
      });
      if ('refused' in checked) throw new GateRefusal(checked.refused);
    }
  }

  private freshCeremony(ceremonyId: string): void {
    if (this.open().ceremonies.has(ceremonyId)) throw new GateRefusal(`ceremony ${ceremonyId} already ran on this signer; a use statement counts once`);
  }

  /** The log's genesis must be the anchor's vault and administrator: nothing else is replayed as this vault. */
  private genesisMatches(anchor: HostAnchor, records: readonly string[]): GovernanceState {
    let genesis: { type?: unknown; vaultId?: unknown; vaultName?: unknown; admin?: { identityAddress?: unknown } };
    try {
      genesis = JSON.parse(records[0] ?? 'null') as typeof genesis;
    } catch {
      throw new GateRefusal('the first record of the log is not JSON');
    }
    if (genesis?.type !== 'genesis' || genesis.vaultId !== anchor.vaultId || typeof genesis.admin?.identityAddress !== 'string' || !sameAddress(genesis.admin.identityAddress, anchor.genesisAddress)) {
      throw new GateRefusal(`the log offered does not start at the genesis this signer is pinned to (vault ${anchor.vaultId}, administrator ${anchor.genesisAddress})`, 'TAMPERING_DETECTED');
    }
    if (genesis.vaultName !== anchor.vaultName) throw new GateRefusal(`the genesis names the vault "${String(genesis.vaultName)}", the anchor "${anchor.vaultName}"`, 'TAMPERING_DETECTED');
    const replayed = replayBodies(records);
    if ('refused' in replayed) throw new GateRefusal(replayed.refused);
    return replayed.state;
  }

  /**
   * Checks main's tail against the pinned log (it must bind to it: see log-tail.ts), replays what is new, pins it;
   * returns the state it leads to.
   */
  private take(tail: LogTail): GovernanceState {
    const journal = this.open();
    const anchor = journal.anchor;
    if (anchor === null) {
      throw new GateRefusal(`this signer (${journal.hostId}) is not pinned to a vault yet: a member of the vault confirms the vault and its genesis administrator on their device first`);
    }
    const taken = takeTail({ pinned: journal.pinned, fingerprint: this.fingerprint }, tail);
    if ('resendFrom' in taken) throw new LogBehind(taken.resendFrom);
    if ('refused' in taken) throw new GateRefusal(`${taken.refused}; this signer signs nothing on a log cut short or rewritten`, 'TAMPERING_DETECTED');
    let state = this.state as GovernanceState;
    if (taken.fresh.length > 0) {
      const next = extendState(state, taken.fresh.map((f) => f.body));
      if ('refused' in next) throw new GateRefusal(next.refused);
      const receivedAt = this.options.now();
      journal.append(taken.fresh.map((f) => ({ kind: 'record' as const, seq: f.seq, hash: recordHash(f.body), receivedAt, body: f.body })));
      state = next.state;
      this.state = state;
      this.fingerprint = taken.fingerprint;
      this.checkpointAfter(taken.fresh.length);
    }
    return state;
  }

  /**
   * Rebuilds the state once per process: from the checkpoint (its digests, and its journal line, checked) and the
   * records pinned after it; with no checkpoint, from the whole journal, and says so. A checkpoint that does not hold
   * is tampering: the signer acts on nothing until a person looks, as for its journal.
   */
  private load(journal: HostJournal): void {
    if (this.loaded) return;
    this.loaded = true;
    if (journal.problem !== null || journal.anchor === null) return;
    const dir = journal.folder;
    const started = this.options.monotonic();
    const read = readCheckpoint(dir);
    if ('problem' in read) {
      this.checkpointProblem = checkpointTampered(dir, read.problem);
      return;
    }
    let state: GovernanceState | null = null;
    let fingerprint = FINGERPRINT_START;
    let from = 0;
    if ('checkpoint' in read) {
      const cp = read.checkpoint;
      const at = journal.lineOf(cp.seq);
      if (at === undefined || at.n !== cp.line || at.hash !== cp.lineHash) {
        this.checkpointProblem = checkpointTampered(
          dir,
          `the signer's checkpoint (${checkpointFile(dir)}) was made for another journal: its record ${cp.seq} is not on line ${cp.line + 1} of this signer's journal, or that line is not the one it names`,
        );
        return;
      }
      state = cp.state;
      fingerprint = cp.fingerprint;
      from = cp.seq + 1;
      this.checkpointSeq = cp.seq;
    }
    const bodies = journal.pinned.slice(from).map((p) => p.body);
    const replayed = state === null ? replayBodies(bodies) : extendState(state, bodies);
    if ('refused' in replayed) {
      this.checkpointProblem = damaged(dir, `this signer's own pinned log does not replay: ${replayed.refused}`);
      return;
    }
    for (const p of journal.pinned.slice(from)) fingerprint = extendFingerprint(fingerprint, p.seq, p.body);
    this.state = replayed.state;
    this.fingerprint = fingerprint;
    if ('absent' in read && journal.pinned.length > 0) {
      const ms = Math.round(this.options.monotonic() - started);
      this.notice = `No checkpoint was found in ${dir}: the signer re-verified its whole journal (${journal.pinned.length} records) in ${ms} ms and wrote a new checkpoint. Nothing is wrong if this follows an update or a cleanup of the folder.`;
      this.options.warn?.(`mpc-host: ${this.notice}`);
      this.checkpoint();
    } else if (journal.pinned.length - 1 - this.checkpointSeq >= this.every()) {
      this.checkpoint();
    }
  }

  private every(): number {
    return this.options.checkpointEvery ?? CHECKPOINT_EVERY;
  }

  /** After records were pinned: a checkpoint when many came at once, or many are not in the last one. */
  private checkpointAfter(added: number): void {
    const pinned = this.open().pinned.length - 1;
    if (added >= Math.min(CHECKPOINT_AFTER_SYNC, this.every()) || pinned - this.checkpointSeq >= this.every()) this.checkpoint();
  }

  /** Writes the state as it stands; a failure costs only a longer replay at the next start, so it is said, not thrown. */
  private checkpoint(): void {
    const journal = this.open();
    const seq = journal.pinned.length - 1;
    const at = journal.lineOf(seq);
    if (this.state === null || at === undefined) return;
    try {
      writeCheckpoint(journal.folder, { seq, line: at.n, lineHash: at.hash, fingerprint: this.fingerprint, state: this.state });
      this.checkpointSeq = seq;
    } catch (err) {
      this.options.warn?.(`mpc-host: the checkpoint at record ${seq} could not be written (${(err as Error).message}); the next start replays more of the journal`);
    }
  }

  private journalOf(): HostJournal {
    if (this.journal === null) this.journal = HostJournal.open(this.options.dataDir as string, this.options.now);
    this.load(this.journal);
    return this.journal;
  }

  private open(): HostJournal {
    if (this.options.dataDir === null) throw new GateRefusal(noFolder);
    const journal = this.journalOf();
    if (journal.problem !== null) throw new GateRefusal(damaged(this.options.dataDir, journal.problem), 'TAMPERING_DETECTED');
    if (this.checkpointProblem !== null) throw new GateRefusal(this.checkpointProblem, 'TAMPERING_DETECTED');
    return journal;
  }

  private env(ceremonyId: string, report: Report): CeremonyEnv {
    void ceremonyId;
    return {
      rng: this.options.rng,
      now: this.options.monotonic,
      dkgPool: this.options.dkgPool,
      progress: report,
      pause: async () => {
        await this.options.pause();
        if (this.stopped) throw new CeremonyFault('internal', 'the MPC host is shutting down');
      },
    };
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    if (this.stopped) return Promise.reject(new CeremonyFault('internal', 'the MPC host is shutting down'));
    if (this.waiting > MAX_WAITING) return Promise.reject(new CeremonyFault('busy', `the MPC host has ${this.waiting} requests waiting; try again when they are done`));
    this.waiting++;
    const run = this.queue.then(
      () => {
        this.waiting--;
        return work();
      },
      () => {
        this.waiting--;
        return work();
      },
    );
    this.queue = run.catch(() => undefined);
    return run;
  }
}

const noFolder = 'this MPC host was started without a data folder, so it cannot keep the journal it needs to sign; it signs nothing';

function checkpointTampered(dir: string, problem: string): string {
  return `${problem}. This signer signs nothing until a person looks: if nobody here edited it, treat this computer as possibly compromised. The checkpoint only saves time, so once that is settled, delete ${checkpointFile(dir)} and restart Custos: the signer then re-verifies its whole journal and writes a new one.`;
}

function damaged(dir: string, problem: string): string {
  return `${problem}. This signer (folder ${dir}) signs nothing until a person resolves it: move the folder aside for investigation, then confirm the vault again on a member's device.`;
}

/** A request's inputs grouped by the wallet path they spend: one signing session per path. */
function byPath<T extends { path: number[] }>(inputs: readonly T[]): T[][] {
  const groups = new Map<string, T[]>();
  for (const i of inputs) groups.set(i.path.join('/'), [...(groups.get(i.path.join('/')) ?? []), i]);
  return [...groups.values()];
}

/**
 * What a node that only receives mixes into the sealing of its new share, having no device secret in the ceremony: the
 * new share itself (hashed under its own label), which whoever predicts a broken host RNG still does not know.
 */
function receiverEntropy(share: { signingShare: Uint8Array }): Uint8Array {
  return sha256(lengthPrefixed(utf8ToBytes('custos/reshare/receiver-seal/v1'), share.signingShare));
}

function requireWallet(state: GovernanceState, walletId: string): WalletState {
  const w = state.wallets.find((x) => x.id === walletId);
  if (w === undefined) throw new GateRefusal(`there is no wallet ${walletId} in the signed log`);
  return w;
}

function sameParties(given: readonly string[], expected: readonly string[], what: string): void {
  const a = [...given].sort().join();
  const b = [...expected].sort().join();
  if (a !== b) throw new GateRefusal(what);
}

const sameAddress = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/**
 * The single desk's ceremonies (shares brought by main) end when the pinned log says team mode: a compromised main, or
 * a console whose team settings were deleted, gets no signature or key from this host. The AsParty methods stay.
 */
function singleDeskOnly(state: GovernanceState, doing: string): void {
  const refusal = singleDeskRefusal(state, doing);
  if (refusal !== null) throw new GateRefusal(refusal);
}
