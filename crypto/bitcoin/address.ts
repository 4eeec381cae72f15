// Taproot key-path (P2TR) addresses and output scripts of a wallet key on each Bitcoin network.
import { NETWORK, TEST_NETWORK, p2tr } from '@scure/btc-signer';
import type { BTC_NETWORK } from '@scure/btc-signer/utils.js';

export type BitcoinNetwork = 'mainnet' | 'testnet' | 'signet' | 'regtest';
export const BITCOIN_NETWORKS: readonly BitcoinNetwork[] = ['mainnet', 'testnet', 'signet', 'regtest'];

/** Signet shares testnet's parameters ('tb'); regtest differs only by its bech32 prefix ('bcrt'). */
export function networkParams(network: BitcoinNetwork): BTC_NETWORK {
  switch (network) {
    case 'mainnet':
      return NETWORK;
    case 'testnet':
    case 'signet':
      return TEST_NETWORK;
    case 'regtest':
      return { ...TEST_NETWORK, bech32: 'bcrt' };
    default:
      throw new Error(`unknown Bitcoin network ${String(network)}`);
  }
}

function xonly(b: Uint8Array, what: string): Uint8Array {
  if (!(b instanceof Uint8Array) || b.length !== 32) throw new Error(`${what} must be a 32-byte x-only key`);
  return b;
}

/**
 * The key-path P2TR payment for an internal key (BIP-86 style: empty script tree). btc-signer computes the tweak
 * itself; when the caller knows the output key (from the FROST ceremony), it must match, a cross-check between
 * noble's DKG tweak and btc-signer's.
 */
export function taprootPayment(internalKey: Uint8Array, network: BitcoinNetwork, expectedOutputKey?: Uint8Array) {
  const pay = p2tr(xonly(internalKey, 'internalKey'), undefined, networkParams(network));
  if (expectedOutputKey !== undefined) {
    const out = xonly(expectedOutputKey, 'expectedOutputKey');
    if (pay.tweakedPubkey.length !== 32 || !pay.tweakedPubkey.every((b, i) => b === out[i]))
      throw new Error('output key is not the Taproot tweak of the internal key');
  }
  return { address: pay.address as string, script: pay.script, outputKey: pay.tweakedPubkey, internalKey: internalKey.slice() };
}

export function taprootAddress(internalKey: Uint8Array, network: BitcoinNetwork, expectedOutputKey?: Uint8Array): string {
  return taprootPayment(internalKey, network, expectedOutputKey).address;
}

/** OP_1 <32-byte output key>: the scriptPubKey of a key-path Taproot output. */
export function taprootScript(outputKey: Uint8Array): Uint8Array {
  const s = new Uint8Array(34);
  s[0] = 0x51;
  s[1] = 0x20;
  s.set(xonly(outputKey, 'outputKey'), 2);
  return s;
}
