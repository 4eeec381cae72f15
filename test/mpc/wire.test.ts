// The host's wire format: group keys round-trip and are refused when they do not hold together; requests say what is wrong.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runDkg as runFrostDkg } from '../frost/helpers';
import { partyIdFor } from '../../crypto/frost/party-id';
import { parseHostReply, parseHostRequest } from '../../main/mpc-host/protocol';
import { WireError, groupKeyFromWire, groupKeyToWire, type GroupKeyWire } from '../../main/mpc-host/wire';
import { custodians } from './ceremony-helpers';

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

describe('requests', () => {
  const people = custodians(3);
  const sig = (b: number) => '0x' + b.toString(16).padStart(2, '0').repeat(65);
  const keygen = () => ({
    v: 3,
    id: 'q1',
    type: 'wallet.keygen',
    ceremonyId: 'c-1',
    walletId: 'w-1',
    fromSeq: 0,
    records: ['{"type":"genesis"}'],
    head: 'ab'.repeat(32),
    parties: people.map((c, i) => ({ partyId: c.partyId, useSignature: sig(i + 1) })),
  });
  const signing = () => ({
    v: 3,
    id: 'q2',
    type: 'transfer.sign',
    ceremonyId: 'c-2',
    requestId: 'R-1',
    fromSeq: 0,
    records: ['{"type":"genesis"}'],
    head: 'ab'.repeat(32),
    signers: people.slice(0, 2).map((c, i) => ({ partyId: c.partyId, sealed: '00'.repeat(137), unsealSecret: '11'.repeat(32), useSignature: sig(i + 1) })),
  });
  const error = (raw: unknown): string => {
    const r = parseHostRequest(raw);
    if (r.ok) throw new Error('expected a refusal');
    expect(r.error.code).toBe('MPC_PROTOCOL');
    return r.error.message;
  };

  it('accepts well-formed keygen, transfer and reshare requests', () => {
    expect(parseHostRequest(keygen()).ok).toBe(true);
    expect(parseHostRequest(signing()).ok).toBe(true);
    const { signers, ...rest } = signing();
    expect(parseHostRequest({ ...rest, type: 'wallet.reshare', walletId: 'w-1', requestId: undefined, dealers: signers }).ok).toBe(false);
    const { requestId: _r, ...noRequest } = rest;
    expect(parseHostRequest({ ...noRequest, type: 'wallet.reshare', walletId: 'w-1', dealers: signers }).ok).toBe(true);
  });

  it('says which field is wrong: bad hex, wrong length, a signature that is no device signature, duplicates, unknown fields', () => {
    const bad = signing();
    bad.signers[1]!.unsealSecret = 'zz' + bad.signers[1]!.unsealSecret.slice(2);
    expect(error(bad)).toMatch(/^bad "transfer.sign" message: signers\.1\.unsealSecret: must be lowercase hex/);
    const short = signing();
    short.signers[0]!.sealed = short.signers[0]!.sealed.slice(2);
    expect(error(short)).toMatch(/signers\.0\.sealed: must be 137 bytes/);
    const unsigned = keygen();
    unsigned.parties[0]!.useSignature = '0x' + '00'.repeat(64);
    expect(error(unsigned)).toMatch(/parties\.0\.useSignature: must be a device signature/);
    const twice = keygen();
    twice.parties[2] = { ...twice.parties[2]!, partyId: twice.parties[0]!.partyId };
    expect(error(twice)).toMatch(/parties\.2\.partyId: the same party as parties\.0/);
    expect(error({ ...keygen(), threshold: 2 })).toMatch(/Unrecognized key.*threshold/);
    expect(error({ ...keygen(), v: 2 })).toBe('this host speaks protocol 3; got 2');
    expect(error({ ...keygen(), ceremonyId: 'has spaces' })).toMatch(/ceremonyId: must be 1 to 128 characters/);
    const zeroId = keygen();
    zeroId.parties[0]!.partyId = '0'.repeat(64);
    expect(error(zeroId)).toMatch(/parties\.0\.partyId: is not a canonical non-zero party id/);
  });

  it('knows no message that signs or re-keys on the word of main alone: sign.run, dkg.run and reshare.run are gone', () => {
    for (const type of ['sign.run', 'dkg.run', 'reshare.run']) expect(error({ v: 3, id: 'old', type })).toMatch(new RegExp(`unknown message type "${type.replace('.', '\\.')}"`));
  });

  it('never throws on mutated requests, and keeps its error text short', () => {
    for (const valid of [keygen(), signing()] as Record<string, unknown>[]) {
      fc.assert(
        fc.property(fc.constantFrom(...Object.keys(valid)), fc.jsonValue(), (key, value) => {
          const r = parseHostRequest({ ...valid, [key]: value });
          if (!r.ok) expect(r.error.message.length).toBeLessThan(2000);
        }),
        { numRuns: 200 },
      );
    }
  });
});

describe('ceremony replies', () => {
  it('accepts progress and ceremony errors with a culprit, and refuses progress past its total', () => {
    expect(parseHostReply({ v: 3, id: 'r1', type: 'progress', ceremonyId: 'c1', step: 'round2', done: 3, total: 6 }).ok).toBe(true);
    const over = parseHostReply({ v: 3, id: 'r1', type: 'progress', ceremonyId: 'c1', step: 'round2', done: 7, total: 6 });
    expect(!over.ok && over.error.message).toMatch(/done: is more than total/);
    const unknownStep = parseHostReply({ v: 3, id: 'r1', type: 'progress', ceremonyId: 'c1', step: 'exfiltrate', done: 0, total: 1 });
    expect(unknownStep.ok).toBe(false);
    const failed = { v: 3, id: 'r1', type: 'error', code: 'MPC_CEREMONY_FAILED', message: 'x', ceremonyId: 'c1', culprit: groupKey.parties[0], failure: 'unseal' };
    expect(parseHostReply(failed).ok).toBe(true);
  });
});
