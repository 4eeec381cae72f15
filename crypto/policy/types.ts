// The transfer policy model as plain data: a wallet's versioned rules and velocity limits, and named whitelists.
import type { BitcoinNetwork } from '../bitcoin/address.js';

/**
 * Amounts are bigint in the wallet's smallest unit (sats for BTC) in memory and decimal strings in the
 * canonical document. Both bounds are inclusive: { min: 1000, max: 5000 } matches 1000 and 5000.
 * null means unbounded on that side. A lower bound of 0 is refused (every transfer moves at least 1 unit,
 * so 0 and null would be two encodings of one meaning).
 */
export interface AmountRange {
  readonly min: bigint | null;
  readonly max: bigint | null;
}

export type Destination = { readonly kind: 'any' } | { readonly kind: 'whitelist'; readonly whitelistId: string };

/** k distinct members of a group, as of the decision time. */
export interface ApprovalStep {
  readonly groupId: string;
  /** k ≥ 1. */
  readonly count: number;
  /** Whether the person who initiated the request may fill a seat in this step. */
  readonly initiatorMayApprove: boolean;
}

/**
 * At most maxAmount (and at most maxCount transfers, when set) signed within any rolling window of
 * windowSeconds that ends now. See velocity.ts for the edge semantics.
 */
export interface VelocityLimit {
  readonly windowSeconds: number;
  readonly maxAmount: bigint;
  readonly maxCount?: number;
}

export interface Rule {
  /** Stable across policy versions: per-rule velocity counts transfers signed under a rule with this id. */
  readonly id: string;
  readonly name: string;
  readonly amount: AmountRange;
  readonly destination: Destination;
  /** The operator group whose members this rule applies to; null = any initiator. */
  readonly initiatorGroupId: string | null;
  /** Ordered: the console asks step i+1 once steps 0..i are filled. At least one step. */
  readonly steps: readonly ApprovalStep[];
  /** Time between the last required approval and signing, during which the request can be cancelled. */
  readonly delaySeconds: number;
  /** Listed by windowSeconds, shortest first, one limit per window. */
  readonly velocity: readonly VelocityLimit[];
}

/**
 * When the wallet's key shares must be refreshed before it signs again: after `afterSignatures` transfers signed with
 * the key version in force, or `afterDays` days after it was made (whichever comes first; null: no such limit). A
 * refresh makes every unseal secret seen before it useless, so this bounds what a secret seen once is worth.
 */
export interface ShareRefresh {
  readonly afterSignatures: number | null;
  readonly afterDays: number | null;
}

/** A wallet's policy. Rules are ordered: the first that matches decides; nothing matched means denied. */
export interface Policy {
  /** ≥ 1; each adopted version of a wallet's policy has a higher number than the one it replaces. */
  readonly version: number;
  readonly walletId: string;
  readonly rules: readonly Rule[];
  /** Per-wallet limits, over every transfer the wallet signed whatever its rule. Same order as a rule's. */
  readonly velocity: readonly VelocityLimit[];
  /** Absent: the policy asks for no refresh (a document without it keeps the hash it always had). */
  readonly shareRefresh?: ShareRefresh;
}

export interface WhitelistEntry {
  /** Canonical for the whitelist's network (bech32 in lowercase). */
  readonly address: string;
  /** What a person recognises, e.g. "Kraken deposit". Unique within the list. */
  readonly label: string;
}

/** A named address list; a set, so entries are kept sorted by address and each address appears once. */
export interface Whitelist {
  readonly id: string;
  readonly name: string;
  readonly network: BitcoinNetwork;
  readonly entries: readonly WhitelistEntry[];
}

/** Bounds that keep documents reviewable and evaluation cheap; a policy past them is refused, not truncated. */
export const POLICY_LIMITS = {
  rules: 64,
  stepsPerRule: 16,
  stepCount: 10_000,
  velocityLimits: 8,
  /** 366 days: long enough for a yearly budget, short enough that ms arithmetic never nears 2^53. */
  maxSeconds: 366 * 24 * 3600,
  /** A share-refresh rule's bounds: at most this many signatures or days between refreshes. */
  refreshSignatures: 1_000_000,
  refreshDays: 3660,
  /** A uint256 has 78 decimal digits: enough for any asset's smallest unit. */
  amountDigits: 78,
  whitelistEntries: 10_000,
} as const;

export const POLICY_FORMAT = 'custos-policy/1';
export const WHITELIST_FORMAT = 'custos-whitelist/1';

// ——— Evaluation: what the caller hands in and the decision that comes back ———

/** A transfer as the operator created it. Times are ms since the epoch, passed in (crypto/ has no clock). */
export interface TransferRequest {
  readonly id: string;
  readonly walletId: string;
  readonly initiatorId: string;
  readonly destination: string;
  /** In the wallet's smallest unit, ≥ 1. */
  readonly amount: bigint;
  /** Informational: evaluation does not use it (each approval's signature already binds this request). */
  readonly createdAt: number;
}

/** An approval whose device signature the caller has already verified. */
export interface Approval {
  readonly userId: string;
  readonly at: number;
  /** The step the approver was asked to fill; when set, the approval counts for that step only (none if out of range). */
  readonly stepIndex?: number;
}

export interface Rejection {
  readonly userId: string;
  readonly at: number;
}

/** A transfer this wallet signed: what velocity limits count. */
export interface SignedTransfer {
  readonly requestId: string;
  /** The rule it was signed under (per-rule limits count by rule id). */
  readonly ruleId: string;
  readonly amount: bigint;
  readonly signedAt: number;
}

/** Group members as of the decision time: a map, or a lookup. An unknown group has no members. */
export type GroupMembership = ReadonlyMap<string, ReadonlySet<string>> | ((groupId: string) => ReadonlySet<string> | undefined);

export interface StepProgress {
  readonly index: number;
  readonly groupId: string;
  readonly required: number;
  /** User ids who fill this step's seats, earliest approval first. Nobody appears in two steps. */
  readonly counted: readonly string[];
  readonly missing: number;
  /** This step and every step before it are full. */
  readonly finished: boolean;
}

export interface VelocityUsage {
  readonly scope: 'wallet' | 'rule';
  readonly windowSeconds: number;
  /** Signed within the window, not counting this request. */
  readonly usedAmount: bigint;
  readonly maxAmount: bigint;
  /** What this request may still use: max(0, maxAmount − usedAmount). */
  readonly leftAmount: bigint;
  readonly usedCount: number;
  readonly maxCount: number | null;
  readonly leftCount: number | null;
  /** Whether this request fits: amount ≤ leftAmount and, with a count limit, leftCount ≥ 1. */
  readonly fits: boolean;
}

export type DenialCode = 'INVALID_REQUEST' | 'WALLET_MISMATCH' | 'WHITELIST_MISSING' | 'NO_MATCHING_RULE' | 'VELOCITY_LIMIT';

export type Decision =
  | {
      readonly outcome: 'denied';
      readonly code: DenialCode;
      readonly reason: string;
      /** The rule that matched, when one did (velocity and whitelist denials). */
      readonly ruleId: string | null;
      readonly velocity: readonly VelocityUsage[];
    }
  | {
      readonly outcome: 'rejected';
      readonly ruleId: string;
      readonly reason: string;
      /** Whose rejections counted, sorted. */
      readonly rejectedBy: readonly string[];
      readonly steps: readonly StepProgress[];
      readonly velocity: readonly VelocityUsage[];
    }
  | {
      readonly outcome: 'pending';
      readonly ruleId: string;
      readonly steps: readonly StepProgress[];
      readonly velocity: readonly VelocityUsage[];
      /** Index of the first step that is not full: whom the console should ask next. */
      readonly currentStep: number;
      /** The delay that will run once the last step is full. */
      readonly delaySeconds: number;
    }
  | {
      readonly outcome: 'allowed';
      readonly ruleId: string;
      readonly steps: readonly StepProgress[];
      readonly velocity: readonly VelocityUsage[];
      /** When the last required approval arrived (the earliest moment every step was full). */
      readonly approvedAt: number;
      /** approvedAt + the rule's delay; until then the request waits and can still be cancelled. */
      readonly delayUntil: number;
      /** now ≥ delayUntil: signing may start. */
      readonly ready: boolean;
    };

export type Outcome = Decision['outcome'];
