// The ceremony wire format: group keys round-trip and are refused when they do not hold together; requests say what is wrong.
import { randomBytes } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runDkg as runFrostDkg } from '../frost/helpers';
import { partyIdFor } from '../../crypto/frost/party-id';
import { dkgParamsToWire, reshareParamsToWire, signParamsToWire } from '../../main/mpc-host/ceremony-codec';
import { parseHostReply, parseHostRequest } from '../../main/mpc-host/protocol';
import { WireError, groupKeyFromWire, groupKeyToWire, type GroupKeyWire } from '../../main/mpc-host/wire';
import { custodians, dkgParams, message } from './ceremony-helpers';

const { groupKey } = runFrostDkg(3, 5, { ceremonyId: 'wire-test' });
const wire = groupKeyToWire(groupKey);
const copy = (): GroupKeyWire => structuredClone(wire);
const flipHex = (h: string, at = h.length - 1): string => h.slice(0, at) + (h[at] === '0' ? '1' : '0') + h.slice(at + 1);
const refusal = (raw: unknown): string => {
  try {
    groupKeyFromWire(raw);
  } catch (err) {
    expect(err).toBeInstanceOf(WireError);
    return (err as Error).message;
  }
  throw new Error('expected the key to be refused');
};

describe('group key on the wire', () => {
  it('round-trips a DKG key exactly, as lowercase hex in party order', () => {
    expect(JSON.stringify(groupKeyToWire(groupKeyFromWire(JSON.parse(JSON.stringify(wire)))))).toBe(JSON.stringify(wire));
    expect(Object.keys(wire.publicPackage.verifyingShares)).toEqual(wire.parties);
    expect(wire.outputKey).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses a key whose output key, internal key or verifying shares do not fit together', () => {
    expect(refusal({ ...copy(), outputKey: flipHex(wire.outputKey) })).toMatch(/output key is not the x of commitments\[0\]/);
    expect(refusal({ ...copy(), internalKey: flipHex(wire.internalKey, 10) })).toMatch(/Taproot tweak of the internal key|not the x of a secp256k1 point/);
    // Another point on the curve as one party's verifying share: the batched check catches it.
    const k = copy();
    const [a, b] = wire.parties as [string, string];
    k.publicPackage.verifyingShares[a] = wire.publicPackage.verifyingShares[b] as string;
    expect(refusal(k)).toMatch(/verifying shares do not lie on the committed polynomial/);
  });

  it('refuses any one hex digit changed in a point or key (only the chain code is free)', () => {
    const fields = [
      ...wire.publicPackage.commitments.map((_, i) => (k: GroupKeyWire, f: (h: string) => string) => (k.publicPackage.commitments[i] = f(k.publicPackage.commitments[i]!))),
      ...wire.parties.map((p) => (k: GroupKeyWire, f: (h: string) => string) => (k.publicPackage.verifyingShares[p] = f(k.publicPackage.verifyingShares[p]!))),
      (k: GroupKeyWire, f: (h: string) => string) => (k.outputKey = f(k.outputKey)),
      (k: GroupKeyWire, f: (h: string) => string) => (k.internalKey = f(k.internalKey)),
    ];
    fc.assert(
      fc.property(fc.nat(fields.length - 1), fc.nat(63), fc.integer({ min: 1, max: 15 }), (field, at, delta) => {
        const k = copy();
        fields[field]!(k, (h) => {
          const i = h.length - 64 + at;
          return h.slice(0, i) + ((parseInt(h[i]!, 16) + delta) % 16).toString(16) + h.slice(i + 1);
        });
        expect(() => groupKeyFromWire(k)).toThrow(WireError);
      }),
      { numRuns: 60 },
    );
  });

  it('refuses structural faults with the field that is wrong', () => {
    const missing = copy();
    delete missing.publicPackage.verifyingShares[wire.parties[0] as string];
    expect(refusal(missing)).toMatch(/publicPackage\.verifyingShares: must hold exactly one verifying share per party/);
    expect(refusal({ ...copy(), threshold: 6 })).toMatch(/threshold: 6 is more than the 5 parties/);
    expect(refusal({ ...copy(), chainCode: wire.chainCode.toUpperCase() })).toMatch(/chainCode: must be lowercase hex/);
    expect(refusal({ ...copy(), parties: [...wire.parties.slice(0, 4), wire.parties[0]] })).toMatch(/parties: names a party twice/);
    expect(refusal({ ...copy(), extra: 1 })).toMatch(/malformed/);
    const offCurve = copy();
    offCurve.publicPackage.commitments[1] = '02' + 'f'.repeat(64);
    expect(refusal(offCurve)).toMatch(/commitments\[1\] is not a point of secp256k1/);
  });
});

describe('party ids', () => {
  it('derives the same canonical id for a user every time, and different ids for different users', () => {
    expect(partyIdFor('alice')).toBe(partyIdFor('alice'));
    expect(partyIdFor('alice')).not.toBe(partyIdFor('bob'));
    expect(partyIdFor('alice')).toMatch(/^[0-9a-f]{64}$/);
    expect(() => partyIdFor('')).toThrow(/non-empty/);
  });
});

describe('ceremony requests', () => {
  const people = custodians(3);
  const dkg = () => ({ v: 2, id: 'q1', ...dkgParamsToWire(dkgParams(2, people)) });
  const error = (raw: unknown): string => {
    const r = parseHostRequest(raw);
    if (r.ok) throw new Error('expected a refusal');
    expect(r.error.code).toBe('MPC_PROTOCOL');
    return r.error.message;
  };

  it('accepts well-formed DKG, signing and reshare requests', () => {
    expect(parseHostRequest(dkg()).ok).toBe(true);
    const shares = people.map((c) => ({ partyId: c.partyId, sealed: randomBytes(137) }));
    const sign = signParamsToWire({
      ceremonyId: 's1', walletId: 'w1', keyVersion: 1, groupKey, path: [0, 5], messages: [message('m')],
      signers: groupKey.parties.slice(0, 3).map((p) => ({ partyId: p, sealed: randomBytes(137), unsealSecret: randomBytes(32) })),
    });
    expect(parseHostRequest({ v: 2, id: 'q2', ...sign })).toMatchObject({ ok: true });
    const reshare = reshareParamsToWire({
      ceremonyId: 'r1', walletId: 'w1', mode: 'reshare', fromKeyVersion: 1, toKeyVersion: 2, groupKey, threshold: 2,
      dealers: groupKey.parties.slice(0, 3).map((p) => ({ partyId: p, sealed: randomBytes(137), unsealSecret: randomBytes(32), deviceEntropy: randomBytes(32) })),
      receivers: shares.map((s) => ({ partyId: s.partyId, encryptionKey: randomBytes(32) })),
    });
    expect(parseHostRequest({ v: 2, id: 'q3', ...reshare })).toMatchObject({ ok: true });
  });

  it('says which field is wrong: bad hex, wrong length, threshold above n, duplicates, unknown fields', () => {
    const bad = dkg();
    bad.parties[1]!.encryptionKey = 'zz' + bad.parties[1]!.encryptionKey.slice(2);
    expect(error(bad)).toMatch(/^bad "dkg.run" message: parties\.1\.encryptionKey: must be lowercase hex/);
    const short = dkg();
    short.parties[0]!.deviceEntropy = short.parties[0]!.deviceEntropy.slice(2);
    expect(error(short)).toMatch(/parties\.0\.deviceEntropy: must be 32 bytes \(64 lowercase hex digits\)/);
    expect(error({ ...dkg(), threshold: 4 })).toMatch(/threshold: 4 is more than the 3 parties/);
    const twice = dkg();
    twice.parties[2] = { ...twice.parties[2]!, partyId: twice.parties[0]!.partyId };
    expect(error(twice)).toMatch(/parties\.2\.partyId: the same party as parties\.0/);
    const oneDevice = dkg();
    oneDevice.parties[1] = { ...oneDevice.parties[1]!, encryptionKey: oneDevice.parties[0]!.encryptionKey };
    expect(error(oneDevice)).toMatch(/parties\.1\.encryptionKey: the same device encryption key as parties\.0/);
    expect(error({ ...dkg(), secretKey: 'x' })).toMatch(/Unrecognized key.*secretKey/);
    expect(error({ ...dkg(), v: 1 })).toBe('this host speaks protocol 2; got 1');
    expect(error({ ...dkg(), keyVersion: 0 })).toMatch(/keyVersion/);
    expect(error({ ...dkg(), ceremonyId: 'has spaces' })).toMatch(/ceremonyId: must be 1 to 128 characters/);
    const zeroId = dkg();
    zeroId.parties[0]!.partyId = '0'.repeat(64);
    expect(error(zeroId)).toMatch(/parties\.0\.partyId: is not a canonical non-zero party id/);
  });

  it('refuses signers outside the key, too few signers, and a refresh that changes the parties', () => {
    const signers = groupKey.parties.slice(0, 3).map((p) => ({ partyId: p, sealed: randomBytes(137), unsealSecret: randomBytes(32) }));
    const base = { ceremonyId: 's1', walletId: 'w1', keyVersion: 1, groupKey, path: [], messages: [message('m')] };
    const stranger = signParamsToWire({ ...base, signers: [...signers.slice(0, 2), { ...signers[2]!, partyId: partyIdFor('mallory') }] });
    expect(error({ v: 2, id: 'x', ...stranger })).toMatch(/signers\.2\.partyId: is not a party of the group key/);
    expect(error({ v: 2, id: 'x', ...signParamsToWire({ ...base, signers: signers.slice(0, 2) }) })).toMatch(/2 signers; the key needs at least 3/);
    const refresh = reshareParamsToWire({
      ceremonyId: 'r1', walletId: 'w1', mode: 'refresh', fromKeyVersion: 1, toKeyVersion: 1, groupKey, threshold: 3,
      dealers: groupKey.parties.slice(0, 4).map((p) => ({ partyId: p, sealed: randomBytes(137), unsealSecret: randomBytes(32), deviceEntropy: randomBytes(32) })),
      receivers: groupKey.parties.slice(0, 4).map((p) => ({ partyId: p, encryptionKey: randomBytes(32) })),
    });
    const msg = error({ v: 2, id: 'x', ...refresh });
    expect(msg).toMatch(/toKeyVersion: must be above fromKeyVersion/);
    expect(msg).toMatch(/a refresh keeps the parties and the threshold/);
  });

  it('never throws on mutated requests, and keeps its error text short', () => {
    const valid = dkg() as Record<string, unknown>;
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(valid)), fc.jsonValue(), (key, value) => {
        const r = parseHostRequest({ ...valid, [key]: value });
        if (!r.ok) expect(r.error.message.length).toBeLessThan(2000);
      }),
      { numRuns: 300 },
    );
  });
});

describe('ceremony replies', () => {
  it('accepts progress and ceremony errors with a culprit, and refuses progress past its total', () => {
    expect(parseHostReply({ v: 2, id: 'r1', type: 'progress', ceremonyId: 'c1', step: 'round2', done: 3, total: 6 }).ok).toBe(true);
    const over = parseHostReply({ v: 2, id: 'r1', type: 'progress', ceremonyId: 'c1', step: 'round2', done: 7, total: 6 });
    expect(!over.ok && over.error.message).toMatch(/done: is more than total/);
    const unknownStep = parseHostReply({ v: 2, id: 'r1', type: 'progress', ceremonyId: 'c1', step: 'exfiltrate', done: 0, total: 1 });
    expect(unknownStep.ok).toBe(false);
    const failed = { v: 2, id: 'r1', type: 'error', code: 'MPC_CEREMONY_FAILED', message: 'x', ceremonyId: 'c1', culprit: groupKey.parties[0], failure: 'unseal' };
    expect(parseHostReply(failed).ok).toBe(true);
  });
});
