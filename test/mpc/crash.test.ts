// A host killed (SIGKILL) at any step of any ceremony fails the pending request cleanly; the next request runs on a new host.
import { schnorr } from '@noble/curves/secp256k1.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CustosError } from '../../main/errors';
import { MpcHostClient } from '../../main/mpc/client';
import { nodeHostLauncher } from '../../main/mpc/launch-node';
import { CEREMONY_STEPS } from '../../main/mpc-host/ceremony-protocol';
import type { DkgOutcome } from '../../main/mpc-host/ceremony-codec';
import { bundledHostEntry, crashingLauncher } from './helpers';
import { custodians, dkgParams, message, reshareParams, signParams } from './ceremony-helpers';

let launcher: ReturnType<typeof crashingLauncher>;
let client: MpcHostClient;
beforeAll(async () => {
  launcher = crashingLauncher(nodeHostLauncher({ entry: await bundledHostEntry(), env: { ...process.env, CUSTOS_MPC_HOST_QUIET: '1' } }));
  client = new MpcHostClient({ launcher });
  await client.start();
});
afterAll(() => client.close());

/** Runs `attempt` with the host set to die at `step`: it must fail as MPC_HOST_UNAVAILABLE, on a host that is then gone. */
async function crashAt(step: string, attempt: () => Promise<unknown>): Promise<void> {
  await client.start();
  const pid = client.pid;
  const kills = launcher.kills;
  launcher.killAt = step;
  let err: unknown = null;
  try {
    await attempt();
  } catch (e) {
    err = e;
  } finally {
    launcher.killAt = null;
  }
  expect(launcher.kills, `the host reported step ${step}`).toBe(kills + 1);
  expect(err).toBeInstanceOf(CustosError);
  expect(err).toMatchObject({ code: 'MPC_HOST_UNAVAILABLE', message: expect.stringMatching(/stopped by signal SIGKILL before it answered/) });
  expect(client.pid).not.toBe(pid);
}

const people = custodians(3);

describe('SIGKILL during a ceremony', () => {
  it.each(CEREMONY_STEPS.dkg)('DKG killed at %s: the request fails, the next DKG succeeds on a new host', async (step) => {
    await crashAt(step, () => client.runDkg(dkgParams(2, people)));
    const out = await client.runDkg(dkgParams(2, people));
    expect(out.shares).toHaveLength(3);
  });

  describe('signing', () => {
    let dkg: DkgOutcome;
    const msg = message('same message');
    const nonces = new Set<string>();
    beforeAll(async () => {
      dkg = await client.runDkg(dkgParams(2, people));
      const first = await client.sign(signParams(dkg, people.slice(0, 2), [msg]));
      nonces.add(bytesToHex(first.signatures[0]!.subarray(0, 32)));
    });

    it.each(CEREMONY_STEPS.sign)('killed at %s: the retried session signs with fresh nonces', async (step) => {
      // The very same request (same session id, same shares) is retried, as main would after a crash.
      const params = signParams(dkg, people.slice(0, 2), [msg]);
      await crashAt(step, () => client.sign(params));
      const retried = await client.sign(params);
      expect(schnorr.verify(retried.signatures[0]!, msg, dkg.groupKey.outputKey)).toBe(true);
      const R = bytesToHex(retried.signatures[0]!.subarray(0, 32));
      expect(nonces.has(R)).toBe(false);
      nonces.add(R);
    });
  });

  describe('refresh', () => {
    let dkg: DkgOutcome;
    beforeAll(async () => {
      dkg = await client.runDkg(dkgParams(2, people));
    });

    it.each(CEREMONY_STEPS.reshare)('killed at %s: the retried refresh keeps the key', async (step) => {
      const params = reshareParams({ ...dkg, fromKeyVersion: 1 }, 'refresh', people, people, 2);
      await crashAt(step, () => client.reshare(params));
      const out = await client.reshare(params);
      expect(bytesToHex(out.groupKey.outputKey)).toBe(bytesToHex(dkg.groupKey.outputKey));
    });
  });
});
