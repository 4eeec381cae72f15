// Best-effort erasure of secret bytes once a ceremony no longer needs them (bigints copied by JS may survive).
import type { SecretShare } from './types.js';

export function wipeShare(share: SecretShare): void {
  share.signingShare.fill(0);
}

export function wipeBytes(...bufs: (Uint8Array | undefined)[]): void {
  for (const b of bufs) b?.fill(0);
}
