// The DKG pool: parties spread over worker threads give the one-thread run's key and shares, from sources and from a bundle.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { schnorr } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CeremonyError } from '../../crypto/frost/errors.js';
import { DkgPool, type PoolDkgRequest } from '../../main/mpc-host/dkg-pool.js';
import { COORD, deviceEntropyFor, ids, runDkg, runSigning } from '../frost/helpers.js';

/** The pool's request for the parties helpers.runDkg makes, with the seeds behind its rngFor(`${ceremonyId}/${party}`). */
function requestLike(t: number, n: number, ceremonyId = `dkg-${t}-${n}`): PoolDkgRequest {
  return {
    ceremonyId,
    threshold: t,
    parties: ids(n).map((partyId) => ({
      partyId,
      rngSeed: sha256(utf8ToBytes(`test-rng/${ceremonyId}/${partyId}`)),
      deviceEntropy: deviceEntropyFor(`${ceremonyId}/${partyId}`),
    })),
  };
}

describe('DKG pool', () => {
  const pool = new DkgPool({ threads: 2, timeoutMs: 60_000 });
  beforeAll(() => pool.start());
  afterAll(() => pool.close());

  it.each([
    [3, 5],
    [7, 10],
  ])('gives a %i-of-%i key over 2 threads equal to the one-thread run, and its shares sign', async (t, n) => {
    const pooled = await pool.run(requestLike(t, n));
    const single = runDkg(t, n);
    expect(pooled.groupKey).toEqual(single.groupKey);
    expect(pooled.shares).toEqual(ids(n).map((id) => single.shares.get(id)));

    const shares = new Map(pooled.shares.map((s) => [s.identifier, s]));
    const msg = sha256(utf8ToBytes(`pool ${t}-of-${n}`));
    const signers = ids(n).slice(n - t);
    const states = runSigning(pooled.groupKey.publicPackage, shares, signers, [msg]);
    const [sig] = states.get(COORD)!.public.signatures!;
    expect(schnorr.verify(sig!, msg, pooled.groupKey.outputKey)).toBe(true);
  });

  it('rejects a ceremony that fails in a thread with its CeremonyError, and runs the next one', async () => {
    const bad = { ...requestLike(3, 5, 'dkg-bad'), threshold: 1 };
    const err = await pool.run(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CeremonyError);
    expect((err as CeremonyError).code).toBe('BAD_CONFIG');
    const again = await pool.run(requestLike(2, 3));
    expect(again.groupKey).toEqual(runDkg(2, 3).groupKey);
  });
});

describe('DKG pool from a bundle', () => {
  const dir = mkdtempSync(join(tmpdir(), 'custos-dkg-pool-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds dkg-pool.js beside the bundled code and makes the same key without tsx', async () => {
    const src = (p: string) => fileURLToPath(new URL(p, import.meta.url));
    const common = { bundle: true, platform: 'node', format: 'esm', logLevel: 'silent', target: 'node20' } as const;
    await build({ ...common, entryPoints: [src('../../main/mpc-host/dkg-pool.ts')], outfile: join(dir, 'dkg-pool.js') });
    // A stand-in for the host bundle: imports the pool, runs a 2-of-3 DKG, prints the output key.
    await build({
      ...common,
      stdin: {
        contents: `
          import { DkgPool } from './main/mpc-host/dkg-pool.ts';
          const hex = (s) => Uint8Array.from(Buffer.from(s, 'hex'));
          const request = JSON.parse(process.argv[2]);
          request.parties = request.parties.map((p) => ({ ...p, rngSeed: hex(p.rngSeed), deviceEntropy: hex(p.deviceEntropy) }));
          const pool = new DkgPool({ threads: 2 });
          const { groupKey } = await pool.run(request);
          await pool.close();
          console.log(Buffer.from(groupKey.outputKey).toString('hex'));`,
        resolveDir: src('../..'),
        loader: 'ts',
      },
      outfile: join(dir, 'host.js'),
    });
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
    const request = requestLike(2, 3);
    const arg = JSON.stringify({
      ...request,
      parties: request.parties.map((p) => ({ ...p, rngSeed: bytesToHex(p.rngSeed), deviceEntropy: bytesToHex(p.deviceEntropy) })),
    });
    const env = { ...process.env };
    delete env.CUSTOS_DKG_POOL_WORKER;
    const { stdout } = await promisify(execFile)(process.execPath, [join(dir, 'host.js'), arg], { cwd: dir, env });
    expect(stdout.trim()).toBe(bytesToHex(runDkg(2, 3).groupKey.outputKey));
  });
});
