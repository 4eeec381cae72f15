// Checks a signed transaction apart from Custos' signing path: each input's BIP-341 sighash recomputed by
// @scure/btc-signer from the prevouts, and its BIP-340 signature checked by @noble/curves.
import { schnorr } from '@noble/curves/secp256k1.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { base64 } from '@scure/base';
import { SigHash, Transaction } from '@scure/btc-signer';
import { CustosError } from '../errors';

export function verifyTransaction(txHex: string, psbtBase64: string): { txid: string; vout: number; amount: number; scriptPubKey: string }[] {
  const tx = Transaction.fromRaw(hexToBytes(txHex), { allowUnknownOutputs: true });
  const psbt = Transaction.fromPSBT(base64.decode(psbtBase64));
  const scripts: Uint8Array[] = [];
  const amounts: bigint[] = [];
  const prevouts = [];
  for (let i = 0; i < psbt.inputsLength; i++) {
    const input = psbt.getInput(i);
    if (!input.witnessUtxo || !input.txid || input.index === undefined) throw new CustosError('INTERNAL', `input ${i} has no previous output`);
    scripts.push(input.witnessUtxo.script);
    amounts.push(input.witnessUtxo.amount);
    prevouts.push({ txid: bytesToHex(input.txid), vout: input.index, amount: Number(input.witnessUtxo.amount), scriptPubKey: bytesToHex(input.witnessUtxo.script) });
  }
  for (let i = 0; i < tx.inputsLength; i++) {
    const witness = tx.getInput(i).finalScriptWitness;
    const sig = witness?.[0];
    const script = scripts[i] as Uint8Array;
    if (sig === undefined || sig.length !== 64 || script[0] !== 0x51 || script[1] !== 0x20) throw new CustosError('INTERNAL', `input ${i} is not a key-path spend`);
    const sighash = tx.preimageWitnessV1(i, scripts, SigHash.DEFAULT, amounts);
    if (!schnorr.verify(sig, sighash, script.subarray(2))) throw new CustosError('INTERNAL', `input ${i}'s signature does not verify`);
  }
  return prevouts;
}
