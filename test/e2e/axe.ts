// axe-core (Deque) run in the page as it is: its source evaluated through the browser's debugging protocol, so the
// console's own Content-Security-Policy stays in force. Serious and critical violations fail a test.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const source = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface Violation {
  id: string;
  impact: string | null;
  help: string;
  /** Each offending element's selector, and what axe says to fix. */
  nodes: { target: string; fix: string }[];
}

/** WCAG 2.1 A and AA rules on the whole page, and best practices; the violations of `impact` or worse. */
export async function axeViolations(page: Page, impacts: readonly string[] = ['serious', 'critical']): Promise<Violation[]> {
  const loaded = await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe !== 'undefined');
  if (!loaded) await page.evaluate(source);
  const found = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: string[]; failureSummary?: string }[] }[] }> } }).axe;
    const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] }, resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target.join(' '), fix: (n.failureSummary ?? '').split('\n').slice(1, 2).join('').trim() })) }));
  });
  return found.filter((v) => v.impact !== null && impacts.includes(v.impact));
}

/** One line per violation and element, for an assertion message a person can act on. */
export const describeViolations = (vs: readonly Violation[]): string[] => vs.flatMap((v) => v.nodes.map((n) => `${v.impact} ${v.id}: ${v.help} — ${n.target}${n.fix ? ` (${n.fix})` : ''}`));
