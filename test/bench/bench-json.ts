// Where a benchmark run's JSON goes: test-results/bench.json every run; with --record also docs/bench/latest.json,
// the committed run the README's benchmark table is rendered from (scripts/bench-table.mjs).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const RUN_FILE = path.join(ROOT, 'test-results', 'bench.json');
export const RECORDED_FILE = path.join(ROOT, 'docs', 'bench', 'latest.json');

/** Writes the run (NaN, for a row without a floor, becomes null) and returns the files written. */
export function writeBenchJson(run: Record<string, unknown>, record: boolean): string[] {
  const text = JSON.stringify(run, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n';
  const files = record ? [RUN_FILE, RECORDED_FILE] : [RUN_FILE];
  for (const f of files) {
    mkdirSync(path.dirname(f), { recursive: true });
    writeFileSync(f, text);
  }
  return files.map((f) => path.relative(process.cwd(), f));
}
