// Runs the transfer benchmark alone (`npx tsx test/bench/transfers-main.ts`): its rows, then its JSON line.
import { transferBench } from './transfers-bench';

const { rows, json } = await transferBench();
const fmt = (n: number) => (!Number.isFinite(n) ? '—' : n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2));
console.log(['benchmark', 'unit', 'custos', 'floor', 'ratio'].join(' | '));
for (const r of rows) console.log([r.name, r.unit, fmt(r.custos), fmt(r.floor), Number.isFinite(r.ratio) ? r.ratio.toFixed(2) : '—'].join(' | '));
console.log('\nnotes:');
for (const r of rows) console.log(`- ${r.name}: ${r.note}`);
console.log(JSON.stringify({ bench: 'custos-transfers', node: process.version, rows, transfers: json }));
