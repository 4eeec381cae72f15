// Ceremonies across the real process boundary: DKG, signing, refresh and reshare in a forked MPC host, driven by MpcHostClient.
import { schnorr, schnorr_FROST } from '@noble/curves/secp256k1.js';
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveChildKey } from '../../crypto/frost/hd';
import type { GroupKey } from '../../crypto/frost/types';
import { SealError, decodeSealed, encodeSealed, open, seal } from '../../crypto/sealing';
import { CustosError } from '../../main/errors';
import { MpcHostClient, type CeremonyProgress } from '../../main/mpc/client';
import { nodeHostLauncher } from '../../main/mpc/launch-node';
import type { DkgOutcome } from '../../main/mpc-host/ceremony-codec';
import { bundledHostEntry, startRawHost, type RawHost } from './helpers';
import { custodians, dkgParams, message, reshareParams, signParams, type Custodian } from './ceremony-helpers';

const quiet = { ...process.env, CUSTOS_MPC_HOST_QUIET: '1' };
let client: MpcHostClient;
beforeAll(async () => {
  client = new MpcHostClient({ launcher: nodeHostLauncher({ entry: await bundledHostEntry(), env: quiet }) });
  await client.start();
});
afterAll(() => client.close());

const rejection = async (promise: Promise<unknown>): Promise<CustosError> => {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(CustosError);
    return err as CustosError;
  }
  throw new Error('expected a rejection');
};

const sealedOf = (out: { shares: DkgOutcome['shares'] }, c: Custodian): Uint8Array => out.shares.find((s) => s.partyId === c.partyId)!.sealed;

describe('DKG and signing in the host process', () => {
  it.each([
    [2, 3],
    [3, 5],
  ])('runs a %i-of-%i DKG whose shares open only on their own devices, then t of them sign at the root and at 0/5', async (t, n) => {
    const people = custodians(n);
    const progress: CeremonyProgress[] = [];
    const params = dkgParams(t, people);
    const dkg = await client.runDkg(params, { onProgress: (p) => progress.push(p) });
    expect([...new Set(progress.map((p) => p.step))]).toEqual(['round1', 'round2', 'finish', 'seal']);
    expect(progress.every((p) => p.ceremonyId === params.ceremonyId)).toBe(true);
    expect(dkg.groupKey).toMatchObject({ threshold: t, parties: [...people.map((c) => c.partyId)].sort() });

    const opened = new Set<string>();
    for (const [i, c] of people.entries()) {
      const sealed = sealedOf(dkg, c);
      const ctx = { walletId: params.walletId, partyId: c.partyId, keyVersion: 1 };
      const share = open(c.device.unsealSecret(sealed), decodeSealed(sealed), ctx);
      expect(() => schnorr_FROST.validateSecret({ identifier: c.partyId, signingShare: share }, dkg.groupKey.publicPackage)).not.toThrow();
      opened.add(bytesToHex(share));
      const other = people[(i + 1) % n]!;
      expect(() => open(other.device.unsealSecret(sealed), decodeSealed(sealed), ctx)).toThrow(SealError);
    }
    expect(opened.size).toBe(n);

    const msgs = [message('input 0'), message('input 1')];
    const root = await client.sign(signParams(dkg, people.slice(0, t), msgs));
    msgs.forEach((m, i) => expect(schnorr.verify(root.signatures[i]!, m, dkg.groupKey.outputKey)).toBe(true));
    const childKey = deriveChildKey(dkg.groupKey, [0, 5]).groupKey.outputKey;
    const child = await client.sign(signParams(dkg, people.slice(n - t), msgs, [0, 5]));
    msgs.forEach((m, i) => {
      expect(schnorr.verify(child.signatures[i]!, m, childKey)).toBe(true);
      expect(schnorr.verify(child.signatures[i]!, m, dkg.groupKey.outputKey)).toBe(false);
    });
  });

  it('answers pings while a ceremony runs', async () => {
    const people = custodians(7);
    const order: string[] = [];
    let started = false;
    const dkg = client.runDkg(dkgParams(5, people), { onProgress: (p) => (started ||= p.step === 'round2') }).then(() => order.push('dkg'));
    // The ping goes out once the DKG is in its second round, and is answered between its units of work, before its end.
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => started && resolve(clearInterval(timer)), 2);
    });
    await client.ping().then(() => order.push('pong'));
    await dkg;
    expect(order).toEqual(['pong', 'dkg']);
  });
});

describe('refresh and reshare in the host process', () => {
  it('refreshes a key: same output key, the new shares sign, an old share among new ones is named', async () => {
    const people = custodians(3);
    const dkg = await client.runDkg(dkgParams(2, people));
    const refreshed = await client.reshare(reshareParams({ ...dkg, fromKeyVersion: 1 }, 'refresh', people, people, 2));
    expect(bytesToHex(refreshed.groupKey.outputKey)).toBe(bytesToHex(dkg.groupKey.outputKey));
    expect(bytesToHex(refreshed.groupKey.chainCode)).toBe(bytesToHex(dkg.groupKey.chainCode));
    const v2 = { ...refreshed, keyVersion: 2 };
    const msg = message('after refresh');
    const sig = await client.sign(signParams(v2, people.slice(0, 2), [msg]));
    expect(schnorr.verify(sig.signatures[0]!, msg, dkg.groupKey.outputKey)).toBe(true);

    // An old share, re-sealed under the new version by someone who kept it: it is not a share of the refreshed key.
    const [alice, bob] = people as [Custodian, Custodian];
    const oldSealed = sealedOf(dkg, alice);
    const oldShare = open(alice.device.unsealSecret(oldSealed), decodeSealed(oldSealed), { walletId: 'w-test', partyId: alice.partyId, keyVersion: 1 });
    const resealed = encodeSealed(seal(alice.device.encryptionKey, oldShare, { walletId: 'w-test', partyId: alice.partyId, keyVersion: 2 }, randomBytes));
    const mixed = signParams(v2, [alice, bob], [msg]);
    mixed.signers[0] = { partyId: alice.partyId, sealed: resealed, unsealSecret: alice.device.unsealSecret(resealed) };
    const err = await rejection(client.sign(mixed));
    expect(err.code).toBe('MPC_CEREMONY_FAILED');
    expect(err.details).toMatchObject({ culprit: alice.partyId, failure: 'unseal' });
    expect(err.message).toMatch(/opens, but it is not that party's share of this key/);
    // Nor does the old sealed share pass for version 2 as it is.
    const stale = signParams(v2, [alice, bob], [msg]);
    stale.signers[0] = { partyId: alice.partyId, sealed: oldSealed, unsealSecret: alice.device.unsealSecret(oldSealed) };
    expect((await rejection(client.sign(stale))).details).toMatchObject({ culprit: alice.partyId });
  });

  it('reshares 2-of-3 into 3-of-4 with a new custodian: same output key, and the new shares sign', async () => {
    const people = custodians(3);
    const dkg = await client.runDkg(dkgParams(2, people));
    const next = [...people, ...custodians(1, 'new')];
    const steps = new Set<string>();
    const out = await client.reshare(reshareParams({ ...dkg, fromKeyVersion: 1 }, 'reshare', people.slice(1), next, 3), { onProgress: (p) => steps.add(p.step) });
    expect([...steps]).toEqual(['unseal', 'deal', 'collect', 'finish', 'seal']);
    expect(bytesToHex(out.groupKey.outputKey)).toBe(bytesToHex(dkg.groupKey.outputKey));
    expect(out.groupKey).toMatchObject({ threshold: 3 });
    expect(out.groupKey.parties).toHaveLength(4);
    const msg = message('after reshare');
    const sig = await client.sign(signParams({ ...out, keyVersion: 2 }, next.slice(1), [msg], [1, 2]));
    expect(schnorr.verify(sig.signatures[0]!, msg, deriveChildKey(dkg.groupKey, [1, 2]).groupKey.outputKey)).toBe(true);
    // Two of the new shares are below the new threshold.
    const two = await rejection(client.sign(signParams({ ...out, keyVersion: 2 }, next.slice(2), [msg])));
    expect(two.code).toBe('MPC_PROTOCOL');
    expect(two.message).toMatch(/2 signers; the key needs at least 3/);
  });
});

describe('faults in the host process', () => {
  it('names the party whose sealed share was tampered with, or whose device gave another secret', async () => {
    const people = custodians(3);
    const dkg = await client.runDkg(dkgParams(2, people));
    const tampered = signParams(dkg, people.slice(0, 2), [message('t')]);
    tampered.signers[0]!.sealed[100]! ^= 0x40;
    const e1 = await rejection(client.sign(tampered));
    expect(e1).toMatchObject({ code: 'MPC_CEREMONY_FAILED', details: { culprit: people[0]!.partyId, failure: 'unseal', ceremonyId: tampered.ceremonyId } });
    expect(e1.message).toBe(
      `The MPC host failed "sign.run": the sealed share of party ${people[0]!.partyId} does not open with the secret its device gave (wallet w-test, key version 1)`,
    );
    const wrong = signParams(dkg, people.slice(1), [message('t')]);
    wrong.signers[1]!.unsealSecret = people[0]!.device.unsealSecret(wrong.signers[1]!.sealed);
    expect((await rejection(client.sign(wrong))).details).toMatchObject({ culprit: people[2]!.partyId, failure: 'unseal' });
    // A group key that does not hold together is main's fault: MPC_PROTOCOL, nobody named.
    const badKey: GroupKey = { ...dkg.groupKey, chainCode: dkg.groupKey.chainCode, outputKey: randomBytes(32) };
    const e3 = await rejection(client.sign(signParams({ ...dkg, groupKey: badKey }, people.slice(0, 2), [message('t')])));
    expect(e3.code).toBe('MPC_PROTOCOL');
    expect(e3.message).toMatch(/the group key does not hold together: the output key is not the x of commitments\[0\]/);
    expect((await client.ping()).protocolVersion).toBe(2);
  });

  describe('malformed requests on the raw channel', () => {
    let host: RawHost;
    beforeAll(async () => {
      host = startRawHost({ entry: await bundledHostEntry(), env: quiet });
      await host.next((m) => m.type === 'ready');
    });
    afterAll(() => host.handle.kill());

    const people = custodians(3);
    const valid = () => ({ v: 2, ...JSON.parse(JSON.stringify(dkgWire())) });
    const dkgWire = () => {
      const p = dkgParams(2, people);
      return {
        type: 'dkg.run', ceremonyId: p.ceremonyId, walletId: p.walletId, keyVersion: 1, threshold: 2,
        parties: p.parties.map((x) => ({ partyId: x.partyId, encryptionKey: bytesToHex(x.encryptionKey), deviceEntropy: bytesToHex(x.deviceEntropy) })),
      };
    };
    let n = 0;
    const ask = async (message: Record<string, unknown>) => {
      const id = `m${++n}`;
      host.handle.postMessage({ ...message, id });
      const reply = await host.next((m) => m.id === id && m.type !== 'progress');
      expect((await host.ping(`after-${id}`)).type).toBe('pong');
      return reply;
    };

    it.each([
      ['bad hex', (r: ReturnType<typeof valid>) => (r.parties[0].encryptionKey = 'g'.repeat(64)), /parties\.0\.encryptionKey: must be lowercase hex/],
      ['a wrong length', (r: ReturnType<typeof valid>) => (r.parties[1].deviceEntropy += '00'), /parties\.1\.deviceEntropy: must be 32 bytes/],
      ['threshold above n', (r: ReturnType<typeof valid>) => (r.threshold = 4), /threshold: 4 is more than the 3 parties/],
      ['a duplicate party', (r: ReturnType<typeof valid>) => (r.parties[1].partyId = r.parties[0].partyId), /parties\.1\.partyId: the same party as parties\.0/],
      ['an unknown field', (r: ReturnType<typeof valid>) => (r.shareSecretsInReply = true), /Unrecognized key.*shareSecretsInReply/],
      ['another protocol version', (r: ReturnType<typeof valid>) => (r.v = 1), /^this host speaks protocol 2; got 1$/],
    ])('answers %s with MPC_PROTOCOL saying what is wrong, and keeps answering pings', async (_what, spoil, text) => {
      const request = valid();
      spoil(request);
      const reply = await ask(request);
      expect(reply).toMatchObject({ type: 'error', code: 'MPC_PROTOCOL', message: expect.stringMatching(text) });
    });

    it('still runs a good request after all that', async () => {
      const reply = await ask(valid());
      expect(reply).toMatchObject({ type: 'dkg.done' });
    });
  });
});
