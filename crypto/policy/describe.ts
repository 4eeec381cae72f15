// A policy document told in words (amounts in BTC, durations in minutes, hours or days): shared by the console and the CLI.
import { formatBtc } from '../amounts.js';

/** The document shape these words read: amounts are decimal strings of sats, as in custos-policy/1. */
export interface AmountRangeLike {
  readonly min: string | null;
  readonly max: string | null;
}
export interface StepLike {
  readonly groupId: string;
  readonly count: number;
  readonly initiatorMayApprove: boolean;
}
export interface VelocityLike {
  readonly windowSeconds: number;
  readonly maxAmount: string;
  readonly maxCount?: number;
}
export type DestinationLike = { readonly kind: 'any' } | { readonly kind: 'whitelist'; readonly whitelistId: string };
export interface ShareRefreshLike {
  readonly afterSignatures: number | null;
  readonly afterDays: number | null;
}
export interface RuleLike {
  readonly id: string;
  readonly name: string;
  readonly amount: AmountRangeLike;
  readonly destination: DestinationLike;
  readonly initiatorGroupId: string | null;
  readonly steps: readonly StepLike[];
  readonly delaySeconds: number;
  readonly velocity: readonly VelocityLike[];
}
export interface PolicyLike {
  readonly version: number;
  readonly walletId: string;
  readonly rules: readonly RuleLike[];
  readonly velocity: readonly VelocityLike[];
  readonly shareRefresh?: ShareRefreshLike;
}

/** How ids read to a person: groups and whitelists by their names. */
export interface PolicyNames {
  group(id: string): string;
  whitelist(id: string): string;
}

/** A duration in the largest whole unit: 86400 → "24 h", 604800 → "7 days", 90 → "90 s". */
export function formatSeconds(seconds: number): string {
  if (seconds === 0) return 'none';
  if (seconds % 86_400 === 0 && seconds >= 172_800) return `${seconds / 86_400} days`;
  if (seconds % 3_600 === 0) return `${seconds / 3_600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** Both bounds are inclusive, as the policy engine reads them. */
export function describeAmount(range: AmountRangeLike): string {
  if (range.min === null && range.max === null) return 'Any amount';
  if (range.min === null) return `Up to ${formatBtc(range.max as string)}`;
  if (range.max === null) return `From ${formatBtc(range.min)}`;
  return `${formatBtc(range.min)} to ${formatBtc(range.max)}`;
}

export function describeSteps(steps: readonly StepLike[], groupName: (id: string) => string): string {
  if (steps.length === 0) return 'none';
  return steps.map((s) => `${s.count} of ${groupName(s.groupId)}${s.initiatorMayApprove ? ' (the initiator may count)' : ''}`).join(', then ');
}

export function describeVelocity(v: VelocityLike): string {
  const count = v.maxCount === undefined ? '' : ` and ${v.maxCount} transfer${v.maxCount === 1 ? '' : 's'}`;
  return `${formatBtc(v.maxAmount)}${count} per ${formatSeconds(v.windowSeconds)}`;
}

export function describeLimits(limits: readonly VelocityLike[]): string {
  return limits.length ? limits.map(describeVelocity).join('; ') : 'none';
}

export function describeDestination(d: DestinationLike, whitelistName: (id: string) => string): string {
  return d.kind === 'any' ? 'Any address' : `On whitelist ${whitelistName(d.whitelistId)}`;
}

export function describeInitiator(groupId: string | null, groupName: (id: string) => string): string {
  return groupId === null ? 'Any operator' : `A member of ${groupName(groupId)}`;
}

/** "after 100 signatures or 30 days": when the policy asks for a refresh of the wallet's key shares. */
export function describeShareRefresh(r: ShareRefreshLike | undefined): string {
  if (r === undefined) return 'never asked for by the policy';
  const parts = [r.afterSignatures === null ? null : `${r.afterSignatures} signature${r.afterSignatures === 1 ? '' : 's'}`, r.afterDays === null ? null : `${r.afterDays} day${r.afterDays === 1 ? '' : 's'}`];
  return `after ${parts.filter(Boolean).join(' or ')} with the same shares`;
}

/** One rule in one line: what it matches and what it asks for. */
export function describeRule(r: RuleLike, names: PolicyNames): string {
  const delay = r.delaySeconds === 0 ? 'no delay' : `a delay of ${formatSeconds(r.delaySeconds)}`;
  const limits = r.velocity.length ? `; at most ${describeLimits(r.velocity)}` : '';
  return `${describeAmount(r.amount)}, ${lowerFirst(describeDestination(r.destination, names.whitelist))}, requested by ${lowerFirst(describeInitiator(r.initiatorGroupId, names.group))}; approval ${describeSteps(r.steps, names.group)}; ${delay}${limits}`;
}

const lowerFirst = (text: string) => text.charAt(0).toLowerCase() + text.slice(1);
