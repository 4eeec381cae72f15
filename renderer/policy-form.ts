// The policy draft as a form holds it (BTC and durations as typed) and back to the custos-policy/1 document, with each
// field's problem in words. Pure: the form components edit this state; the JSON view and main read the document.
import { btcToSats, satsToBtc } from './amounts';
import type { PolicyDoc, RuleDoc, VelocityDoc } from './policy-text';
import { POLICY_FORMAT } from './policy-text';

export type DurationUnit = 'seconds' | 'minutes' | 'hours' | 'days';
export const UNIT_SECONDS: Record<DurationUnit, number> = { seconds: 1, minutes: 60, hours: 3_600, days: 86_400 };

/** The windows a limit is usually written over; any other is typed as a number and a unit. */
export const WINDOW_PRESETS = [
  { seconds: 3_600, label: '1 hour' },
  { seconds: 86_400, label: '24 hours' },
  { seconds: 604_800, label: '7 days' },
  { seconds: 2_592_000, label: '30 days' },
] as const;

/** 366 days, as the policy engine bounds a delay or a window. */
const MAX_SECONDS = 366 * 86_400;

export interface LimitForm {
  /** A preset's seconds, or 'other' for a typed window. */
  window: number | 'other';
  otherValue: string;
  otherUnit: DurationUnit;
  /** BTC as typed. */
  maxBtc: string;
  /** Empty: no count limit. */
  maxCount: string;
}

export interface StepForm {
  /** '' until a group is picked. */
  groupId: string;
  count: string;
  initiatorMayApprove: boolean;
}

export interface RuleForm {
  /** Keys the rule in lists while it is edited (its position changes, its id may not exist yet). */
  key: number;
  /** The id of a rule that came from a document (kept across versions: per-rule limits count by it); null for a new rule. */
  id: string | null;
  name: string;
  minBtc: string;
  maxBtc: string;
  destination: 'any' | 'whitelist';
  whitelistId: string;
  /** '' = any initiator. */
  initiatorGroupId: string;
  steps: StepForm[];
  delayValue: string;
  delayUnit: DurationUnit;
  velocity: LimitForm[];
}

export interface PolicyForm {
  version: number;
  walletId: string;
  rules: RuleForm[];
  velocity: LimitForm[];
  refreshSignatures: string;
  refreshDays: string;
}

/**
 * Problems by field, keyed by where the field is: "rules.0.amount.max", "rules.1.steps.0.count", "velocity.2.maxBtc",
 * "rules" (the list itself), "refresh.days"… Each is a sentence a person acts on.
 */
export type FormProblems = Record<string, string>;

let nextKey = 1;
const newKey = () => nextKey++;

/** A duration in seconds as the largest unit that writes it whole (minutes at least, when it can). */
function durationFields(seconds: number): { value: string; unit: DurationUnit } {
  for (const unit of ['days', 'hours', 'minutes'] as const) {
    if (seconds !== 0 && seconds % UNIT_SECONDS[unit] === 0) return { value: String(seconds / UNIT_SECONDS[unit]), unit };
  }
  return seconds === 0 ? { value: '0', unit: 'minutes' } : { value: String(seconds), unit: 'seconds' };
}

export function limitForm(v?: VelocityDoc): LimitForm {
  if (v === undefined) return { window: 86_400, otherValue: '', otherUnit: 'hours', maxBtc: '', maxCount: '' };
  const preset = WINDOW_PRESETS.some((p) => p.seconds === v.windowSeconds);
  const other = durationFields(v.windowSeconds);
  return {
    window: preset ? v.windowSeconds : 'other',
    otherValue: preset ? '' : other.value,
    otherUnit: preset ? 'hours' : other.unit,
    maxBtc: satsToBtc(v.maxAmount),
    maxCount: v.maxCount === undefined ? '' : String(v.maxCount),
  };
}

export const stepForm = (groupId = ''): StepForm => ({ groupId, count: '1', initiatorMayApprove: false });

function ruleForm(r: RuleDoc): RuleForm {
  const delay = durationFields(r.delaySeconds);
  return {
    key: newKey(),
    id: r.id,
    name: r.name,
    minBtc: r.amount.min === null ? '' : satsToBtc(r.amount.min),
    maxBtc: r.amount.max === null ? '' : satsToBtc(r.amount.max),
    destination: r.destination.kind,
    whitelistId: r.destination.kind === 'whitelist' ? r.destination.whitelistId : '',
    initiatorGroupId: r.initiatorGroupId ?? '',
    steps: r.steps.map((s) => ({ groupId: s.groupId, count: String(s.count), initiatorMayApprove: s.initiatorMayApprove })),
    delayValue: delay.value,
    delayUnit: delay.unit,
    velocity: r.velocity.map(limitForm),
  };
}

/** A rule to fill in: any amount, any address, one approval from `groupId` (the first group, when there is one). */
export function newRule(name: string, groupId = ''): RuleForm {
  return {
    key: newKey(),
    id: null,
    name,
    minBtc: '',
    maxBtc: '',
    destination: 'any',
    whitelistId: '',
    initiatorGroupId: '',
    steps: [stepForm(groupId)],
    delayValue: '0',
    delayUnit: 'minutes',
    velocity: [],
  };
}

/** The form of a document (the policy in force, or JSON typed in the advanced view). */
export function formFromDocument(doc: PolicyDoc): PolicyForm {
  return {
    version: doc.version,
    walletId: doc.walletId,
    rules: doc.rules.map(ruleForm),
    velocity: doc.velocity.map(limitForm),
    refreshSignatures: doc.shareRefresh?.afterSignatures == null ? '' : String(doc.shareRefresh.afterSignatures),
    refreshDays: doc.shareRefresh?.afterDays == null ? '' : String(doc.shareRefresh.afterDays),
  };
}

/** The draft that follows the policy in force (its rules, version + 1), or a first policy with one rule to fill in. */
export function draftForm(walletId: string, inForce: PolicyDoc | null, firstGroupId: string): PolicyForm {
  if (inForce) return { ...formFromDocument(inForce), version: inForce.version + 1, walletId };
  return { version: 1, walletId, rules: [newRule('Every transfer', firstGroupId)], velocity: [], refreshSignatures: '', refreshDays: '' };
}

/** A whole number from `min` to `max` typed in a field, or a problem in words. */
function wholeNumber(text: string, min: number, max: number, what: string): number | string {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return `Enter ${what} as a whole number.`;
  const n = Number(t);
  if (n < min) return `Enter at least ${min}.`;
  if (n > max) return `Enter at most ${max.toLocaleString('en-US')}.`;
  return n;
}

/** Seconds of a duration typed as a number (decimals allowed: 1.5 hours) and a unit, or a problem in words. */
function seconds(text: string, unit: DurationUnit, min: number, what: string): number | string {
  const t = text.trim().replace(',', '.');
  if (t === '') return `Enter the ${what}.`;
  if (!/^\d*\.?\d+$|^\d+\.$/.test(t)) return `Enter the ${what} as a number, like 30 or 1.5.`;
  const s = Number(t) * UNIT_SECONDS[unit];
  if (!Number.isInteger(Math.round(s * 1e6) / 1e6)) return `The ${what} must come to whole seconds.`;
  const whole = Math.round(s);
  if (whole < min) return min === 0 ? `The ${what} can't be negative.` : `The ${what} must be at least ${min} second.`;
  if (whole > MAX_SECONDS) return `The ${what} can be at most 366 days.`;
  return whole;
}

/** A name the policy and the device statement accept: printable ASCII, at most 32 characters. */
function nameProblem(name: string): string | null {
  if (name.trim() === '') return 'Give the rule a name.';
  if (/[^\x20-\x7e]/.test(name)) return 'Use Latin letters, digits and punctuation only: the device shows other characters as codes.';
  if (name.length > 32) return 'A name is at most 32 characters.';
  if (name !== name.trim() || name.includes('  ')) return 'No spaces at either end and no two spaces in a row.';
  return null;
}

/** "Large sends" → "large-sends": the id a new rule gets, unique within the policy. */
export function ruleIdFor(name: string, taken: ReadonlySet<string>): string {
  const base = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 56) || 'rule';
  let id = base;
  for (let i = 2; taken.has(id); i++) id = `${base}-${i}`;
  return id;
}

function limits(list: readonly LimitForm[], at: string, problems: FormProblems): VelocityDoc[] {
  const out: (VelocityDoc & { index: number })[] = [];
  list.forEach((l, i) => {
    const path = `${at}.${i}`;
    const window = l.window === 'other' ? seconds(l.otherValue, l.otherUnit, 1, 'window') : l.window;
    if (typeof window === 'string') problems[`${path}.window`] = window;
    const max = btcToSats(l.maxBtc);
    if ('problem' in max) problems[`${path}.maxBtc`] = max.problem;
    let count: number | undefined;
    if (l.maxCount.trim() !== '') {
      const c = wholeNumber(l.maxCount, 1, Number.MAX_SAFE_INTEGER, 'the number of transfers');
      if (typeof c === 'string') problems[`${path}.maxCount`] = c;
      else count = c;
    }
    if (typeof window === 'number' && 'sats' in max) {
      const twin = out.find((o) => o.windowSeconds === window);
      if (twin) problems[`${path}.window`] = `Limit ${twin.index + 1} has the same window: one limit per window.`;
      out.push({ index: i, windowSeconds: window, maxAmount: max.sats, ...(count === undefined ? {} : { maxCount: count }) });
    }
  });
  if (list.length > 8) problems[at] = 'At most 8 limits.';
  // The document lists limits by window, shortest first: one order for one set of limits.
  return out.sort((a, b) => a.windowSeconds - b.windowSeconds).map(({ index: _index, ...v }) => v);
}

function rule(r: RuleForm, i: number, ids: ReadonlySet<string>, names: Map<string, number>, problems: FormProblems): RuleDoc {
  const at = `rules.${i}`;
  const name = nameProblem(r.name);
  if (name) problems[`${at}.name`] = name;
  const twin = names.get(r.name.trim().toLowerCase());
  if (!name && twin !== undefined) problems[`${at}.name`] = `Rule ${twin + 1} has this name: give each rule its own.`;
  names.set(r.name.trim().toLowerCase(), twin ?? i);

  const amount = (text: string, side: 'min' | 'max'): string | null => {
    if (text.trim() === '') return null;
    const parsed = btcToSats(text);
    if ('problem' in parsed) {
      problems[`${at}.amount.${side}`] = parsed.problem;
      return null;
    }
    return parsed.sats;
  };
  const min = amount(r.minBtc, 'min');
  const max = amount(r.maxBtc, 'max');
  if (min !== null && max !== null && BigInt(max) < BigInt(min)) problems[`${at}.amount.max`] = 'The maximum is below the minimum.';

  if (r.destination === 'whitelist' && r.whitelistId === '') problems[`${at}.destination`] = 'Pick the whitelist the destination must be on.';
  if (r.steps.length === 0) problems[`${at}.steps`] = 'A rule needs at least one approval step: someone must look before anything is signed.';
  if (r.steps.length > 16) problems[`${at}.steps`] = 'At most 16 approval steps.';
  const steps = r.steps.map((s, j) => {
    if (s.groupId === '') problems[`${at}.steps.${j}.group`] = 'Pick the group that approves.';
    const count = wholeNumber(s.count, 1, 10_000, 'the number of approvals');
    if (typeof count === 'string') problems[`${at}.steps.${j}.count`] = count;
    return { groupId: s.groupId, count: typeof count === 'number' ? count : 1, initiatorMayApprove: s.initiatorMayApprove };
  });
  const delay = seconds(r.delayValue, r.delayUnit, 0, 'delay');
  if (typeof delay === 'string') problems[`${at}.delay`] = delay;

  return {
    id: r.id ?? ruleIdFor(r.name, ids),
    name: r.name,
    amount: { min, max },
    destination: r.destination === 'any' ? { kind: 'any' } : { kind: 'whitelist', whitelistId: r.whitelistId },
    initiatorGroupId: r.initiatorGroupId === '' ? null : r.initiatorGroupId,
    steps,
    delaySeconds: typeof delay === 'number' ? delay : 0,
    velocity: limits(r.velocity, `${at}.velocity`, problems),
  };
}

/**
 * The document of the form, or the problems that keep it from being one (then `document` is null). Main still
 * validates what is proposed; these checks only put each problem next to its field while the person types.
 */
export function documentFromForm(form: PolicyForm): { document: PolicyDoc | null; problems: FormProblems } {
  const problems: FormProblems = {};
  if (form.rules.length === 0) problems.rules = 'Add a rule: with none, every transfer is denied.';
  if (form.rules.length > 64) problems.rules = 'At most 64 rules.';
  // Ids of rules that came from a document stay; a new rule's id comes from its name and must not take one of theirs.
  const ids = new Set(form.rules.flatMap((r) => (r.id === null ? [] : [r.id])));
  const names = new Map<string, number>();
  const rules = form.rules.map((r, i) => {
    const doc = rule(r, i, ids, names, problems);
    ids.add(doc.id);
    return doc;
  });
  const velocity = limits(form.velocity, 'velocity', problems);
  const doc: PolicyDoc = { format: POLICY_FORMAT, version: form.version, walletId: form.walletId, rules, velocity };
  let afterSignatures: number | null = null;
  let afterDays: number | null = null;
  if (form.refreshSignatures.trim() !== '') {
    const n = wholeNumber(form.refreshSignatures, 1, 1_000_000, 'the number of signatures');
    if (typeof n === 'string') problems['refresh.signatures'] = n;
    else afterSignatures = n;
  }
  if (form.refreshDays.trim() !== '') {
    const n = wholeNumber(form.refreshDays, 1, 3660, 'the number of days');
    if (typeof n === 'string') problems['refresh.days'] = n;
    else afterDays = n;
  }
  if (afterSignatures !== null || afterDays !== null) doc.shareRefresh = { afterSignatures, afterDays };
  return { document: Object.keys(problems).length ? null : doc, problems };
}

/** Moves the item at `from` by `by` places (−1: up, +1: down) in place; nothing when it would leave the list. */
export function move<T>(list: T[], from: number, by: -1 | 1): void {
  const to = from + by;
  if (to < 0 || to >= list.length) return;
  const [item] = list.splice(from, 1);
  list.splice(to, 0, item as T);
}
