// A custodian's device registers their signer node's transport keys in the log; replay holds them to that custodian.
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeKeyFingerprint, replayErrors, type GovernanceRecord, type NodeKeyRecord } from '../../crypto/governance';
import { expectError, foundedVault, harness, shownText, type Harness } from './helpers';

const open: Harness[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()));
});
async function start(): Promise<Harness & { ids: Awaited<ReturnType<typeof foundedVault>> }> {
  const h = harness();
  open.push(h);
  return Object.assign(h, { ids: await foundedVault(h) });
}
const hex = (b: Uint8Array) => '0x' + bytesToHex(b);
function nodeKeys(seed: number) {
  return {
    nodeId: seed.toString(16).padStart(16, '0'),
    signingKey: hex(ed25519.getPublicKey(new Uint8Array(32).fill(seed))),
    hpkeKey: hex(x25519.getPublicKey(new Uint8Array(32).fill(seed + 100))),
  };
}
const records = (h: Harness) => h.store.records.all().map((r) => JSON.parse(r.body) as GovernanceRecord);

describe('signer node registration', () => {
  it('is shown on the custodian’s device with the keys’ fingerprint, and replay gives the user the node', async () => {
    const h = await start();
    const keys = nodeKeys(1);
    const before = h.screens.bob.length;
    const out = await h.vault.registerNode({ ...keys, deviceId: h.device.bob });
    expect(out).toMatchObject({ userId: h.ids.bob, nodeId: keys.nodeId, keyFingerprint: nodeKeyFingerprint(keys) });
    const shown = shownText(h.screens.bob[before]!);
    expect(shown).toMatch(/REGISTER signer node/);
    expect(shown).toContain(keys.nodeId);
    expect(shown.replace(/\s/g, '')).toContain(nodeKeyFingerprint(keys).slice(2, 18));
    const bob = h.vault.readState().users.find((u) => u.id === h.ids.bob);
    expect(bob?.node).toEqual({ ...keys, seq: out.seq });
    expect(h.vault.auditVerify()).toMatchObject({ valid: true });
    // A later registration replaces it (a custodian's new machine).
    const next = nodeKeys(2);
    await h.vault.registerNode({ ...next, deviceId: h.device.bob });
    expect(h.vault.readState().users.find((u) => u.id === h.ids.bob)?.node?.nodeId).toBe(next.nodeId);
    h.reopen();
    expect(h.vault.status().vault?.integrity.status).toBe('ok');
  });

  it('refuses another custodian’s node id or keys before any device is asked', async () => {
    const h = await start();
    const keys = nodeKeys(3);
    await h.vault.registerNode({ ...keys, deviceId: h.device.bob });
    const asked = h.screens.carol.length;
    await expectError(h.vault.registerNode({ ...nodeKeys(4), nodeId: keys.nodeId, deviceId: h.device.carol }), 'RULE_VIOLATION', /serves? one custodian/);
    await expectError(h.vault.registerNode({ ...nodeKeys(5), hpkeKey: keys.hpkeKey, deviceId: h.device.carol }), 'RULE_VIOLATION', /serves? one custodian/);
    expect(h.screens.carol.length).toBe(asked);
  });

  it('is a projection like the rest: a node’s keys swapped in the store are caught, the log wins', async () => {
    const h = await start();
    await h.vault.registerNode({ ...nodeKeys(8), deviceId: h.device.bob });
    h.reopen();
    expect(h.vault.readState().users.find((u) => u.id === h.ids.bob)?.node?.nodeId).toBe(nodeKeys(8).nodeId);
    // A local attacker points Bob's node at keys of their own.
    h.store.db.prepare('UPDATE users SET node = ? WHERE id = ?').run(JSON.stringify({ ...nodeKeys(9), seq: 5 }), h.ids.bob);
    const report = h.vault.verify();
    expect(report.status).toBe('tampered');
    expect(report.problems.join(' ')).toMatch(/node/);
  });

  it('refuses, in replay, a registration signed by another device or moved to another user', async () => {
    const h = await start();
    await h.vault.registerNode({ ...nodeKeys(6), deviceId: h.device.bob });
    const log = records(h);
    const last = log[log.length - 1] as NodeKeyRecord;
    const others = log.slice(0, -1);
    expect(replayErrors(log)).toEqual([]);
    expect(replayErrors([...others, { ...last, userId: h.ids.carol }]).map((e) => e.code)).toEqual(['BAD_SIGNATURE']);
    expect(replayErrors([...others, { ...last, hpkeKey: nodeKeys(7).hpkeKey }]).map((e) => e.code)).toEqual(['BAD_SIGNATURE']);
    expect(replayErrors([...others, { ...last, nodeId: 'ABC' }]).map((e) => e.code)).toEqual(['MALFORMED']);
  });
});
