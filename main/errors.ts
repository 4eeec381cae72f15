// The error type main's services throw: a code from the contract's closed union and a plain message.
import type { CustosErrorData, ErrorCode } from '../preload/contract';

export class CustosError extends Error {
  readonly code: ErrorCode;
  readonly details: CustosErrorData['details'];

  constructor(code: ErrorCode, message: string, details?: CustosErrorData['details']) {
    super(message);
    this.name = 'CustosError';
    this.code = code;
    this.details = details;
  }

  toData(): CustosErrorData {
    return this.details ? { code: this.code, message: this.message, details: this.details } : { code: this.code, message: this.message };
  }
}

/** Turns anything thrown into error data safe to cross a boundary: unknown errors keep no text of their own. */
export function toErrorData(err: unknown): CustosErrorData {
  if (err instanceof CustosError) return err.toData();
  return { code: 'INTERNAL', message: 'Something went wrong inside Custos. The details are in the log; nothing was changed.' };
}
