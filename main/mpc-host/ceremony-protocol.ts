// The ceremony messages of the MPC host protocol (DKG, signing, refresh/reshare, progress): fields, limits and cross-checks.
import { z } from 'zod';
import { MAX_PARTIES, groupKeyWire, hex32, hex64, idSchema, keyVersionSchema, partyIdSchema, sealedHex, sealedShareWire } from './wire';

/** Most messages one signing request may carry (one per transaction input is the usual use). */
export const MAX_MESSAGES = 1000;
/** BIP-32 allows depth 255; a wallet uses two or three levels. */
export const MAX_PATH = 255;

/** Every step a ceremony reports progress for, in the order each ceremony takes them. */
export const CEREMONY_STEPS = {
  dkg: ['round1', 'round2', 'finish', 'seal'],
  sign: ['unseal', 'commit', 'share', 'aggregate', 'verify'],
  reshare: ['unseal', 'deal', 'collect', 'finish', 'seal'],
} as const;
export const STEP_NAMES = ['round1', 'round2', 'finish', 'seal', 'unseal', 'commit', 'share', 'aggregate', 'verify', 'deal', 'collect'] as const;
export type CeremonyStep = (typeof STEP_NAMES)[number];

/**
 * Why a ceremony request failed, beside the error code: `request` (malformed or inconsistent input, main's fault),
 * `unseal` (a sealed share does not open with its device's secret, or is not that party's share), `culprit` (a party's
 * ceremony message failed its checks), `busy` (too many ceremonies waiting), `internal` (a self-check of the host).
 */
export const FAILURE_KINDS = ['request', 'unseal', 'culprit', 'busy', 'internal'] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

type Issue = (path: (string | number)[], message: string) => void;
const issues = (ctx: z.RefinementCtx): Issue => (path, message) => ctx.addIssue({ code: 'custom', path, message });

/** Reports the second occurrence of any key in a list, naming both positions. */
function noDuplicates<T>(items: readonly T[], key: (t: T) => string, path: string, field: string, what: string, issue: Issue): void {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const k = key(item);
    const first = seen.get(k);
    if (first !== undefined) issue([path, i, field], `${what} as ${path}.${first}`);
    else seen.set(k, i);
  });
}

// ---------------------------------------------------------------------------------------------------
// Requests (main → host): fields without the envelope; protocol.ts adds { v, id }.

const threshold = z.number().int().min(2).max(MAX_PARTIES);

export const dkgRunFields = {
  type: z.literal('dkg.run'),
  ceremonyId: idSchema,
  walletId: idSchema,
  keyVersion: keyVersionSchema,
  threshold,
  parties: z
    .array(z.object({ partyId: partyIdSchema, encryptionKey: hex32, deviceEntropy: hex32 }).strict())
    .min(2)
    .max(MAX_PARTIES),
};

export function checkDkgRun(r: { threshold: number; parties: { partyId: string; encryptionKey: string }[] }, ctx: z.RefinementCtx): void {
  const issue = issues(ctx);
  if (r.threshold > r.parties.length) issue(['threshold'], `${r.threshold} is more than the ${r.parties.length} parties`);
  noDuplicates(r.parties, (p) => p.partyId, 'parties', 'partyId', 'the same party', issue);
  // One device holding two shares would quietly lower the threshold.
  noDuplicates(r.parties, (p) => p.encryptionKey, 'parties', 'encryptionKey', 'the same device encryption key', issue);
}

export const signRunFields = {
  type: z.literal('sign.run'),
  ceremonyId: idSchema,
  walletId: idSchema,
  keyVersion: keyVersionSchema,
  groupKey: groupKeyWire,
  /** Non-hardened BIP-32 indexes under the wallet key; [] signs with the wallet key itself. */
  path: z.array(z.number().int().min(0).max(0x7fffffff)).max(MAX_PATH),
  messages: z.array(hex32).min(1).max(MAX_MESSAGES),
  signers: z
    .array(z.object({ partyId: partyIdSchema, sealed: sealedHex, unsealSecret: hex32 }).strict())
    .min(2)
    .max(MAX_PARTIES),
};

export function checkSignRun(
  r: { groupKey: { threshold: number; parties: string[] }; signers: { partyId: string }[] },
  ctx: z.RefinementCtx,
): void {
  const issue = issues(ctx);
  noDuplicates(r.signers, (s) => s.partyId, 'signers', 'partyId', 'the same signer', issue);
  r.signers.forEach((s, i) => {
    if (!r.groupKey.parties.includes(s.partyId)) issue(['signers', i, 'partyId'], 'is not a party of the group key');
  });
  if (r.signers.length < r.groupKey.threshold)
    issue(['signers'], `${r.signers.length} signers; the key needs at least ${r.groupKey.threshold}`);
}

export const reshareRunFields = {
  type: z.literal('reshare.run'),
  ceremonyId: idSchema,
  walletId: idSchema,
  mode: z.enum(['refresh', 'reshare']),
  fromKeyVersion: keyVersionSchema,
  toKeyVersion: keyVersionSchema,
  groupKey: groupKeyWire,
  dealers: z
    .array(z.object({ partyId: partyIdSchema, sealed: sealedHex, unsealSecret: hex32, deviceEntropy: hex32 }).strict())
    .min(2)
    .max(MAX_PARTIES),
  receivers: z.array(z.object({ partyId: partyIdSchema, encryptionKey: hex32 }).strict()).min(2).max(MAX_PARTIES),
  threshold,
};

export function checkReshareRun(
  r: {
    mode: 'refresh' | 'reshare';
    fromKeyVersion: number;
    toKeyVersion: number;
    groupKey: { threshold: number; parties: string[] };
    dealers: { partyId: string }[];
    receivers: { partyId: string; encryptionKey: string }[];
    threshold: number;
  },
  ctx: z.RefinementCtx,
): void {
  const issue = issues(ctx);
  // Shares of the new version are sealed under it; reusing a version would let an old share pass for a new one.
  if (r.toKeyVersion <= r.fromKeyVersion) issue(['toKeyVersion'], `must be above fromKeyVersion (${r.fromKeyVersion})`);
  noDuplicates(r.dealers, (d) => d.partyId, 'dealers', 'partyId', 'the same dealer', issue);
  noDuplicates(r.receivers, (d) => d.partyId, 'receivers', 'partyId', 'the same receiver', issue);
  noDuplicates(r.receivers, (d) => d.encryptionKey, 'receivers', 'encryptionKey', 'the same device encryption key', issue);
  r.dealers.forEach((d, i) => {
    if (!r.groupKey.parties.includes(d.partyId)) issue(['dealers', i, 'partyId'], 'holds no share of the current key');
  });
  if (r.dealers.length < r.groupKey.threshold) issue(['dealers'], `${r.dealers.length} dealers; the current key needs ${r.groupKey.threshold}`);
  if (r.threshold > r.receivers.length) issue(['threshold'], `${r.threshold} is more than the ${r.receivers.length} receivers`);
  if (r.mode === 'refresh') {
    const all = [...r.groupKey.parties].sort().join();
    const same = (ids: { partyId: string }[]) => ids.map((x) => x.partyId).sort().join() === all;
    if (!same(r.dealers) || !same(r.receivers) || r.threshold !== r.groupKey.threshold)
      issue(['mode'], 'a refresh keeps the parties and the threshold of the key: every party deals and receives');
  }
}

// ---------------------------------------------------------------------------------------------------
// Replies and events (host → main)

export const dkgDoneFields = {
  type: z.literal('dkg.done'),
  ceremonyId: idSchema,
  groupKey: groupKeyWire,
  shares: z.array(sealedShareWire).min(2).max(MAX_PARTIES),
};

export const signDoneFields = {
  type: z.literal('sign.done'),
  ceremonyId: idSchema,
  /** BIP-340 signatures, one per message, in the order of the request's messages. */
  signatures: z.array(hex64).min(1).max(MAX_MESSAGES),
};

export const reshareDoneFields = {
  type: z.literal('reshare.done'),
  ceremonyId: idSchema,
  groupKey: groupKeyWire,
  shares: z.array(sealedShareWire).min(2).max(MAX_PARTIES),
};

/** Unsolicited, correlated by the request's id: sent when a step begins, and at most a few times a second within one. */
export const progressFields = {
  type: z.literal('progress'),
  ceremonyId: idSchema,
  step: z.enum(STEP_NAMES),
  /** Units of the step done so far (parties, signers or messages, as the step counts them). */
  done: z.number().int().min(0),
  total: z.number().int().min(1),
};

/** What an error reply adds when a ceremony failed. */
export const ceremonyErrorFields = {
  ceremonyId: idSchema.optional(),
  /** The party to blame, or null when nobody can be named (or nobody is to blame). */
  culprit: partyIdSchema.nullable().optional(),
  failure: z.enum(FAILURE_KINDS).optional(),
};
