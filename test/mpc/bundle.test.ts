// The host entry is found and runs from a built layout (out/main/index.js beside out/main/mpc-host.js), not only from sources.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { HOST_BUNDLE_EXTERNALS, linkNodeModules } from './helpers';

const dir = mkdtempSync(join(tmpdir(), 'custos-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const src = (p: string) => fileURLToPath(new URL(p, import.meta.url));

describe('the MPC host from a bundle', () => {
  it('is found as out/main/mpc-host.js beside the main bundle and answers a ping without tsx', async () => {
    const outMain = join(dir, 'out', 'main');
    const common = { bundle: true, platform: 'node', format: 'esm', logLevel: 'silent', target: 'node20', external: HOST_BUNDLE_EXTERNALS } as const;
    await build({ ...common, entryPoints: [src('../../main/mpc-host/entry.ts')], outfile: join(outMain, 'mpc-host.js') });
    await build({ ...common, entryPoints: [src('./fixtures/bundled-main.ts')], outfile: join(outMain, 'index.js') });
    // out/ sits under the project's package.json ("type": "module"); the temp copy needs its own to load ESM .js.
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
    linkNodeModules(dir);
    const env = { ...process.env };
    delete env.CUSTOS_MPC_HOST_ENTRY;
    const { stdout } = await promisify(execFile)(process.execPath, [join(outMain, 'index.js')], { cwd: dir, env });
    const result = JSON.parse(stdout) as { entry: string; health: { protocolVersion: number; pid: number } };
    expect(result.entry).toBe(join(outMain, 'mpc-host.js'));
    expect(result.health.protocolVersion).toBe(3);
  });
});
