// Test stand-ins for custodians' devices (X25519 key pairs doing EIP-1024's ECDH) and builders of ceremony requests.
import { x25519 } from '@noble/curves/ed25519.js';
import { partyIdFor } from '../../crypto/frost/party-id';
import type { PartyId } from '../../crypto/frost/types';
import { decodeSealed } from '../../crypto/sealing';
import type { DkgParams } from '../../main/mpc-host/ceremonies/dkg';
import type { ReshareParams } from '../../main/mpc-host/ceremonies/reshare';
import type { SignParams } from '../../main/mpc-host/ceremonies/sign';
import type { SealedShare } from '../../main/mpc-host/wire';

/** What a Ledger's Ethereum app does for Custos here: an X25519 key whose secret never leaves it, and ECDH on request. */
export class TestDevice {
  private readonly secret = x25519.utils.randomSecretKey();
  readonly encryptionKey = x25519.getPublicKey(this.secret);
  /** EIP-1024 shared secret with a key the host sent (the box's ephemeral key, or a fresh one for entropy). */
  ecdh(publicKey: Uint8Array): Uint8Array {
    return x25519.getSharedSecret(this.secret, publicKey);
  }
  /** Device entropy for a ceremony: the ECDH secret over a fresh ephemeral key only this device can compute. */
  entropy(): Uint8Array {
    return this.ecdh(x25519.getPublicKey(x25519.utils.randomSecretKey()));
  }
  /** The secret that opens a sealed share addressed to this device. */
  unsealSecret(sealed: Uint8Array): Uint8Array {
    return this.ecdh(decodeSealed(sealed).ephemeralPublicKey);
  }
}

export type Custodian = { userId: string; partyId: PartyId; device: TestDevice };

export function custodians(n: number, label = 'u'): Custodian[] {
  return Array.from({ length: n }, (_, i) => {
    const userId = `${label}-${i + 1}`;
    return { userId, partyId: partyIdFor(userId), device: new TestDevice() };
  });
}

let seq = 0;
export const nextId = (kind: string): string => `${kind}-${++seq}-${Date.now().toString(36)}`;

export function dkgParams(threshold: number, people: Custodian[], over: Partial<DkgParams> = {}): DkgParams {
  return {
    ceremonyId: nextId('dkg'),
    walletId: 'w-test',
    keyVersion: 1,
    threshold,
    parties: people.map((c) => ({ partyId: c.partyId, encryptionKey: c.device.encryptionKey, deviceEntropy: c.device.entropy() })),
    ...over,
  };
}

const shareOf = (shares: SealedShare[], partyId: PartyId): Uint8Array => {
  const s = shares.find((x) => x.partyId === partyId);
  if (!s) throw new Error(`no share for ${partyId}`);
  return s.sealed;
};

/** A signing request by `signers`, each device giving the secret that opens its own sealed share. */
export function signParams(
  base: { groupKey: SignParams['groupKey']; shares: SealedShare[]; walletId?: string; keyVersion?: number },
  signers: Custodian[],
  messages: Uint8Array[],
  path: number[] = [],
): SignParams {
  return {
    ceremonyId: nextId('sign'),
    walletId: base.walletId ?? 'w-test',
    keyVersion: base.keyVersion ?? 1,
    groupKey: base.groupKey,
    path,
    messages,
    signers: signers.map((c) => {
      const sealed = shareOf(base.shares, c.partyId);
      return { partyId: c.partyId, sealed, unsealSecret: c.device.unsealSecret(sealed) };
    }),
  };
}

export function reshareParams(
  base: { groupKey: ReshareParams['groupKey']; shares: SealedShare[]; fromKeyVersion: number },
  mode: ReshareParams['mode'],
  dealers: Custodian[],
  receivers: Custodian[],
  threshold: number,
): ReshareParams {
  return {
    ceremonyId: nextId(mode),
    walletId: 'w-test',
    mode,
    fromKeyVersion: base.fromKeyVersion,
    toKeyVersion: base.fromKeyVersion + 1,
    groupKey: base.groupKey,
    dealers: dealers.map((c) => {
      const sealed = shareOf(base.shares, c.partyId);
      return { partyId: c.partyId, sealed, unsealSecret: c.device.unsealSecret(sealed), deviceEntropy: c.device.entropy() };
    }),
    receivers: receivers.map((c) => ({ partyId: c.partyId, encryptionKey: c.device.encryptionKey })),
    threshold,
  };
}

export const message = (label: string): Uint8Array => {
  const m = new Uint8Array(32);
  for (let i = 0; i < label.length && i < 32; i++) m[i] = label.charCodeAt(i);
  m[31] = 1;
  return m;
};
