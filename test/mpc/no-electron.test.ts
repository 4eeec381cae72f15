// The MPC host never loads electron: proved by running it under a guard that fails any electron import, and by its import graph.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { MpcHostClient } from '../../main/mpc/client';
import { execArgvFor, nodeHostLauncher } from '../../main/mpc/launch-node';
import { GUARD } from './helpers';

const ENTRY = fileURLToPath(new URL('../../main/mpc-host/entry.ts', import.meta.url));

describe('the MPC host and electron', () => {
  it('runs and answers under plain Node with every electron import forbidden', async () => {
    const client = new MpcHostClient({ launcher: nodeHostLauncher({ entry: ENTRY, execArgv: ['--import', GUARD] }) });
    try {
      expect((await client.ping()).protocolVersion).toBe(3);
    } finally {
      await client.close();
    }
  });

  it('has a guard that does catch an electron import (so the test above can fail)', async () => {
    const script = fileURLToPath(new URL('./fixtures/imports-electron.ts', import.meta.url));
    const child = fork(script, [], { execArgv: [...execArgvFor(script), '--import', GUARD], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/FORBIDDEN_ELECTRON_IMPORT/);
  });

  it('has no electron anywhere in its static import graph', async () => {
    const result = await build({
      entryPoints: [ENTRY],
      bundle: true,
      platform: 'node',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
      external: ['electron', 'electron/*'],
    });
    const inputs = Object.entries(result.metafile.inputs);
    expect(inputs.length).toBeGreaterThan(3);
    const electronImports = inputs.flatMap(([file, input]) =>
      input.imports.filter((i) => /^electron(\/|$)/.test(i.path) || /node_modules\/electron\//.test(i.path)).map((i) => `${file} → ${i.path}`),
    );
    expect(electronImports).toEqual([]);
  });
});
