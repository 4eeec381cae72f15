// Runs a signing session inside the host: unseal the signers' shares, derive the child key's shares, sign, aggregate, verify.
import { schnorr } from '@noble/curves/secp256k1.js';
import { deriveChildKey, deriveChildShare, type ChildKey } from '../../../crypto/frost/hd';
import { signAbort, signStart, signStep } from '../../../crypto/frost/sign';
import type { SignMessage, SignState } from '../../../crypto/frost/sign';
import { COORDINATOR } from '../../../crypto/frost/types';
import type { GroupKey, PartyId, SecretShare } from '../../../crypto/frost/types';
import { wipeShare } from '../../../crypto/frost/wipe';
import { PartyRouter, type Member } from '../party-router';
import { CeremonyFault, StepReporter, toFault, type CeremonyEnv } from './common';
import { unsealShare } from './shares';

export type SignParams = {
  ceremonyId: string;
  walletId: string;
  keyVersion: number;
  groupKey: GroupKey;
  /** Non-hardened BIP-32 path under the wallet key; [] signs with the wallet key itself. */
  path: number[];
  /** The child key at `path`, when the caller has it already (the host keeps it per key version); derived here if not. */
  child?: ChildKey;
  messages: Uint8Array[];
  signers: { partyId: PartyId; sealed: Uint8Array; unsealSecret: Uint8Array }[];
};

export type SignOutcome = { ceremonyId: string; signatures: Uint8Array[] };

/**
 * Steps: unseal (each share opened and checked against its verifying share), commit (fresh nonces per signer, from
 * the host RNG bound to this session and its messages), share (commitments delivered, signature shares made), aggregate
 * (the coordinator checks every share, naming a bad one, and aggregates), verify (each signature checked with BIP-340
 * against the child output key, apart from the FROST code). Shares and nonces are wiped when it ends, whichever way.
 */
export async function runSign(params: SignParams, env: CeremonyEnv): Promise<SignOutcome> {
  const { ceremonyId, walletId, keyVersion, messages } = params;
  const report = new StepReporter(env);
  const held: SecretShare[] = [];
  const parties: Party[] = [];
  let transport: PartyRouter<SignMessage> | null = null;
  try {
    let child;
    try {
      child = params.child ?? deriveChildKey(params.groupKey, params.path);
    } catch (err) {
      throw new CeremonyFault('request', `the path ${params.path.join('/') || '(root)'} gives no child key: ${(err as Error).message}`);
    }
    const publicPackage = child.groupKey.publicPackage;

    await report.begin('unseal', params.signers.length);
    const childShares = new Map<PartyId, SecretShare>();
    for (const [i, s] of params.signers.entries()) {
      const root = unsealShare(s, { ceremonyId, walletId, keyVersion }, params.groupKey.publicPackage);
      held.push(root);
      const share = deriveChildShare(root, child);
      held.push(share);
      childShares.set(s.partyId, share);
      wipeShare(root);
      await report.tick(i + 1);
    }

    const signers = params.signers.map((s) => s.partyId);
    await report.begin('commit', signers.length);
    const commits: SignMessage[] = [];
    // Each share was checked against its verifying share when it was unsealed; the signature shares are checked one by
    // one only if the aggregate fails, which still names the party at fault and halves the coordinator's work.
    const config = { sessionId: ceremonyId, signers, messages, publicPackage, shareCheck: 'on-failure' as const };
    for (const [i, id] of signers.entries()) {
      const r = signStart({ ...config, self: id }, childShares.get(id) as SecretShare, env.rng);
      parties.push({ id, state: r.state });
      commits.push(...r.outbox);
      await report.tick(i + 1);
    }
    const coordinator: Party = { id: COORDINATOR, state: signStart({ ...config, self: null }, null, env.rng).state };
    parties.push(coordinator);
    transport = new PartyRouter<SignMessage>(parties.map(member));

    transport.post(commits);
    await report.begin('share', transport.pending);
    transport.post(await transport.deliver(report.tick));

    await report.begin('aggregate', transport.pending);
    const rest = await transport.deliver(report.tick);
    const signatures = coordinator.state.public.signatures;
    if (rest.length > 0 || coordinator.state.public.phase !== 'done' || signatures === undefined)
      throw new CeremonyFault('internal', 'the signing session ended without signatures');

    await report.begin('verify', messages.length);
    const key = child.groupKey.outputKey;
    for (const [i, sig] of signatures.entries()) {
      if (!schnorr.verify(sig, messages[i] as Uint8Array, key))
        throw new CeremonyFault('internal', `signature ${i} does not verify under the ${params.path.length ? 'child' : 'wallet'} key`);
      await report.tick(i + 1);
    }
    return { ceremonyId, signatures: signatures.map((s) => s.slice()) };
  } catch (err) {
    throw toFault(err);
  } finally {
    transport?.clear();
    for (const p of parties) signAbort(p.state, 'the signing session ended');
    for (const s of held) wipeShare(s);
  }
}

/** One signer or the coordinator: its state lives here and only its own messages reach it. */
type Party = { id: string; state: SignState };

function member(party: Party): Member<SignMessage> {
  return {
    id: party.id,
    receive(message) {
      const r = signStep(party.state, message);
      party.state = r.state;
      return r.outbox;
    },
  };
}
