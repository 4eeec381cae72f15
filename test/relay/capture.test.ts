// Everything a relay sees of a DKG and a signing (every byte through the proxy, both ways) holds no share, no nonce and no transport secret.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schnorr } from '@noble/curves/secp256k1.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { base64 } from '@scure/base';
import { COORDINATOR, type PartyId, type SecretShare } from '../../crypto/frost/types';
import { DkgDriver, SignDriver, type CeremonyMessage, type DkgResult } from '../../main/relay/drivers';
import { Connections, keyring, sighash, startDkg, startSigning, testKey, type TestKey } from './harness';
import { MaliciousRelay } from './malicious-relay';
import { startNatsServer, type NatsServer } from '../team/nats-server';

let server: NatsServer;
let relay: MaliciousRelay;
let conns: Connections;

beforeAll(async () => {
  server = await startNatsServer();
  relay = new MaliciousRelay(server.port, { capture: true });
  conns = new Connections(server.url);
});
afterAll(async () => {
  await conns?.closeAll();
  await relay?.stop();
  await server?.stop();
});

/** Keeps a copy of every secret a DKG party sends or ends with. */
class RecordingDkg extends DkgDriver {
  static secrets: Uint8Array[] = [];
  private keep(out: CeremonyMessage[]): CeremonyMessage[] {
    for (const m of out) for (const s of this.secretFields(m)) RecordingDkg.secrets.push(s.slice());
    return out;
  }
  override start(): CeremonyMessage[] {
    return this.keep(super.start());
  }
  override step(m: unknown): CeremonyMessage[] {
    return this.keep(super.step(m));
  }
  override result(): DkgResult {
    const r = super.result();
    RecordingDkg.secrets.push(r.share.signingShare.slice());
    return r;
  }
}

/** Keeps a copy of a signer's nonces before they are used and wiped. */
class RecordingSign extends SignDriver {
  static secrets: Uint8Array[] = [];
  override start(): CeremonyMessage[] {
    const out = super.start();
    for (const n of this.nonces?.nonces ?? []) RecordingSign.secrets.push(n.hiding.slice(), n.binding.slice());
    return out;
  }
}

function forms(secret: Uint8Array): Buffer[] {
  const hex = bytesToHex(secret);
  return [Buffer.from(secret), Buffer.from(hex), Buffer.from(hex.toUpperCase()), Buffer.from(base64.encode(secret))];
}

describe('a full capture of the relay\'s traffic', () => {
  it('contains none of the DKG round-2 shares, the final key shares, the signing nonces or the transport secrets', async () => {
    const port = await relay.start();
    const parties = testKey(2, 3).parties;
    const ring = keyring([...parties, COORDINATOR]);
    const dkgT = await conns.transports(parties, port);
    const outcomes = await startDkg(parties, 2, {
      sessionId: 'capture-dkg', ring, transportFor: (p) => dkgT.get(p)!, dkgDriver: (...a) => new RecordingDkg(...a),
    });
    const results = await Promise.all(outcomes.values());
    const key: TestKey = { groupKey: results[0]!.result.groupKey, parties, shares: new Map(results.map((r) => [r.result.share.identifier, r.result.share])) };
    const shareCopies = [...key.shares.values()].map((s: SecretShare) => s.signingShare.slice());

    const signers = [parties[0], parties[2]] as PartyId[];
    const signT = await conns.transports([...signers, COORDINATOR], port);
    const msg = sighash('capture');
    const run = await startSigning(key, signers, [msg], {
      sessionId: 'capture-sign', ring, transportFor: (p) => signT.get(p)!, signDriver: (...a) => new RecordingSign(...a),
    });
    const sig = (await run.outcomes.get(COORDINATOR))!.result.signatures![0]!;
    expect(schnorr.verify(sig, msg, key.groupKey.outputKey)).toBe(true);
    await Promise.all(run.outcomes.values());

    const capture = relay.captured();
    // The capture is real: the headers the relay must read are in it.
    expect(capture.includes(Buffer.from('capture-sign'))).toBe(true);
    expect(capture.includes(Buffer.from(parties[0]!))).toBe(true);
    const transportSecrets = [...ring.keys.values()].flatMap((k) => [k.signingSecret, k.hpkeSecret]);
    const secrets = [...RecordingDkg.secrets, ...shareCopies, ...RecordingSign.secrets, ...transportSecrets];
    expect(RecordingDkg.secrets.length).toBe(6 + 3);
    expect(RecordingSign.secrets.length).toBe(4);
    for (const s of secrets) for (const f of forms(s)) expect(capture.includes(f)).toBe(false);
  });
});
