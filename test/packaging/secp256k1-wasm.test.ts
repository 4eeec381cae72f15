// tiny-secp256k1 (libsecp256k1 in WASM) ships with the app, loads in main and the host, and stays out of the renderer.
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const root = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));

/** The modules an esbuild bundle of `entries` reaches, and whether any of them imports tiny-secp256k1 (left external). */
async function reach(entries: string[]): Promise<{ inputs: string[]; wasmLibrary: boolean }> {
  const result = await build({
    entryPoints: entries,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
    outdir: 'unused',
    external: ['tiny-secp256k1'],
  });
  const inputs = Object.entries(result.metafile.inputs);
  return { inputs: inputs.map(([file]) => file), wasmLibrary: inputs.some(([, input]) => input.imports.some((i) => i.path === 'tiny-secp256k1')) };
}

function rendererCryptoImports(): string[] {
  const files = readdirSync(root('renderer'), { recursive: true, encoding: 'utf8' }).filter((f) => /\.(ts|vue)$/.test(f));
  const imports = new Set<string>();
  for (const file of files) {
    const text = readFileSync(join(root('renderer'), file), 'utf8');
    for (const m of text.matchAll(/from '((?:\.\.\/)+crypto\/[^']+)'/g)) {
      imports.add(fileURLToPath(new URL(m[1] as string, `file://${join(root('renderer'), file)}`)));
    }
  }
  return [...imports].map((p) => (p.endsWith('.ts') ? p : `${p}.ts`));
}

describe('tiny-secp256k1 in the app', () => {
  it('is a production dependency, so electron-builder packs it (with its .wasm) into the app', () => {
    const pkg = JSON.parse(readFileSync(root('package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(pkg.dependencies['tiny-secp256k1']).toBeDefined();
    expect(readFileSync(root('node_modules/tiny-secp256k1/lib/secp256k1.wasm')).subarray(0, 4)).toEqual(Buffer.from([0, 0x61, 0x73, 0x6d]));
    // electron-builder drops node_modules files by extension (app-builder-lib's fileMatcher): .wasm must not be one of them.
    const { excludedExts } = require('app-builder-lib/out/fileMatcher.js') as { excludedExts: string };
    expect(excludedExts.split(',')).not.toContain('wasm');
  });

  it('is not reached from the renderer, whose crypto imports stay pure JavaScript', async () => {
    const entries = rendererCryptoImports();
    expect(entries.length).toBeGreaterThan(0);
    const { inputs, wasmLibrary } = await reach(entries);
    expect(wasmLibrary).toBe(false);
    expect(inputs.filter((i) => i.endsWith('crypto/ethereum.ts'))).toEqual([]);
  });

  it('is reached from statement verification (so the check above can fail)', async () => {
    const { inputs, wasmLibrary } = await reach([root('crypto/statements.ts')]);
    expect(wasmLibrary).toBe(true);
    expect(inputs.some((i) => i.endsWith('crypto/ethereum.ts'))).toBe(true);
  });
});
