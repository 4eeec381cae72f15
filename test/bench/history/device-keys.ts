// Signs statements with a virtual device's own key, as its Ethereum app would (EIP-191 personal_sign, RFC 6979, low-S).
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { personalMessageHash } from '../../../crypto/ethereum';
import { renderStatement, type Statement } from '../../../crypto/statements';

/**
 * The signature the virtual Ledger returns for `text` (r ‖ s ‖ v, v = 27 + recovery), as the device manager stores it:
 * byte for byte the same, since the nonce is deterministic. Skips only the USB framing and the screen.
 */
export function personalSign(secret: Uint8Array, text: string): string {
  const recovered = secp256k1.sign(personalMessageHash(text), secret, { prehash: false, lowS: true, extraEntropy: false, format: 'recovered' });
  const rsv = new Uint8Array(65);
  rsv.set(recovered.subarray(1, 65), 0);
  rsv[64] = 27 + (recovered[0] as number);
  return '0x' + bytesToHex(rsv);
}

/** The statement rendered exactly as the console shows it on the device, then signed. */
export function signStatement(secret: Uint8Array, statement: Statement): string {
  return personalSign(secret, renderStatement(statement));
}
