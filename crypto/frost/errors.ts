// Ceremony failures as data: a closed set of codes, the party to blame when there is one, and a plain reason.

export type CeremonyErrorCode =
  /** A DKG participant sent a package that fails its checks (proof of knowledge, commitment, share, chain code). */
  | 'DKG_CULPRIT'
  /** A signer sent a commitment or a signature share that fails its checks. */
  | 'SIGN_CULPRIT'
  /** A refresh or reshare participant sent a contribution that fails its checks. */
  | 'RESHARE_CULPRIT'
  /** A message is not well formed (types, lengths, encodings) or names the wrong ceremony or parties. */
  | 'MALFORMED_MESSAGE'
  /** A message arrived for a round that is over, twice, or before its round could start. */
  | 'OUT_OF_ORDER'
  /** The ceremony already failed or finished; it accepts nothing more. */
  | 'CEREMONY_CLOSED'
  /** Signing nonces were asked for a second time. */
  | 'NONCE_REUSED'
  /** The configuration handed to a ceremony is inconsistent (threshold, party list, key package). */
  | 'BAD_CONFIG'
  /** A final self-check failed without anyone to blame (should not happen with honest code). */
  | 'INTERNAL';

export type CeremonyFailure = {
  code: CeremonyErrorCode;
  /** The party whose message failed its checks, when one can be named. */
  culprit?: string;
  reason: string;
};

/** Thrown by every ceremony step; `toJSON` gives the failure as plain data for the host's reply. */
export class CeremonyError extends Error {
  readonly code: CeremonyErrorCode;
  readonly culprit: string | undefined;
  readonly reason: string;
  constructor(code: CeremonyErrorCode, reason: string, culprit?: string) {
    super(culprit === undefined ? `${code}: ${reason}` : `${code}: party ${culprit}: ${reason}`);
    this.name = 'CeremonyError';
    this.code = code;
    this.reason = reason;
    this.culprit = culprit;
  }
  toJSON(): CeremonyFailure {
    return this.culprit === undefined
      ? { code: this.code, reason: this.reason }
      : { code: this.code, culprit: this.culprit, reason: this.reason };
  }
}

/** Wraps anything thrown by a library call into a CeremonyError, keeping a CeremonyError as is. */
export function asCeremonyError(err: unknown, code: CeremonyErrorCode, culprit?: string): CeremonyError {
  if (err instanceof CeremonyError) return err;
  const reason = err instanceof Error ? err.message : String(err);
  return new CeremonyError(code, reason, culprit);
}
