// Bundles the browser shim (preload/browser-shim.ts) with esbuild when the browser host starts.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const shimEntry = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../preload/browser-shim.ts');

export async function buildShim(): Promise<string> {
  const result = await build({
    entryPoints: [shimEntry],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
    minify: false,
    logLevel: 'silent',
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error('esbuild produced no shim');
  return output.text;
}
