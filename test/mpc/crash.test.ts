// A host killed (SIGKILL) at any step of a signing fails the pending request cleanly: nothing is recorded, the signer's
// journal still holds together, and the retried request signs on a new host with fresh nonces.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeHostLauncher } from '../../main/mpc/launch-node';
import { CEREMONY_STEPS } from '../../main/mpc-host/protocol';
import { expectError } from '../vault/helpers';
import { transferHarness, type TransferHarness } from '../transfers/helpers';
import { bundledHostEntry, crashingLauncher } from './helpers';

let h: TransferHarness;
let launcher: ReturnType<typeof crashingLauncher>;
beforeAll(async () => {
  const entry = await bundledHostEntry();
  h = await transferHarness({}, { launcher: (env) => (launcher = crashingLauncher(nodeHostLauncher({ entry, env }))) });
}, 240_000);
afterAll(() => h?.close());

const signedEntries = (): number =>
  readFileSync(path.join(h.dir, 'mpc-host', 'journal.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.includes('"kind":"signed"')).length;

describe('SIGKILL during a signing', () => {
  const nonces = new Set<string>();

  it.each(CEREMONY_STEPS.sign)('killed at %s: nothing is recorded; the retried request signs with a fresh nonce', async (step) => {
    const r = await h.transfers.create({ walletId: h.walletId, destination: h.elsewhere, amount: '100000', feeRate: 1, deviceId: h.device.dave });
    await h.transfers.approve({ requestId: r.id, deviceId: h.device.erin });
    await h.client.start();
    const pid = h.client.pid;
    const before = signedEntries();
    launcher.killAt = step;
    try {
      await expectError(h.transfers.sign(r.id), 'MPC_HOST_UNAVAILABLE', /stopped by signal SIGKILL before it answered/);
    } finally {
      launcher.killAt = null;
    }
    expect(h.transfers.get(r.id).status).toBe('ready');
    expect(h.vault.verify().status).toBe('ok');
    if (signedEntries() === before + 1) {
      // The kill is sent when main hears of the step; at the last step the host may have journaled the signing by then.
      // Then the request is spent, never signed twice: the retry is refused and nothing is recorded.
      expect(step).toBe(CEREMONY_STEPS.sign[CEREMONY_STEPS.sign.length - 1]);
      await expectError(h.transfers.sign(r.id), 'POLICY_DENIED', /already signed/);
      expect(h.transfers.get(r.id).status).toBe('ready');
      return;
    }
    expect(signedEntries()).toBe(before);
    const signed = await h.transfers.sign(r.id);
    expect(h.client.pid).not.toBe(pid);
    expect((await h.client.status()).problem).toBeNull();
    expect(signedEntries()).toBe(before + 1);
    const witness = signed.signed!.tx;
    // The 64-byte key-path signature sits in the witness; its first 32 bytes are R.
    const R = witness.match(/0140([0-9a-f]{64})/)?.[1];
    expect(R).toBeDefined();
    expect(nonces.has(R!)).toBe(false);
    nonces.add(R!);
  });
});
