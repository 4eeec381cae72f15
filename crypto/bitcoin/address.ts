// Taproot key-path (P2TR) addresses and output scripts of a wallet key on each Bitcoin network.
import { Address, NETWORK, TEST_NETWORK, p2tr } from '@scure/btc-signer';
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

const NETWORK_WORDS: Record<BitcoinNetwork, string> = { mainnet: 'mainnet', testnet: 'testnet', signet: 'signet', regtest: 'regtest' };

/**
 * What is wrong with `address` as a destination on `network`, in words a person acts on (never a decoder's message),
 * or null when it is an address of that network. `holder` names what is on the network ("the wallet", "the list").
 */
export function addressProblem(address: string, network: BitcoinNetwork, holder = 'the wallet'): string | null {
  const text = address.trim();
  if (text.length === 0) return 'enter the destination address';
  if (decodes(text, network)) return null;
  if (/\s/.test(text)) return 'an address has no spaces or line breaks: copy it again';
  if (/^0x[0-9a-f]{40}$/i.test(text)) return `this is an Ethereum address, not a Bitcoin one; ${holder} is on Bitcoin ${NETWORK_WORDS[network]}`;
  // Which network it belongs to: signet and testnet share their address forms, and regtest reads testnet's base58 ones.
  const others = BITCOIN_NETWORKS.filter((n) => n !== network && decodes(text, n));
  if (others.length) {
    const where = others.includes('mainnet') ? 'a mainnet' : others.includes('regtest') && !others.includes('testnet') ? 'a regtest' : 'a testnet or signet';
    return `this is ${where} address; ${holder} is on ${NETWORK_WORDS[network]}`;
  }
  if (/^(bc|tb|bcrt)1/i.test(text)) return 'this address has a typing mistake (a character is wrong, missing or extra): copy it again from its source';
  return `this is not a Bitcoin address: copy it again from its source (a ${NETWORK_WORDS[network]} address starts with ${prefixOf(network)})`;
}

function decodes(address: string, network: BitcoinNetwork): boolean {
  try {
    Address(networkParams(network)).decode(address);
    return true;
  } catch {
    return false;
  }
}

function prefixOf(network: BitcoinNetwork): string {
  return network === 'mainnet' ? 'bc1' : network === 'regtest' ? 'bcrt1' : 'tb1';
}
