// Control messages between a coordinator and signer nodes: each kind opens as sent, only for its recipient and only from
// a sender whose keys the log registered; anything else (random bytes, any byte changed, a bad shape) is refused in words.
import { randomBytes } from '@noble/hashes/utils.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { partyIdFor } from '../../crypto/frost/party-id';
import type { GovernanceState } from '../../crypto/governance';
import { encodeEnvelope, encodePayload, RelayOpenError, sealEnvelope, transportKeysFromSeed, type TransportKeys } from '../../crypto/relay';
import type { RelayRoute, RelayTransport } from '../../main/relay';
import { ControlError, coordinatorAddress, openControl, sendControl, type ControlMessage } from '../../main/signer/control';

const VAULT = 'v-0123456789abcdef';
const people = ['u-alice', 'u-bob', 'u-dave'].map((id) => ({ id, keys: transportKeysFromSeed(randomBytes(32)) }));
const [alice, bob, dave] = people as [(typeof people)[0], (typeof people)[0], (typeof people)[0]];
const hex = (b: Uint8Array) => '0x' + bytesToHex(b);
/** Only what the control directory reads of the replayed state: each user's status and registered node. */
const state = {
  users: people.map((p, i) => ({ id: p.id, name: p.id, status: 'active', node: { nodeId: `${i}`.repeat(16), signingKey: hex(p.keys.signingKey), hpkeKey: hex(p.keys.hpkeKey), seq: 10 + i } })),
} as unknown as GovernanceState;

/** A transport that keeps what is published (the bytes a relay would carry). */
function capture(): RelayTransport & { sent: { route: RelayRoute; bytes: Uint8Array }[] } {
  const sent: { route: RelayRoute; bytes: Uint8Array }[] = [];
  return { sent, subscribe: () => Promise.reject(new Error('not used')), publish: async (route, bytes) => void sent.push({ route, bytes }) };
}

async function sealed(message: ControlMessage, from: { id: string; keys: TransportKeys }, to: { id: string; keys: TransportKeys }, asCoordinator = true): Promise<Uint8Array> {
  const t = capture();
  await sendControl({ transport: t, vaultId: VAULT, keys: from.keys, from: asCoordinator ? coordinatorAddress(from.id) : partyIdFor(from.id), to: partyIdFor(to.id), toKeys: to.keys, message, expiresAt: Date.now() + 60_000 });
  expect(t.sent[0]!.route).toEqual({ vaultId: VAULT, sessionId: 'control', party: partyIdFor(to.id) });
  return t.sent[0]!.bytes;
}
const open = (bytes: Uint8Array, me = bob) => openControl(bytes, { vaultId: VAULT, me: partyIdFor(me.id), keys: me.keys, state, now: Date.now() });
const head = { seq: 41, fingerprint: 'ab'.repeat(32) };

describe('control messages', () => {
  it('each kind opens as sent, from the coordinator address of a user with a registered node', async () => {
    const expiresAt = Date.now() + 60_000;
    const request: ControlMessage = { kind: 'session/request', ceremonyId: 'c-1', requestId: 'R-1', signers: [partyIdFor(alice.id), partyIdFor(bob.id)], head, coordinatorUserId: dave.id, expiresAt };
    const t = capture();
    await sendControl({ transport: t, vaultId: VAULT, keys: dave.keys, from: coordinatorAddress(dave.id), to: partyIdFor(bob.id), toKeys: bob.keys, message: request, expiresAt });
    expect(await open(t.sent[0]!.bytes)).toEqual({ from: coordinatorAddress(dave.id), message: request });
    expect((await open(await sealed({ kind: 'node/ping', nonce: 'f'.repeat(32) }, dave, bob))).message).toEqual({ kind: 'node/ping', nonce: 'f'.repeat(32) });
    const answer: ControlMessage = { kind: 'session/answer', ceremonyId: 'c-1', accepted: false, reason: 'no' };
    expect((await open(await sealed(answer, alice, bob, false))).message).toEqual(answer);
  });

  it('the DKG and reshare kinds open as sent: the requests, a node\'s public result, the record to attest, the attestation', async () => {
    const expiresAt = Date.now() + 60_000;
    const key = { threshold: 2, internalKey: '02'.repeat(33), outputKey: '03'.repeat(32), chainCode: '04'.repeat(32), commitments: ['02'.repeat(33), '03'.repeat(33)], verifyingShares: [{ partyId: partyIdFor(alice.id), key: '02'.repeat(33) }] };
    const messages: ControlMessage[] = [
      { kind: 'session/dkg', ceremonyId: 'dkg-1', walletId: 'w-1', head, coordinatorUserId: dave.id, expiresAt },
      { kind: 'session/reshare', ceremonyId: 'reshare-1', walletId: 'w-1', ceremony: 'reshare', dealers: [partyIdFor(alice.id), partyIdFor(bob.id)], receivers: [partyIdFor(bob.id), partyIdFor(dave.id)], threshold: 2, head, coordinatorUserId: dave.id, expiresAt },
      { kind: 'session/keygen', ceremonyId: 'dkg-1', walletId: 'w-1', partyId: partyIdFor(alice.id), key, shareDigest: 'cd'.repeat(32) },
      { kind: 'session/attestation', ceremonyId: 'dkg-1', signature: '0x' + '1b'.repeat(65) },
    ];
    for (const m of messages) {
      const t = capture();
      await sendControl({ transport: t, vaultId: VAULT, keys: dave.keys, from: coordinatorAddress(dave.id), to: partyIdFor(bob.id), toKeys: bob.keys, message: m, expiresAt });
      expect((await open(t.sent[0]!.bytes)).message).toEqual(m);
    }
    const attest = { kind: 'session/attest', ceremonyId: 'dkg-1', coordinatorUserId: dave.id, record: { type: 'wallet-key', seq: 42, key: { outputKey: 'x' } }, expiresAt } as unknown as ControlMessage;
    const t = capture();
    await sendControl({ transport: t, vaultId: VAULT, keys: dave.keys, from: coordinatorAddress(dave.id), to: partyIdFor(bob.id), toKeys: bob.keys, message: attest, expiresAt });
    // Opened as a wallet-key record: its fields are the node's to check against its own DKG and log.
    expect((await open(t.sent[0]!.bytes)).message).toEqual(attest);
  });

  it('a DKG or reshare kind with any other body is opened or refused as a control message, never another error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('session/dkg', 'session/reshare', 'session/keygen', 'session/attest', 'session/attestation'), fc.jsonValue(), fc.dictionary(fc.constantFrom('ceremonyId', 'walletId', 'ceremony', 'dealers', 'receivers', 'threshold', 'partyId', 'key', 'shareDigest', 'record', 'signature', 'head', 'coordinatorUserId', 'expiresAt'), fc.jsonValue()), async (kind, any, fields) => {
        const expiresAt = Date.now() + 60_000;
        const header = { v: 1, vaultId: VAULT, sessionId: 'control', kind, round: 0, from: coordinatorAddress(dave.id), to: partyIdFor(bob.id), counter: 1, expiresAt };
        for (const body of [any, { ceremonyId: 'dkg-1', ...fields }]) {
          let payload: Uint8Array;
          try {
            payload = encodePayload(body);
          } catch {
            continue; // Not a payload a sender could seal (the relay's codec carries no floats).
          }
          const envelope = encodeEnvelope(await sealEnvelope(header, payload, dave.keys, bob.keys.hpkeKey));
          const err = await open(envelope).then(() => null, (e: unknown) => e);
          expect(err === null || err instanceof ControlError || err instanceof RelayOpenError, String(err)).toBe(true);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('a payload whose map holds the key __proto__ is not sent, and when a registered sender crafts one it is refused in words', async () => {
    // Found by the property above (seed -487141004): the decoder refused it with an error no caller expected.
    expect(() => encodePayload(JSON.parse('{"__proto__": null}'))).toThrow(/key __proto__, which a relay payload cannot carry/);
    const payload = encodePayload({ ceremonyId: 'dkg-1', __proto_x: null });
    const at = payload.findIndex((_, i) => new TextDecoder().decode(payload.subarray(i, i + 9)) === '__proto_x');
    payload[at + 8] = '_'.charCodeAt(0);
    const expiresAt = Date.now() + 60_000;
    const header = { v: 1, vaultId: VAULT, sessionId: 'control', kind: 'session/dkg', round: 0, from: coordinatorAddress(dave.id), to: partyIdFor(bob.id), counter: 1, expiresAt };
    const envelope = encodeEnvelope(await sealEnvelope(header, payload, dave.keys, bob.keys.hpkeKey));
    const err = await open(envelope).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ControlError);
    expect(String(err)).toMatch(/payload cannot be read: a map key is __proto__/);
  });

  it('is refused for another recipient, from keys the log did not register, or when a request’s expiry differs from its envelope’s', async () => {
    const bytes = await sealed({ kind: 'node/ping', nonce: '0'.repeat(32) }, dave, bob);
    await expect(open(bytes, alice)).rejects.toThrow(/addressed to/);
    const stranger = { id: 'u-dave', keys: transportKeysFromSeed(randomBytes(32)) };
    await expect(open(await sealed({ kind: 'node/ping', nonce: '0'.repeat(32) }, stranger, bob))).rejects.toThrow(/signature does not verify/);
    // A well-signed envelope whose request claims a longer expiry than its header's.
    const header = { v: 1, vaultId: VAULT, sessionId: 'control', kind: 'session/request', round: 0, from: coordinatorAddress(dave.id), to: partyIdFor(bob.id), counter: 1, expiresAt: Date.now() + 1000 };
    const body = encodePayload({ ceremonyId: 'c-1', requestId: 'R-1', signers: [], head, coordinatorUserId: dave.id, expiresAt: Date.now() + 10_000_000 });
    const envelope = encodeEnvelope(await sealEnvelope(header, body, dave.keys, bob.keys.hpkeKey));
    await expect(open(envelope)).rejects.toThrow(/expiry is not the one its envelope carries/);
    // A reshare request that names no ceremony the log knows, or a receiver that is no party id.
    const reshare = { kind: 'session/reshare', ceremonyId: 'reshare-1', walletId: 'w-1', ceremony: 'reshare', dealers: [partyIdFor(alice.id)], receivers: [partyIdFor(bob.id)], threshold: 2, head, coordinatorUserId: dave.id };
    const signed = async (body: Record<string, unknown>) => {
      const at = Date.now() + 60_000;
      const h = { ...header, kind: 'session/reshare', expiresAt: at };
      return open(encodeEnvelope(await sealEnvelope(h, encodePayload({ ...body, expiresAt: at }), dave.keys, bob.keys.hpkeKey)));
    };
    expect((await signed(reshare)).message).toMatchObject({ kind: 'session/reshare', ceremony: 'reshare', threshold: 2 });
    await expect(signed({ ...reshare, ceremony: 'dkg' })).rejects.toThrow(/ceremony is neither refresh nor reshare/);
    await expect(signed({ ...reshare, receivers: ['bob'] })).rejects.toThrow(/receivers are not party ids/);
    await expect(signed({ ...reshare, threshold: 0 })).rejects.toThrow(/threshold/);
  });

  it('refuses random bytes and any changed byte with a relay or control refusal, never another error', async () => {
    const good = await sealed({ kind: 'node/ping', nonce: '1'.repeat(32) }, dave, bob);
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 600 }), fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
        const b = good.slice();
        b[i] = b[i]! ^ x;
        return b;
      })), async (bytes) => {
        const err = await open(bytes).then(() => null, (e: unknown) => e);
        expect(err instanceof RelayOpenError || err instanceof ControlError).toBe(true);
      }),
      { numRuns: 150 },
    );
  });
});
