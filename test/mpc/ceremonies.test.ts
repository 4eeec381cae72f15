// The host's ceremony runners in process: device entropy under a broken host RNG, steps, blame.
import { schnorr, schnorr_FROST } from '@noble/curves/secp256k1.js';
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeSealed, open } from '../../crypto/sealing';
import { CeremonyFault, type CeremonyEnv, type Progress } from '../../main/mpc-host/ceremonies/common';
import { runDkg, type DkgOutcome, type DkgParams } from '../../main/mpc-host/ceremonies/dkg';
import { runReshare } from '../../main/mpc-host/ceremonies/reshare';
import { runSign } from '../../main/mpc-host/ceremonies/sign';
import { DkgPool } from '../../main/mpc-host/dkg-pool';
import { CEREMONY_STEPS } from '../../main/mpc-host/protocol';
import { custodians, dkgParams, message, reshareParams, signParams, type Custodian } from './ceremony-helpers';

const constantRng = (n = 32) => new Uint8Array(n).fill(0x42);
// The host's own way: DKG rounds on worker threads.
const dkgPool = new DkgPool({ threads: 2 });
afterAll(() => dkgPool.close());
const env = (over: Partial<CeremonyEnv> = {}): CeremonyEnv => ({ rng: randomBytes, dkgPool, ...over });

/** Opens every party's sealed share with its own device's secret. */
function openAll(out: DkgOutcome, people: Custodian[], params: { walletId: string; keyVersion: number }): Map<string, Uint8Array> {
  return new Map(
    people.map((c) => {
      const sealed = out.shares.find((s) => s.partyId === c.partyId)!.sealed;
      return [c.partyId, open(c.device.unsealSecret(sealed), decodeSealed(sealed), { ...params, partyId: c.partyId })];
    }),
  );
}

const fault = async (p: Promise<unknown>): Promise<CeremonyFault> => {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(CeremonyFault);
    return err as CeremonyFault;
  }
  throw new Error('expected the ceremony to fail');
};

describe('ceremony runners', () => {
  it('with a constant host RNG, still gives distinct shares, and a key that changes with any one device entropy', async () => {
    const people = custodians(3);
    const params = dkgParams(2, people, { ceremonyId: 'fixed' });
    const first = await runDkg(structuredClone(params), env({ rng: constantRng }));
    const shares = openAll(first, people, params);
    expect(new Set([...shares.values()].map(bytesToHex)).size).toBe(3);
    for (const c of people) {
      expect(() => schnorr_FROST.validateSecret({ identifier: c.partyId, signingShare: shares.get(c.partyId)! }, first.groupKey.publicPackage)).not.toThrow();
    }
    // Same inputs, same (broken) RNG: the same key — so the difference below comes from the device entropy alone.
    const again = await runDkg(structuredClone(params), env({ rng: constantRng }));
    expect(bytesToHex(again.groupKey.outputKey)).toBe(bytesToHex(first.groupKey.outputKey));
    for (let i = 0; i < people.length; i++) {
      const changed: DkgParams = structuredClone(params);
      changed.parties[i]!.deviceEntropy = people[i]!.device.entropy();
      const other = await runDkg(changed, env({ rng: constantRng }));
      expect(bytesToHex(other.groupKey.outputKey)).not.toBe(bytesToHex(first.groupKey.outputKey));
    }
  });

  it('reports every step of each ceremony in order, with done never past total', async () => {
    const people = custodians(3);
    const seen: Progress[] = [];
    const e = env({ progress: (p) => seen.push(p), now: () => performance.now() });
    const steps = () => [...new Set(seen.splice(0).map((p) => p.step))];
    const dkg = await runDkg(dkgParams(2, people), e);
    expect(seen.every((p) => p.done <= p.total && p.total >= 1)).toBe(true);
    expect(steps()).toEqual(CEREMONY_STEPS.dkg);
    await runSign(signParams(dkg, people.slice(0, 2), [message('a')]), e);
    expect(steps()).toEqual(CEREMONY_STEPS.sign);
    await runReshare(reshareParams({ ...dkg, fromKeyVersion: 1 }, 'refresh', people, people, 2), e);
    expect(steps()).toEqual(CEREMONY_STEPS.reshare);
  });

  it('signs at the root and at a child path, each signature valid under its own key only', async () => {
    const people = custodians(3);
    const dkg = await runDkg(dkgParams(2, people), env());
    const msg = message('pay');
    const root = await runSign(signParams(dkg, people.slice(1), [msg]), env());
    expect(schnorr.verify(root.signatures[0]!, msg, dkg.groupKey.outputKey)).toBe(true);
    const child = await runSign(signParams(dkg, people.slice(0, 2), [msg], [0, 5]), env());
    expect(schnorr.verify(child.signatures[0]!, msg, dkg.groupKey.outputKey)).toBe(false);
  });

  it('names the party whose sealed share was altered, and the party whose device gave the wrong secret', async () => {
    const people = custodians(3);
    const dkg = await runDkg(dkgParams(2, people), env());
    const tampered = signParams(dkg, people.slice(0, 2), [message('x')]);
    tampered.signers[1]!.sealed[120]! ^= 1;
    const f1 = await fault(runSign(tampered, env()));
    expect(f1).toMatchObject({ kind: 'unseal', culprit: people[1]!.partyId });
    expect(f1.message).toMatch(/the sealed share of party [0-9a-f]{64} does not open with the secret its device gave/);
    const wrong = signParams(dkg, people.slice(0, 2), [message('x')]);
    wrong.signers[0]!.unsealSecret = people[2]!.device.unsealSecret(wrong.signers[0]!.sealed);
    expect(await fault(runSign(wrong, env()))).toMatchObject({ kind: 'unseal', culprit: people[0]!.partyId });
    const lowOrder = dkgParams(2, people);
    lowOrder.parties[2]!.encryptionKey = new Uint8Array(32);
    expect(await fault(runDkg(lowOrder, env()))).toMatchObject({ kind: 'request', message: expect.stringMatching(/not a usable X25519 key/) });
  });
});
