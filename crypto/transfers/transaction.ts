// Checks that a transfer request's PSBT is exactly what it claims: the wallet's inputs at the stated paths, one payment
// to the destination, change (if any) back to the wallet, the stated fee, and the stated BIP-341 sighashes.
import { hexToBytes } from '@noble/hashes/utils.js';
import { base64 } from '@scure/base';
import { Address, OutScript, Transaction } from '@scure/btc-signer';
import { networkParams, taprootScript, type BitcoinNetwork } from '../bitcoin/address.js';
import { taprootSighashes } from '../bitcoin/psbt.js';
import { childOutputKey, deriveChildKey } from '../frost/hd.js';
import type { GroupKey } from '../frost/types.js';

/** "" → [] (the wallet key), "0/5" → [0, 5]; null when not a non-hardened path. */
export function parseWalletPath(path: string): number[] | null {
  if (path === '') return [];
  if (!/^\d{1,10}(\/\d{1,10}){0,9}$/.test(path)) return null;
  const parts = path.split('/').map(Number);
  return parts.every((p) => Number.isSafeInteger(p) && p < 0x80000000) ? parts : null;
}

/** The x-only Taproot output key at a wallet path (what its address and its inputs' sighashes need). */
export function walletOutputKeyAt(root: GroupKey, path: string): Uint8Array {
  const parts = parseWalletPath(path);
  if (parts === null) throw new Error(`"${path}" is not a wallet path`);
  return childOutputKey(root, parts);
}

/** The wallet's key at a wallet path ("" is the wallet key itself: deriveChildKey with no index returns it). */
export function walletKeyAt(root: GroupKey, path: string): GroupKey {
  const parts = parseWalletPath(path);
  if (parts === null) throw new Error(`"${path}" is not a wallet path`);
  return deriveChildKey(root, parts).groupKey;
}

export interface TransactionFacts {
  psbt: string;
  inputPaths: readonly string[];
  changePath: string | null;
  sighashes: readonly string[];
  destination: string;
  amount: bigint;
  fee: bigint;
}

const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** Why the PSBT is not the transaction the request describes, or null when it is exactly that. */
export function transactionProblem(facts: TransactionFacts, root: GroupKey, network: BitcoinNetwork): string | null {
  let tx: Transaction;
  let psbt: Uint8Array;
  try {
    psbt = base64.decode(facts.psbt);
    tx = Transaction.fromPSBT(psbt);
  } catch (err) {
    return `the PSBT does not parse: ${(err as Error).message}`;
  }
  if (tx.inputsLength === 0 || tx.inputsLength !== facts.inputPaths.length || tx.inputsLength !== facts.sighashes.length) {
    return `the PSBT has ${tx.inputsLength} inputs; the request lists ${facts.inputPaths.length} paths and ${facts.sighashes.length} sighashes`;
  }
  const keyAt = new Map<string, Uint8Array>();
  const outputKey = (path: string): Uint8Array | null => {
    let k = keyAt.get(path);
    if (k === undefined) {
      try {
        k = walletOutputKeyAt(root, path);
      } catch {
        return null;
      }
      keyAt.set(path, k);
    }
    return k;
  };
  let totalIn = 0n;
  const keys: Uint8Array[] = [];
  for (let i = 0; i < tx.inputsLength; i++) {
    const path = facts.inputPaths[i] as string;
    const key = outputKey(path);
    if (key === null) return `input ${i}: "${path}" is not a wallet path`;
    const w = tx.getInput(i).witnessUtxo;
    if (!w || !same(w.script, taprootScript(key))) return `input ${i} does not spend the wallet's key at "${path}"`;
    totalIn += w.amount;
    keys.push(key);
  }
  let inputs;
  try {
    inputs = taprootSighashes(psbt, keys);
  } catch (err) {
    return `the inputs cannot be signed: ${(err as Error).message}`;
  }
  if (inputs.length !== tx.inputsLength) return 'an input is not a key-path input of the wallet';
  for (const input of inputs) {
    if (hex(input.sighash) !== facts.sighashes[input.index]) return `the sighash of input ${input.index} is not the one in the request`;
  }
  let destinationScript: Uint8Array;
  try {
    destinationScript = OutScript.encode(Address(networkParams(network)).decode(facts.destination));
  } catch {
    return `the destination ${facts.destination} is not a ${network} address`;
  }
  const changeKey = facts.changePath === null ? null : outputKey(facts.changePath);
  if (facts.changePath !== null && changeKey === null) return `the change path "${facts.changePath}" is not a wallet path`;
  let paid = 0n;
  let totalOut = 0n;
  let payments = 0;
  for (let i = 0; i < tx.outputsLength; i++) {
    const o = tx.getOutput(i);
    if (!o.script || o.amount === undefined) return `output ${i} is incomplete`;
    totalOut += o.amount;
    if (same(o.script, destinationScript)) {
      paid += o.amount;
      payments += 1;
    } else if (changeKey === null || !same(o.script, taprootScript(changeKey))) {
      return `output ${i} pays neither the destination nor the wallet's change`;
    }
  }
  if (payments !== 1 || paid !== facts.amount) return `the PSBT pays ${paid} sat to the destination in ${payments} output(s); the request says ${facts.amount} sat in one`;
  if (totalIn - totalOut !== facts.fee) return `the PSBT's fee is ${totalIn - totalOut} sat; the request says ${facts.fee} sat`;
  return null;
}

/** The sighashes hex-decoded (for signing). */
export const sighashBytes = (facts: Pick<TransactionFacts, 'sighashes'>): Uint8Array[] => facts.sighashes.map((h) => hexToBytes(h));
