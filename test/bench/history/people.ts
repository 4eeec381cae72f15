// The generated vault's people: who they are, their roles and groups, and their virtual devices' keys (from a seed).
import { HDKey } from '@scure/bip32';
import { entropyToMnemonic, mnemonicToSeedSync } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import type { Role } from '../../../crypto/governance';

/** The identity path every member's device signs with (the vault's default). */
export const IDENTITY_PATH = "m/44'/60'/0'/0/0";

export type GroupName = 'Ops' | 'Approvers' | 'Treasury' | 'Audit';

export interface Person {
  name: string;
  roles: Role[];
  groups: GroupName[];
  /** The virtual Ledger's BIP-39 phrase: the same seed always makes the same devices (and the same signatures). */
  mnemonic: string;
}

const NAMES = [
  'Alice', 'Bob', 'Carol',
  // Ops: operators who request transfers.
  'Dave', 'Dora', 'Dmitri', 'Dana', 'Diego', 'Delia', 'Dexter', 'Daphne',
  // Approvers.
  'Erin', 'Emil', 'Elena', 'Ezra', 'Esme', 'Eli', 'Edith', 'Ethan', 'Eve', 'Enzo',
  // Treasury: the second step for large transfers.
  'Tara', 'Theo', 'Tomas', 'Tilda', 'Tobias', 'Tess',
  // Auditors.
  'Uma', 'Ulric', 'Ursula', 'Uri', 'Una',
] as const;

/** 3 administrators (the wallet's custodians), 8 operators, 10 approvers, 6 treasurers, 5 auditors: 32 people. */
export function peopleOf(seed: string): Person[] {
  return NAMES.map((name, i): Person => {
    const [roles, groups]: [Role[], GroupName[]] =
      i < 3 ? [['administrator'], []]
      : i < 11 ? [['operator'], ['Ops']]
      : i < 21 ? [['approver'], ['Approvers']]
      : i < 27 ? [['approver'], ['Treasury']]
      : [['auditor'], ['Audit']];
    return { name, roles, groups, mnemonic: entropyToMnemonic(sha256(utf8ToBytes(`custos bench vault ${seed} ${name}`)).subarray(0, 16), wordlist) };
  });
}

/** The device's identity key at `path`, as the virtual Ledger derives it (BIP-39 seed, BIP-32). */
export function identityKey(mnemonic: string, path = IDENTITY_PATH): Uint8Array {
  const key = HDKey.fromMasterSeed(mnemonicToSeedSync(mnemonic)).derive(path);
  if (key.privateKey === null) throw new Error('bench vault: the derived identity key has no private part');
  return key.privateKey;
}
