// The transfer messages of the MPC host protocol: the signed log as main holds it, and a request to sign a transfer.
import { z } from 'zod';
import { MAX_MESSAGES } from './ceremony-protocol';
import { MAX_PARTIES, hex32, hex64, idSchema, partyIdSchema, sealedHex } from './wire';

/** The whole signed log, canonical record bodies in seq order (the host checks them against what it pinned). */
const records = z.array(z.string().min(2).max(2_000_000)).min(1).max(1_000_000);
const requestId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a request id (1..64 of A-Z a-z 0-9 _ -)');

export const logSyncFields = { type: z.literal('log.sync'), records };

export const transferSignFields = {
  type: z.literal('transfer.sign'),
  ceremonyId: idSchema,
  requestId,
  records,
  signers: z
    .array(z.object({ partyId: partyIdSchema, sealed: sealedHex, unsealSecret: hex32 }).strict())
    .min(2)
    .max(MAX_PARTIES),
};

export const logSyncedFields = { type: z.literal('log.synced'), seq: z.number().int().min(0) };

export const transferSignedFields = {
  type: z.literal('transfer.signed'),
  ceremonyId: idSchema,
  requestId,
  ruleId: z.string().min(1).max(64),
  signatures: z.array(z.object({ index: z.number().int().min(0).max(MAX_MESSAGES), signature: hex64 }).strict()).min(1).max(MAX_MESSAGES),
};
