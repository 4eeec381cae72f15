// One party of a DKG whose other parties are on other signer nodes: rounds through a channel, its own share sealed to
// its own custodian's device at the end, and nothing but that sealed share and the public key kept.
import { dkgAbort, dkgFinish, dkgStart, dkgStep, type DkgMessage, type DkgState } from '../../../crypto/frost/dkg';
import type { GroupKey, PartyId, SecretShare } from '../../../crypto/frost/types';
import { wipeShare } from '../../../crypto/frost/wipe';
import { CeremonyFault, StepReporter, toFault, type CeremonyEnv } from './common';
import type { PartyChannel } from './sign-party';
import { checkEncryptionKey, sealShare } from './shares';

export type DkgPartyParams = {
  ceremonyId: string;
  walletId: string;
  keyVersion: number;
  threshold: number;
  /** Every party of the new key, this one included. */
  parties: PartyId[];
  self: { partyId: PartyId; encryptionKey: Uint8Array; deviceEntropy: Uint8Array };
};

/** Round 1 broadcast, round 2 one share to each other party (the channel seals it to them), finish, seal own share. */
export async function runDkgParty(params: DkgPartyParams, channel: PartyChannel<DkgMessage>, env: CeremonyEnv): Promise<{ groupKey: GroupKey; sealed: Uint8Array }> {
  const report = new StepReporter(env);
  let state: DkgState | null = null;
  let share: SecretShare | null = null;
  try {
    checkEncryptionKey(params.self.partyId, params.self.encryptionKey);
    await report.begin('round1', 1);
    const started = dkgStart({ ceremonyId: params.ceremonyId, self: params.self.partyId, parties: params.parties, threshold: params.threshold }, { rng: env.rng, deviceEntropy: params.self.deviceEntropy });
    state = started.state;
    await sendWiping(channel, started.outbox);
    await report.begin('round2', 2 * (params.parties.length - 1));
    let received = 0;
    while (state.public.phase !== 'done') {
      if (state.public.phase === 'failed') throw new CeremonyFault('internal', `the DKG ${params.ceremonyId} failed`);
      const message = await channel.receive();
      let outbox: DkgMessage[];
      try {
        const r = dkgStep(state, message);
        state = r.state;
        outbox = r.outbox;
      } finally {
        wipeRound2([message]);
      }
      await report.tick(++received);
      if (outbox.length > 0) await sendWiping(channel, outbox);
    }
    await report.begin('finish', 1);
    const out = dkgFinish(state);
    share = out.share;
    await report.begin('seal', 1);
    const sealed = sealShare(share, params.self.encryptionKey, { ceremonyId: params.ceremonyId, walletId: params.walletId, keyVersion: params.keyVersion }, env.rng, params.self.deviceEntropy);
    return { groupKey: out.groupKey, sealed };
  } catch (err) {
    throw toFault(err);
  } finally {
    if (state !== null) dkgAbort(state, 'the DKG ended');
    if (share !== null) wipeShare(share);
  }
}

/** Round-2 messages carry a secret share for their recipient: wiped here once the channel has taken its copy. */
async function sendWiping(channel: PartyChannel<DkgMessage>, outbox: DkgMessage[]): Promise<void> {
  try {
    await channel.send(outbox);
  } finally {
    wipeRound2(outbox);
  }
}

function wipeRound2(messages: readonly unknown[]): void {
  for (const m of messages) {
    const share = (m as { kind?: unknown; signingShare?: unknown } | null)?.signingShare;
    if ((m as { kind?: unknown }).kind === 'dkg/round2' && share instanceof Uint8Array) share.fill(0);
  }
}
