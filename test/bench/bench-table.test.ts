// The README's benchmark table comes from a run's JSON: every row, the settings, and each target met, not met or not
// measured; a README without the markers is refused rather than written somewhere else.
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without type declarations
import { benchTable, withTable } from '../../scripts/bench-table.mjs';

const run = {
  settings: { startedAt: '2026-12-06T07:00:00.000Z', node: 'v22.1.0', cores: 2, loadavg: { start: [1.5], end: [2.25] }, mpcSizes: '2,3', historySizes: [1000, 10000], transfers: true, argv: ['--record'], env: { TRANSFER_BENCH_SAMPLES: '3' } },
  rows: [
    { name: 'audit chain verification', unit: 'entries/s', custos: 123456.7, floor: 250000, ratio: 2.02, note: '' },
    { name: 'full replay from genesis (vault.verify), 1,000 records', unit: 'records/s', custos: 140.2, floor: null, ratio: null, note: '' },
  ],
  targets: [
    { target: 'audit chain verification ≥ 100,000 entries/s', measured: '123,457/s', met: true },
    { target: 'console start-up ≤ 2 s at 100,000 records (absolute)', measured: '9 s', met: false },
    { target: 'MPC host ready after a restart ≤ 2 s at 100,000 records', measured: 'not measured', met: null },
  ],
};

describe('the benchmark table', () => {
  const table = benchTable(run) as string;

  it('lists every row with its figures, a missing floor as a dash', () => {
    expect(table).toContain('| audit chain verification | entries/s | 123,457 | 250,000 | 2.02 |');
    expect(table).toContain('| full replay from genesis (vault.verify), 1,000 records | records/s | 140 | — | — |');
  });

  it('says which settings produced it and which vault sizes it leaves out', () => {
    expect(table).toContain('Node v22.1.0, 2 cores, 1-minute load 1.50 at start and 2.25 at end');
    expect(table).toContain('**100,000 not in this run**');
    expect(table).toContain('environment `TRANSFER_BENCH_SAMPLES=3`');
  });

  it('lists every target as met, not met or not measured', () => {
    expect(table).toContain('- met: audit chain verification ≥ 100,000 entries/s (measured 123,457/s)');
    expect(table).toContain('- **not met**: console start-up ≤ 2 s at 100,000 records (absolute) (measured 9 s)');
    expect(table).toContain('- not measured: MPC host ready after a restart');
  });

  it('replaces only what lies between the markers, and refuses a README without them', () => {
    const readme = 'intro\n<!-- bench:start -->\nold table\n<!-- bench:end -->\noutro\n';
    const next = withTable(readme, table) as string;
    expect(next.startsWith('intro\n')).toBe(true);
    expect(next.endsWith('\noutro\n')).toBe(true);
    expect(next).not.toContain('old table');
    expect(withTable(next, table)).toBe(next);
    expect(() => withTable('no markers here', table)).toThrow(/markers/);
  });
});
