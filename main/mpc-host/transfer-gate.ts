// The host's gate before any share signs a transfer: it checks the whole evidence itself — its own pinned copy of the
// signed log, its own ledger for velocity and replay, its own clock for delays — and only then runs the signing.
import { schnorr } from '@noble/curves/secp256k1.js';
import { deriveChildKey } from '../../crypto/frost/hd';
import type { PartyId } from '../../crypto/frost/types';
import type { GovernanceState } from '../../crypto/governance';
import { groupKeyOf } from '../../crypto/governance/wallet-key';
import { extendState, newRecords, recordHash, replayBodies, signingPlan } from '../../crypto/transfers/evidence';
import { HostLedger } from './host-ledger';
import type { SignOutcome, SignParams } from './ceremonies/sign';

/** A refusal in plain words: the evidence does not hold, or the policy does not allow it now. */
export class GateRefusal extends Error {
  override readonly name = 'GateRefusal';
}

export interface TransferGateOptions {
  /** Where the host keeps its ledger; null: the host refuses every transfer (it could not remember what it signed). */
  dataDir: string | null;
  /** Wall-clock ms: delays and velocity windows are in real time. */
  now: () => number;
  sign: (params: SignParams) => Promise<SignOutcome>;
}

export interface TransferSignInput {
  ceremonyId: string;
  requestId: string;
  records: readonly string[];
  signers: { partyId: PartyId; sealed: Uint8Array; unsealSecret: Uint8Array }[];
}

export class TransferGate {
  private ledger: HostLedger | null = null;
  private state: GovernanceState | null = null;
  /** One at a time: the ledger check and the ledger write of one request must not interleave with another's. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: TransferGateOptions) {}

  /** Takes the log as it grows: pins records it has not seen (after they replay) with the time it first saw them. */
  sync(records: readonly string[]): Promise<{ seq: number }> {
    return this.exclusive(async () => {
      this.take(records);
      return { seq: this.open().pinned.length - 1 };
    });
  }

  sign(input: TransferSignInput): Promise<{ ruleId: string; signatures: { index: number; signature: Uint8Array }[] }> {
    return this.exclusive(async () => {
      const state = this.take(input.records);
      const ledger = this.open();
      const plan = signingPlan({
        state,
        requestId: input.requestId,
        ledger: ledger.signed.map((e) => ({ requestId: e.requestId, walletId: e.walletId, ruleId: e.ruleId, amount: BigInt(e.amount), signedAt: e.signedAt })),
        receivedAt: (seq) => ledger.pinned[seq]?.receivedAt,
        now: this.options.now(),
      });
      if ('refused' in plan) throw new GateRefusal(plan.refused);
      const wallet = state.wallets.find((w) => w.id === plan.walletId);
      const key = wallet?.key;
      if (key === undefined || key === null) throw new GateRefusal('the wallet has no key');
      const root = groupKeyOf(key);
      const byPath = new Map<string, typeof plan.inputs>();
      for (const i of plan.inputs) byPath.set(i.path.join('/'), [...(byPath.get(i.path.join('/')) ?? []), i]);
      const signatures: { index: number; signature: Uint8Array }[] = [];
      for (const [, inputs] of byPath) {
        const path = inputs[0]!.path;
        const out = await this.options.sign({
          ceremonyId: `${input.ceremonyId}/${path.join('-') || 'root'}`,
          walletId: plan.walletId,
          keyVersion: key.keyVersion,
          groupKey: root,
          path,
          messages: inputs.map((i) => i.sighash),
          signers: input.signers.map((s) => ({ ...s, sealed: s.sealed.slice(), unsealSecret: s.unsealSecret.slice() })),
        });
        const outputKey = deriveChildKey(root, path).groupKey.outputKey;
        inputs.forEach((i, k) => {
          const sig = out.signatures[k];
          if (sig === undefined || !schnorr.verify(sig, i.sighash, outputKey)) throw new GateRefusal(`the signature of input ${i.index} does not verify`);
          signatures.push({ index: i.index, signature: sig });
        });
      }
      // Written before the signatures leave: a crash after this line costs a request, never a second signing.
      ledger.recordSigned({
        requestId: input.requestId,
        walletId: plan.walletId,
        ruleId: plan.ruleId,
        amount: plan.transfer.request.amount,
        signedAt: this.options.now(),
      });
      return { ruleId: plan.ruleId, signatures: signatures.sort((a, b) => a.index - b.index) };
    });
  }

  /** Checks the console's log against the pinned one, replays what is new, pins it; returns the state it leads to. */
  private take(records: readonly string[]): GovernanceState {
    const ledger = this.open();
    const fresh = newRecords(ledger.pinned, records);
    if ('refused' in fresh) throw new GateRefusal(fresh.refused);
    let state = this.state;
    if (state === null) {
      const replayed = replayBodies(ledger.pinned.map((p) => p.body));
      if (ledger.pinned.length > 0 && 'refused' in replayed) throw new GateRefusal(`this host's own pinned log does not replay: ${replayed.refused}`);
      state = 'state' in replayed ? replayed.state : null;
    }
    if (fresh.fresh.length > 0) {
      const bodies = fresh.fresh.map((f) => f.body);
      const next = state === null ? replayBodies(bodies) : extendState(state, bodies);
      if ('refused' in next) throw new GateRefusal(next.refused);
      const receivedAt = this.options.now();
      ledger.pin(fresh.fresh.map((f) => ({ seq: f.seq, hash: recordHash(f.body), receivedAt, body: f.body })));
      state = next.state;
    }
    if (state === null) throw new GateRefusal('the console sent no signed log');
    this.state = state;
    return state;
  }

  private open(): HostLedger {
    if (this.ledger !== null) return this.ledger;
    if (this.options.dataDir === null) throw new GateRefusal('this MPC host was started without a data folder, so it cannot keep the ledger it needs to sign transfers');
    this.ledger = HostLedger.open(this.options.dataDir);
    return this.ledger;
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
