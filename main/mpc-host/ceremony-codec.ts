// Ceremony requests and replies between their domain form (bytes, GroupKey) and their wire form (hex), both directions.
import type { DkgOutcome, DkgParams } from './ceremonies/dkg';
import type { ReshareOutcome, ReshareParams } from './ceremonies/reshare';
import type { SignOutcome, SignParams } from './ceremonies/sign';
import type { DkgDoneReply, DkgRunRequest, RequestBody, ReshareDoneReply, ReshareRunRequest, SignDoneReply, SignRunRequest } from './protocol';
import { fromHex, groupKeyFromWire, groupKeyToWire, sealedShareFromWire, sealedShareToWire, toHex } from './wire';

export type { DkgOutcome, DkgParams, ReshareOutcome, ReshareParams, SignOutcome, SignParams };

/** A reply body as the host writes it: the envelope (v, id) is added when it is posted. */
type ReplyBody<R> = Omit<R, 'v' | 'id'>;

// ---------------------------------------------------------------------------------------------------
// Requests: main encodes, the host decodes (groupKeyFromWire throws a WireError on a key that does not hold together).

export const dkgParamsToWire = (p: DkgParams): RequestBody<'dkg.run'> => ({
  type: 'dkg.run',
  ceremonyId: p.ceremonyId,
  walletId: p.walletId,
  keyVersion: p.keyVersion,
  threshold: p.threshold,
  parties: p.parties.map((x) => ({ partyId: x.partyId, encryptionKey: toHex(x.encryptionKey), deviceEntropy: toHex(x.deviceEntropy) })),
});

export const dkgParamsFromWire = (r: DkgRunRequest): DkgParams => ({
  ceremonyId: r.ceremonyId,
  walletId: r.walletId,
  keyVersion: r.keyVersion,
  threshold: r.threshold,
  parties: r.parties.map((x) => ({ partyId: x.partyId, encryptionKey: fromHex(x.encryptionKey), deviceEntropy: fromHex(x.deviceEntropy) })),
});

export const signParamsToWire = (p: SignParams): RequestBody<'sign.run'> => ({
  type: 'sign.run',
  ceremonyId: p.ceremonyId,
  walletId: p.walletId,
  keyVersion: p.keyVersion,
  groupKey: groupKeyToWire(p.groupKey),
  path: [...p.path],
  messages: p.messages.map(toHex),
  signers: p.signers.map((s) => ({ partyId: s.partyId, sealed: toHex(s.sealed), unsealSecret: toHex(s.unsealSecret) })),
});

export const signParamsFromWire = (r: SignRunRequest): SignParams => ({
  ceremonyId: r.ceremonyId,
  walletId: r.walletId,
  keyVersion: r.keyVersion,
  groupKey: groupKeyFromWire(r.groupKey),
  path: [...r.path],
  messages: r.messages.map(fromHex),
  signers: r.signers.map((s) => ({ partyId: s.partyId, sealed: fromHex(s.sealed), unsealSecret: fromHex(s.unsealSecret) })),
});

export const reshareParamsToWire = (p: ReshareParams): RequestBody<'reshare.run'> => ({
  type: 'reshare.run',
  ceremonyId: p.ceremonyId,
  walletId: p.walletId,
  mode: p.mode,
  fromKeyVersion: p.fromKeyVersion,
  toKeyVersion: p.toKeyVersion,
  groupKey: groupKeyToWire(p.groupKey),
  dealers: p.dealers.map((d) => ({ partyId: d.partyId, sealed: toHex(d.sealed), unsealSecret: toHex(d.unsealSecret), deviceEntropy: toHex(d.deviceEntropy) })),
  receivers: p.receivers.map((r) => ({ partyId: r.partyId, encryptionKey: toHex(r.encryptionKey) })),
  threshold: p.threshold,
});

export const reshareParamsFromWire = (r: ReshareRunRequest): ReshareParams => ({
  ceremonyId: r.ceremonyId,
  walletId: r.walletId,
  mode: r.mode,
  fromKeyVersion: r.fromKeyVersion,
  toKeyVersion: r.toKeyVersion,
  groupKey: groupKeyFromWire(r.groupKey),
  dealers: r.dealers.map((d) => ({ partyId: d.partyId, sealed: fromHex(d.sealed), unsealSecret: fromHex(d.unsealSecret), deviceEntropy: fromHex(d.deviceEntropy) })),
  receivers: r.receivers.map((x) => ({ partyId: x.partyId, encryptionKey: fromHex(x.encryptionKey) })),
  threshold: r.threshold,
});

/** The secret bytes a request brought into the host (device entropy, unseal secrets): wiped when the request ends. */
export function secretInputs(p: DkgParams | SignParams | ReshareParams): Uint8Array[] {
  if ('parties' in p) return p.parties.map((x) => x.deviceEntropy);
  if ('signers' in p) return p.signers.map((s) => s.unsealSecret);
  return p.dealers.flatMap((d) => [d.unsealSecret, d.deviceEntropy]);
}

// ---------------------------------------------------------------------------------------------------
// Replies: the host encodes, main decodes (and then checks them against what it asked: main/mpc/ceremony-checks.ts).

export const dkgOutcomeToWire = (o: DkgOutcome): ReplyBody<DkgDoneReply> => ({
  type: 'dkg.done',
  ceremonyId: o.ceremonyId,
  groupKey: groupKeyToWire(o.groupKey),
  shares: o.shares.map(sealedShareToWire),
});

export const dkgOutcomeFromWire = (r: DkgDoneReply): DkgOutcome => ({
  ceremonyId: r.ceremonyId,
  groupKey: groupKeyFromWire(r.groupKey, 'group key the host returned'),
  shares: r.shares.map(sealedShareFromWire),
});

export const signOutcomeToWire = (o: SignOutcome): ReplyBody<SignDoneReply> => ({
  type: 'sign.done',
  ceremonyId: o.ceremonyId,
  signatures: o.signatures.map(toHex),
});

export const signOutcomeFromWire = (r: SignDoneReply): SignOutcome => ({ ceremonyId: r.ceremonyId, signatures: r.signatures.map(fromHex) });

export const reshareOutcomeToWire = (o: ReshareOutcome): ReplyBody<ReshareDoneReply> => ({
  type: 'reshare.done',
  ceremonyId: o.ceremonyId,
  groupKey: groupKeyToWire(o.groupKey),
  shares: o.shares.map(sealedShareToWire),
});

export const reshareOutcomeFromWire = (r: ReshareDoneReply): ReshareOutcome => ({
  ceremonyId: r.ceremonyId,
  groupKey: groupKeyFromWire(r.groupKey, 'group key the host returned'),
  shares: r.shares.map(sealedShareFromWire),
});
