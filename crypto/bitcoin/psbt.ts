// PSBT (BIP-174/371) key-path signing for FROST wallets: sighashes out, aggregated signatures in, final transaction.
import { schnorr } from '@noble/curves/secp256k1.js';
import { Address, OutScript, SigHash, Transaction } from '@scure/btc-signer';
import { networkParams, taprootScript } from './address.js';
import type { BitcoinNetwork } from './address.js';

/** One input this wallet must sign: its BIP-341 sighash and the output key it spends from. */
export type KeyPathInput = { index: number; outputKey: Uint8Array; sighashType: number; sighash: Uint8Array };

// Only the whole-transaction sighashes: a custody signer approves exactly the transaction it was shown.
const ALLOWED_SIGHASH = new Set<number>([SigHash.DEFAULT, SigHash.ALL]);

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

function parsePsbt(psbt: Uint8Array): Transaction {
  if (!(psbt instanceof Uint8Array)) throw new Error('PSBT must be bytes');
  try {
    return Transaction.fromPSBT(psbt);
  } catch (err) {
    throw new Error(`not a valid PSBT: ${(err as Error).message}`);
  }
}

/**
 * The sighashes to sign for every input that spends one of `ownOutputKeys` by key path. Inputs of other keys are left
 * alone (another signer's). BIP-341 commits to every input's prevout, so each input must carry its witnessUtxo.
 */
export function taprootSighashes(psbt: Uint8Array, ownOutputKeys: Uint8Array[]): KeyPathInput[] {
  const tx = parsePsbt(psbt);
  const scripts: Uint8Array[] = [];
  const amounts: bigint[] = [];
  for (let i = 0; i < tx.inputsLength; i++) {
    const w = tx.getInput(i).witnessUtxo;
    if (!w) throw new Error(`input ${i} has no witnessUtxo; Taproot sighashes need every input's previous output`);
    scripts.push(w.script);
    amounts.push(w.amount);
  }
  const own = ownOutputKeys.map((k) => ({ key: k, script: taprootScript(k) }));
  const result: KeyPathInput[] = [];
  for (let i = 0; i < tx.inputsLength; i++) {
    const mine = own.find((o) => sameBytes(o.script, scripts[i] as Uint8Array));
    if (!mine) continue;
    const input = tx.getInput(i);
    if (input.tapKeySig || input.finalScriptWitness) throw new Error(`input ${i} is already signed`);
    const sighashType = input.sighashType ?? SigHash.DEFAULT;
    if (!ALLOWED_SIGHASH.has(sighashType)) throw new Error(`input ${i} asks for sighash type ${sighashType}; only DEFAULT and ALL are signed`);
    const sighash = tx.preimageWitnessV1(i, scripts, sighashType, amounts);
    result.push({ index: i, outputKey: mine.key.slice(), sighashType, sighash });
  }
  return result;
}

/**
 * Inserts each aggregated BIP-340 signature as the input's tapKeySig (type byte appended unless DEFAULT), after
 * checking it against the input's sighash and output key, then finalises those inputs. Returns the updated PSBT and,
 * when every input is final, the network transaction.
 */
export function insertTaprootSignatures(
  psbt: Uint8Array,
  signed: { index: number; signature: Uint8Array }[],
  ownOutputKeys: Uint8Array[],
): { psbt: Uint8Array; tx: Uint8Array | null; txid: string | null } {
  const expected = new Map(taprootSighashes(psbt, ownOutputKeys).map((i) => [i.index, i]));
  const tx = parsePsbt(psbt);
  for (const { index, signature } of signed) {
    const want = expected.get(index);
    if (!want) throw new Error(`input ${index} is not a key-path input of this wallet`);
    if (!(signature instanceof Uint8Array) || signature.length !== 64) throw new Error(`signature for input ${index} must be 64 bytes`);
    if (!schnorr.verify(signature, want.sighash, want.outputKey)) throw new Error(`signature for input ${index} does not verify`);
    const tapKeySig = want.sighashType === SigHash.DEFAULT ? signature : Uint8Array.from([...signature, want.sighashType]);
    tx.updateInput(index, { tapKeySig });
    tx.finalizeIdx(index);
  }
  if (!tx.isFinal) return { psbt: tx.toPSBT(), tx: null, txid: null };
  return { psbt: tx.toPSBT(), tx: tx.extract(), txid: tx.id };
}

export type Utxo = { txid: string; vout: number; amount: bigint; internalKey: Uint8Array; outputKey: Uint8Array };
export type Payment = { address: string; amount: bigint };

// Virtual sizes (vbytes) of the pieces of a key-path-only transaction, rounded up.
const VB_OVERHEAD = 11;
const VB_KEYPATH_INPUT = 58;
const VB_P2TR_OUTPUT = 43;
const DUST = 330n;

/**
 * A PSBT paying `payments` from all of `utxos` (the caller chooses them), change back to `change` when above dust.
 * Fee = feeRate (sat/vB) × estimated vsize. Inputs carry witnessUtxo and tapInternalKey (BIP-371) for coordinators.
 */
export function buildSend(opts: {
  utxos: Utxo[];
  payments: Payment[];
  change: { internalKey: Uint8Array; outputKey: Uint8Array };
  feeRate: bigint;
  network: BitcoinNetwork;
}): { psbt: Uint8Array; fee: bigint; changeAmount: bigint } {
  const { utxos, payments, change, feeRate, network } = opts;
  if (utxos.length === 0) throw new Error('no UTXOs to spend');
  if (payments.length === 0) throw new Error('no payments');
  if (typeof feeRate !== 'bigint' || feeRate < 1n) throw new Error('feeRate must be a bigint of at least 1 sat/vB');
  const net = networkParams(network);
  const tx = new Transaction({ version: 2 });
  let total = 0n;
  for (const u of utxos) {
    if (!/^[0-9a-f]{64}$/.test(u.txid)) throw new Error(`bad txid ${u.txid}`);
    if (typeof u.amount !== 'bigint' || u.amount <= 0n) throw new Error('UTXO amounts must be positive bigints');
    tx.addInput({
      txid: u.txid,
      index: u.vout,
      witnessUtxo: { script: taprootScript(u.outputKey), amount: u.amount },
      tapInternalKey: u.internalKey,
    });
    total += u.amount;
  }
  let sent = 0n;
  for (const p of payments) {
    if (typeof p.amount !== 'bigint' || p.amount < DUST) throw new Error(`payment to ${p.address} is below the dust limit`);
    tx.addOutput({ script: OutScript.encode(Address(net).decode(p.address)), amount: p.amount });
    sent += p.amount;
  }
  const vsize = (outputs: number): bigint => BigInt(VB_OVERHEAD + VB_KEYPATH_INPUT * utxos.length + VB_P2TR_OUTPUT * outputs);
  const feeWithChange = feeRate * vsize(payments.length + 1);
  const changeAmount = total - sent - feeWithChange;
  if (changeAmount >= DUST) {
    tx.addOutput({ script: taprootScript(change.outputKey), amount: changeAmount, tapInternalKey: change.internalKey });
    return { psbt: tx.toPSBT(), fee: feeWithChange, changeAmount };
  }
  const fee = total - sent;
  if (fee < feeRate * vsize(payments.length)) throw new Error(`insufficient funds: ${total} sat in, ${sent} sat out plus fee`);
  return { psbt: tx.toPSBT(), fee, changeAmount: 0n };
}
