// When a signer's `beforeShare` hook runs (a signer node journals the request there, so it never signs it twice): when
// the relay session sends the signature share, not when the driver makes it. A share held for the echo check of a
// coordinator that died never leaves and burns nothing; a hook that fails keeps the share from leaving.
import { afterEach, describe, expect, it } from 'vitest';
import { COORDINATOR, type PartyId } from '../../crypto/frost/types';
import { SignDriver } from '../../main/relay/drivers';
import { RelaySessionError } from '../../main/relay/session';
import { keyring, sighash, startSigning, testKey } from './harness';
import { MemoryHub } from './memory-hub';

const key = testKey(2, 3);
const signers = key.parties.slice(0, 2) as PartyId[];
const ring = keyring([...key.parties, COORDINATOR]);
let hub: MemoryHub | null = null;
afterEach(() => hub?.stop());

/** A signing of one message whose signers count their `beforeShare` calls; `fail` makes the hook throw. */
async function signing(sessionId: string, o: { skip?: string[]; fail?: boolean } = {}) {
  hub = new MemoryHub();
  const hooked = new Map<string, number>();
  const run = await startSigning(key, signers, [sighash(sessionId)], {
    sessionId,
    ring,
    transportFor: () => hub!.transport(),
    expiresInMs: 2_000,
    resendMs: 50,
    ...(o.skip === undefined ? {} : { skip: o.skip }),
    signDriver: (config, share, rng) =>
      new SignDriver(config, share, rng, {
        beforeShare: () => {
          hooked.set(config.self!, (hooked.get(config.self!) ?? 0) + 1);
          if (o.fail === true) throw new Error('the journal cannot be written');
        },
      }),
  });
  const settled = new Map<string, unknown>();
  for (const [party, outcome] of run.outcomes) settled.set(party, await outcome.then((r) => r, (err: unknown) => err));
  return { run, hooked, settled };
}

describe('a signer journals its signature share when it leaves', () => {
  it('with a coordinator: each signer\'s hook runs once, and the signature is made', async () => {
    const { hooked, settled } = await signing('journal-ok');
    expect([...hooked.values()]).toEqual([1, 1]);
    expect((settled.get(COORDINATOR) as { result: { signatures: Uint8Array[] } }).result.signatures).toHaveLength(1);
  });

  it('with the coordinator gone before its session opened: each signer made its share, held for the coordinator\'s echo, and its hook never ran', async () => {
    const { run, hooked, settled } = await signing('journal-coordinator-gone', { skip: [COORDINATOR] });
    for (const p of signers) {
      // Made (the other signer's commitments came), never sent.
      expect(run.drivers.get(p)!.sharesMade).toBe(1);
      expect(settled.get(p)).toBeInstanceOf(RelaySessionError);
      expect(settled.get(p)).toMatchObject({ code: 'NO_ANSWER', missing: [COORDINATOR] });
    }
    expect(hooked.size).toBe(0);
  });

  it('a hook that throws keeps the share from leaving: the coordinator gets no signature', async () => {
    const { hooked, settled } = await signing('journal-fails', { fail: true });
    expect([...hooked.values()]).toEqual([1, 1]);
    for (const p of signers) expect(settled.get(p)).toMatchObject({ code: 'INTERNAL', message: expect.stringMatching(/the journal cannot be written/) });
    expect(settled.get(COORDINATOR)).toBeInstanceOf(RelaySessionError);
  });
});
