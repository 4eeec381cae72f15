// Reads a PSBT made elsewhere into the facts of a transfer request: which wallet path each input spends, the one
// payment, the change back to the wallet, the fee. Anything else in it (foreign inputs, two payments) is refused.
import { base64 } from '@scure/base';
import { Address, OutScript, Transaction } from '@scure/btc-signer';
import { networkParams, taprootScript, type BitcoinNetwork } from '../../crypto/bitcoin/address';
import { changePath, deriveChildKey, receivePath, type GroupKey } from '../../crypto/frost';
import { fieldError } from '../errors';

export interface RequestTransaction {
  psbt: Uint8Array;
  inputPaths: string[];
  changePath: string | null;
  destination: string;
  /** Sats, decimal. */
  amount: string;
  fee: bigint;
}

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/**
 * A base64 PSBT as a request of `wallet` (readPsbt's rules), or BAD_INPUT on its `psbt` field saying why not: importing
 * a PSBT and previewing its request's statement refuse it in the same words.
 */
export function psbtRequest(psbt: string, root: GroupKey, wallet: { name: string; network: BitcoinNetwork }): RequestTransaction {
  try {
    return readPsbt(base64.decode(psbt), root, wallet.network);
  } catch (err) {
    throw fieldError('psbt', 'BAD_INPUT', `This PSBT cannot become a request of ${wallet.name}: ${(err as Error).message}.`);
  }
}

/** The wallet's scripts at its key and its first `scan` receive and change addresses, by script hex → path. */
function walletScripts(root: GroupKey, scan: number): Map<string, string> {
  const out = new Map<string, string>([[hex(taprootScript(root.outputKey)), '']]);
  for (let i = 0; i < scan; i++) {
    for (const path of [receivePath(i), changePath(i)]) out.set(hex(taprootScript(deriveChildKey(root, path).groupKey.outputKey)), path.join('/'));
  }
  return out;
}

export function readPsbt(psbt: Uint8Array, root: GroupKey, network: BitcoinNetwork, scan = 100): RequestTransaction {
  const tx = Transaction.fromPSBT(psbt);
  if (tx.inputsLength === 0) throw new Error('it has no inputs');
  const mine = walletScripts(root, scan);
  const inputPaths: string[] = [];
  let totalIn = 0n;
  for (let i = 0; i < tx.inputsLength; i++) {
    const w = tx.getInput(i).witnessUtxo;
    if (!w) throw new Error(`input ${i} has no witnessUtxo (its previous output)`);
    const path = mine.get(hex(w.script));
    if (path === undefined) throw new Error(`input ${i} does not spend this wallet's key or its first ${scan} addresses`);
    inputPaths.push(path);
    totalIn += w.amount;
  }
  let payment: { destination: string; amount: bigint } | null = null;
  let change: string | null = null;
  let totalOut = 0n;
  for (let i = 0; i < tx.outputsLength; i++) {
    const o = tx.getOutput(i);
    if (!o.script || o.amount === undefined) throw new Error(`output ${i} is incomplete`);
    totalOut += o.amount;
    const path = mine.get(hex(o.script));
    if (path !== undefined && change === null) {
      change = path;
      continue;
    }
    if (payment !== null) throw new Error('it pays more than one destination (a request pays one)');
    payment = { destination: Address(networkParams(network)).encode(OutScript.decode(o.script)), amount: o.amount };
  }
  if (payment === null) throw new Error('it pays nobody outside the wallet');
  if (totalIn <= totalOut) throw new Error('its inputs do not cover its outputs');
  return { psbt, inputPaths, changePath: change, destination: payment.destination, amount: payment.amount.toString(), fee: totalIn - totalOut };
}

/** One input of a PSBT as a person reviews it: the coin it spends and, when it is the wallet's, at which path. */
export interface PsbtInputFacts {
  index: number;
  txid: string;
  vout: number;
  /** Sats; null when the PSBT does not carry the previous output. */
  amount: bigint | null;
  /** The wallet path ("" for the wallet's key), or null when the coin is not the wallet's. */
  path: string | null;
}

/** One output: its address (null for a script that has none), amount, and the wallet path when it pays the wallet. */
export interface PsbtOutputFacts {
  index: number;
  address: string | null;
  amount: bigint | null;
  path: string | null;
}

/**
 * Everything a PSBT says about its coins, read without judging it, so that a person sees the transaction even when
 * readPsbt refuses it. Throws only when the bytes are not a PSBT at all.
 */
export function describePsbt(psbt: Uint8Array, root: GroupKey, network: BitcoinNetwork, scan = 100): { inputs: PsbtInputFacts[]; outputs: PsbtOutputFacts[] } {
  const tx = Transaction.fromPSBT(psbt);
  const mine = walletScripts(root, scan);
  const inputs: PsbtInputFacts[] = [];
  for (let i = 0; i < tx.inputsLength; i++) {
    const input = tx.getInput(i);
    const w = input.witnessUtxo;
    inputs.push({
      index: i,
      txid: input.txid === undefined ? '' : hex(input.txid),
      vout: input.index ?? 0,
      amount: w?.amount ?? null,
      path: w === undefined ? null : (mine.get(hex(w.script)) ?? null),
    });
  }
  const outputs: PsbtOutputFacts[] = [];
  for (let i = 0; i < tx.outputsLength; i++) {
    const o = tx.getOutput(i);
    let address: string | null = null;
    if (o.script !== undefined) {
      try {
        address = Address(networkParams(network)).encode(OutScript.decode(o.script));
      } catch {
        address = null;
      }
    }
    outputs.push({ index: i, address, amount: o.amount ?? null, path: o.script === undefined ? null : (mine.get(hex(o.script)) ?? null) });
  }
  return { inputs, outputs };
}
