// One party of a signing session whose other parties are elsewhere (other signer nodes, a coordinator that holds no
// share): its messages go out and come in through a channel (the relay, files), never through shared memory.
import { schnorr } from '@noble/curves/secp256k1.js';
import { deriveChildShare, type ChildKey } from '../../../crypto/frost/hd';
import { signAbort, signStart, signStep, type SignMessage, type SignState } from '../../../crypto/frost/sign';
import type { GroupKey, PartyId, SecretShare } from '../../../crypto/frost/types';
import { wipeShare } from '../../../crypto/frost/wipe';
import { CeremonyFault, StepReporter, toFault, type CeremonyEnv } from './common';
import { unsealShare } from './shares';

/**
 * How one party talks to the others of one session. `receive` resolves with the next message addressed to this party
 * (a broadcast or its own), already authenticated by the transport, and rejects when the session is aborted or expires.
 */
export interface PartyChannel<M> {
  send(messages: readonly M[]): Promise<void>;
  receive(): Promise<M>;
}

/** What a session signs: the same for every party, each working it out from its own replica of the log. */
export type SignSession = {
  /** The session id every message carries (one per wallet path signed under). */
  sessionId: string;
  walletId: string;
  keyVersion: number;
  groupKey: GroupKey;
  child: ChildKey;
  messages: Uint8Array[];
  /** The parties that sign, this one among them when it signs. */
  signers: PartyId[];
};

/**
 * A signer: opens its own share (and only its own), commits, and once every signer's commitments are in, sends its
 * signature share to the coordinator; `beforeShare` runs first (the signer journals what it is about to sign). Its
 * nonces are made here, kept in memory, used once, and wiped however the session ends.
 */
export async function runSignParty(
  session: SignSession,
  self: { partyId: PartyId; sealed: Uint8Array; unsealSecret: Uint8Array },
  channel: PartyChannel<SignMessage>,
  env: CeremonyEnv & { beforeShare?: () => void },
): Promise<void> {
  const report = new StepReporter(env);
  const held: SecretShare[] = [];
  let state: SignState | null = null;
  try {
    await report.begin('unseal', 1);
    const root = unsealShare(self, { ceremonyId: session.sessionId, walletId: session.walletId, keyVersion: session.keyVersion }, session.groupKey.publicPackage);
    held.push(root);
    const share = deriveChildShare(root, session.child);
    held.push(share);
    wipeShare(root);
    await report.begin('commit', 1);
    const started = signStart(config(session, self.partyId), share, env.rng);
    state = started.state;
    await channel.send(started.outbox);
    await report.begin('share', session.signers.length - 1);
    let received = 0;
    while (state.public.phase === 'commit') {
      const message = await channel.receive();
      const r = signStep(state, message);
      state = r.state;
      await report.tick(++received);
      if (r.outbox.length > 0) {
        env.beforeShare?.();
        await channel.send(r.outbox);
      }
    }
    if (state.public.phase !== 'done') throw new CeremonyFault('internal', `the signing session ${session.sessionId} ended in phase ${state.public.phase}`);
  } catch (err) {
    throw toFault(err);
  } finally {
    if (state !== null) signAbort(state, 'the signing session ended');
    for (const s of held) wipeShare(s);
  }
}

/**
 * The coordinator: holds no share; collects the signers' commitments and signature shares, names a bad one, aggregates,
 * and checks each signature with BIP-340 under the child key apart from the FROST code.
 */
export async function runSignCoordinator(session: SignSession, channel: PartyChannel<SignMessage>, env: CeremonyEnv): Promise<Uint8Array[]> {
  const report = new StepReporter(env);
  let state: SignState = signStart(config(session, null), null, env.rng).state;
  try {
    await report.begin('aggregate', session.signers.length * 2);
    let received = 0;
    while (state.public.phase !== 'done') {
      state = signStep(state, await channel.receive()).state;
      await report.tick(++received);
    }
    const signatures = state.public.signatures;
    if (signatures === undefined) throw new CeremonyFault('internal', 'the signing session ended without signatures');
    await report.begin('verify', signatures.length);
    const key = session.child.groupKey.outputKey;
    signatures.forEach((sig, i) => {
      if (!schnorr.verify(sig, session.messages[i] as Uint8Array, key)) throw new CeremonyFault('internal', `signature ${i} does not verify under the session's key`);
    });
    return signatures.map((s) => s.slice());
  } catch (err) {
    throw toFault(err);
  } finally {
    signAbort(state, 'the signing session ended');
  }
}

function config(session: SignSession, self: PartyId | null) {
  return { sessionId: session.sessionId, self, signers: session.signers, messages: session.messages, publicPackage: session.child.groupKey.publicPackage, shareCheck: 'each' as const };
}
