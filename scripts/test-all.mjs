#!/usr/bin/env node
// `npm test`: typecheck, lint, unit + integration tests, end-to-end tests; ends with one summary line.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureNativeModulesForNode } from './native-modules.mjs';

// After `npm start` the native modules are built for Electron; the tests run under Node.
ensureNativeModulesForNode();

const reports = mkdtempSync(path.join(tmpdir(), 'custos-test-'));
const steps = [
  { name: 'typecheck', cmd: ['npm', 'run', '--silent', 'typecheck'] },
  { name: 'lint', cmd: ['npm', 'run', '--silent', 'lint'] },
  {
    name: 'unit + integration',
    cmd: ['npx', 'vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${path.join(reports, 'unit.json')}`],
    report: path.join(reports, 'unit.json'),
  },
  { name: 'build renderer', cmd: ['npm', 'run', '--silent', 'build:renderer'] },
  {
    name: 'end-to-end (Chromium)',
    cmd: ['npx', 'vitest', 'run', '--config', 'vitest.e2e.config.ts', '--reporter=default', '--reporter=json', `--outputFile.json=${path.join(reports, 'e2e.json')}`],
    report: path.join(reports, 'e2e.json'),
  },
];

let passed = 0;
let failed = 0;
let skipped = 0;
const failedSteps = [];
const failedTests = [];
for (const step of steps) {
  process.stdout.write(`\n=== ${step.name}\n`);
  const started = Date.now();
  const run = spawnSync(step.cmd[0], step.cmd.slice(1), { stdio: 'inherit', env: { ...process.env, FORCE_COLOR: '0' } });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (step.report && existsSync(step.report)) {
    const r = JSON.parse(readFileSync(step.report, 'utf8'));
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    skipped += r.numPendingTests + (r.numTodoTests ?? 0);
    if (r.numTotalTests === 0) failedSteps.push(`${step.name} (ran no test)`);
    failedTests.push(...failuresIn(r));
  } else if (step.report) {
    failedSteps.push(`${step.name} (no report)`);
  }
  if (run.status !== 0) failedSteps.push(`${step.name} (exit ${run.status ?? run.signal})`);
  process.stdout.write(`=== ${step.name}: ${run.status === 0 ? 'ok' : 'FAILED'} in ${seconds}s\n`);
}

// CI keeps only the tail of the output: name each failed test, and the first line of why, next to the summary.
if (failedTests.length) process.stdout.write(`\nFailed tests:\n${failedTests.map((t) => `  ${t}`).join('\n')}\n`);
if (failedSteps.length) process.stdout.write(`\nFailed steps: ${[...new Set(failedSteps)].join(', ')}\n`);
// A failed step that is not a test (typecheck, lint, build) counts as one failure, so the line never hides it.
const stepFailures = failedSteps.filter((s) => !/unit|end-to-end/.test(s)).length;
process.stdout.write(`\ntests: ${passed} passed, ${failed + stepFailures} failed, ${skipped} skipped\n`);
process.exit(failedSteps.length || failed ? 1 : 0);

/** `file > test: first line of the error` for each failed test, or each file that failed outside a test. */
function failuresIn(report) {
  const out = [];
  for (const file of report.testResults ?? []) {
    const name = path.relative(process.cwd(), file.name);
    const failed = (file.assertionResults ?? []).filter((a) => a.status === 'failed');
    for (const a of failed) out.push(`${name} > ${a.fullName}: ${firstLine(a.failureMessages?.[0])}`);
    if (!failed.length && file.status === 'failed') out.push(`${name}: ${firstLine(file.message)}`);
  }
  return out;
}

function firstLine(text) {
  return String(text ?? '').split('\n').find((l) => l.trim())?.trim().slice(0, 300) ?? '';
}
