// The error type main's services throw: a code from the contract's closed union, a plain message, and the input it is about.
import type { CustosErrorData, ErrorCode } from '../preload/contract';

export class CustosError extends Error {
  readonly code: ErrorCode;
  readonly details: CustosErrorData['details'];
  /** The input that caused it (its name in the channel's input), when one did. */
  readonly field: string | undefined;

  constructor(code: ErrorCode, message: string, details?: CustosErrorData['details'], field?: string) {
    super(message);
    this.name = 'CustosError';
    this.code = code;
    this.details = details;
    this.field = field;
  }

  toData(): CustosErrorData {
    const data: CustosErrorData = { code: this.code, message: this.message };
    if (this.details) data.details = this.details;
    if (this.field) data.field = this.field;
    return data;
  }
}

/** An error about one input the person gave: the console shows it next to that field. */
export function fieldError(field: string, code: ErrorCode, message: string): CustosError {
  return new CustosError(code, message, undefined, field);
}

/** Turns anything thrown into error data safe to cross a boundary: unknown errors keep no text of their own. */
export function toErrorData(err: unknown): CustosErrorData {
  if (err instanceof CustosError) return err.toData();
  return { code: 'INTERNAL', message: 'Something went wrong inside Custos. The details are in the log; nothing was changed.' };
}
