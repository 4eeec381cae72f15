// Policy test fixtures: real addresses per network, a small vault's groups, and builders of rules and policies.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { p2pkh, p2tr, p2wpkh } from '@scure/btc-signer';
import { networkParams } from '../../crypto/bitcoin/address.js';
import type { BitcoinNetwork } from '../../crypto/bitcoin/address.js';
import type { ApprovalStep, Policy, Rule, Whitelist } from '../../crypto/policy/index.js';

const keyOf = (i: number): Uint8Array => {
  const secret = new Uint8Array(32);
  secret[31] = i + 1;
  return secp256k1.getPublicKey(secret, true);
};

/** A P2WPKH (or, for kind 'tr'/'pkh', P2TR / P2PKH) address of test key i on `network`. */
export function address(i: number, network: BitcoinNetwork = 'regtest', kind: 'wpkh' | 'tr' | 'pkh' = 'wpkh'): string {
  const net = networkParams(network);
  const key = keyOf(i);
  const pay = kind === 'tr' ? p2tr(key.subarray(1), undefined, net) : kind === 'pkh' ? p2pkh(key, net) : p2wpkh(key, net);
  return pay.address as string;
}

export const WALLET = 'w-treasury';
export const HOUR = 3600 * 1000;
export const T0 = Date.UTC(2025, 0, 1);

export function step(groupId: string, count: number, initiatorMayApprove = false): ApprovalStep {
  return { groupId, count, initiatorMayApprove };
}

export function rule(id: string, overrides: Partial<Rule> = {}): Rule {
  return {
    id,
    name: `Rule ${id}`,
    amount: { min: null, max: null },
    destination: { kind: 'any' },
    initiatorGroupId: null,
    steps: [step('approvers', 1)],
    delaySeconds: 0,
    velocity: [],
    ...overrides,
  };
}

export function policy(rules: Rule[], overrides: Partial<Policy> = {}): Policy {
  return { version: 1, walletId: WALLET, rules, velocity: [], ...overrides };
}

export const partners: Whitelist = {
  id: 'partners',
  name: 'Partners',
  network: 'regtest',
  entries: [
    { address: address(1), label: 'Exchange deposit' },
    { address: address(2), label: 'Cold storage' },
  ],
};

/** Groups as a map from group id to members. */
export function groups(spec: Record<string, string[]>): Map<string, Set<string>> {
  return new Map(Object.entries(spec).map(([id, members]) => [id, new Set(members)]));
}

const DESTINATION = address(9);

export const request = (overrides: Partial<{ id: string; initiatorId: string; destination: string; amount: bigint; createdAt: number; walletId: string }> = {}) => ({
  id: 'r1',
  walletId: WALLET,
  initiatorId: 'op',
  destination: DESTINATION,
  amount: 1000n,
  createdAt: T0,
  ...overrides,
});
