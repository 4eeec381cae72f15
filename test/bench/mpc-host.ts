// Custos through the MPC host process: sealed shares, devices that approve at once (X25519 keys), checked messages.
import { x25519 } from '@noble/curves/ed25519.js';
import { schnorr_FROST } from '@noble/curves/secp256k1.js';
import { randomBytes } from '@noble/hashes/utils.js';
import type { GroupKey, SecretShare } from '../../crypto/frost/types.js';
import { decodeSealed, encodeSealed, seal } from '../../crypto/sealing.js';
import { MpcHostClient } from '../../main/mpc/client.js';
import { nodeHostLauncher } from '../../main/mpc/launch-node.js';
import { msPerOp, rate, type Size } from './mpc-sizes.js';

type DkgParams = Parameters<MpcHostClient['runDkg']>[0];
type DkgOutcome = Awaited<ReturnType<MpcHostClient['runDkg']>>;

/** A custodian's device, reduced to what the host needs of it: an X25519 key that unseals on request, no prompt. */
type VirtualDevice = { secretKey: Uint8Array; encryptionKey: Uint8Array; entropy: Uint8Array };
const newDevice = (): VirtualDevice => {
  const secretKey = x25519.utils.randomSecretKey();
  return { secretKey, encryptionKey: x25519.getPublicKey(secretKey), entropy: randomBytes(32) };
};

export type HostTimes = Size & { dkgMs: number; signMs: number };
export type HostResults = {
  times: HostTimes[];
  /** Sequential signing requests per second at 2-of-3 (each: device unseal secrets, sign.run, main's checks). */
  requestsPerSecond: number | null;
  /** One signature through the host under the large key's child at `path` (the key itself made by the pool). */
  large: (Size & { childSignMs: number; path: number[] }) | null;
};

let ceremonies = 0;

/** The host runs one whole ceremony per request; this is main's side of it, with the devices answering at once. */
class HostWallet {
  readonly devices = new Map<string, VirtualDevice>();
  constructor(
    private readonly client: MpcHostClient,
    readonly size: Size,
  ) {
    for (let i = 1; i <= size.n; i++) this.devices.set(schnorr_FROST.Identifier.fromNumber(i), newDevice());
  }

  dkg(): Promise<DkgOutcome> {
    const params: DkgParams = {
      ceremonyId: `bench-dkg-${++ceremonies}`,
      walletId: 'bench-wallet',
      keyVersion: 1,
      threshold: this.size.t,
      parties: [...this.devices].map(([partyId, d]) => ({ partyId, encryptionKey: d.encryptionKey, deviceEntropy: d.entropy })),
    };
    return this.client.runDkg(params, { timeoutMs: 60 * 60_000 });
  }

  /**
   * Seals a key made elsewhere (the DKG pool) to this wallet's devices, as the host's own DKG would have, so the host
   * can sign with it: a 67-of-100 key is made once, by the pool, rather than again by the host's single thread.
   */
  adopt(groupKey: GroupKey, shares: SecretShare[]): DkgOutcome {
    const sealed = shares.map((s) => {
      const device = this.devices.get(s.identifier) as VirtualDevice;
      const ctx = { walletId: 'bench-wallet', partyId: s.identifier, keyVersion: 1 };
      return { partyId: s.identifier, sealed: encodeSealed(seal(device.encryptionKey, s.signingShare, ctx, randomBytes)) };
    });
    return { ceremonyId: `bench-adopted-${++ceremonies}`, groupKey, shares: sealed };
  }

  /** The first t parties sign; each device computes its ECDH secret for its box, as a Ledger would after approval. */
  async sign(key: DkgOutcome, messages: Uint8Array[], path: number[] = []): Promise<Uint8Array[]> {
    const signers = key.shares.slice(0, this.size.t).map(({ partyId, sealed }) => {
      const device = this.devices.get(partyId) as VirtualDevice;
      return { partyId, sealed, unsealSecret: x25519.getSharedSecret(device.secretKey, decodeSealed(sealed).ephemeralPublicKey) };
    });
    const params = { ceremonyId: `bench-sign-${++ceremonies}`, walletId: 'bench-wallet', keyVersion: 1, groupKey: key.groupKey, path, messages, signers };
    // The client verifies every signature under the key it derives itself; a bad one rejects.
    const { signatures } = await this.client.sign(params, { timeoutMs: 60 * 60_000 });
    return signatures;
  }
}

/**
 * Measures DKG and signing through a real host process (tsx from sources) at each size; then, given the large key
 * (made by the pool), one signature under its child key at path [0, 0].
 */
export async function hostRows(
  sizes: Size[],
  msg: Uint8Array,
  large: { size: Size; groupKey: GroupKey; shares: SecretShare[] } | null,
): Promise<HostResults> {
  const client = new MpcHostClient({ launcher: nodeHostLauncher(), ceremonyTimeoutMs: 60 * 60_000 });
  try {
    // Started first so no measurement includes the host's launch (a `.ts` entry compiles under tsx).
    await client.start();
    const times: HostTimes[] = [];
    let requestsPerSecond: number | null = null;
    for (const size of sizes) {
      const wallet = new HostWallet(client, size);
      const dkg = await msPerOp(() => wallet.dkg());
      const signMs = (await msPerOp(() => wallet.sign(dkg.last, [msg]))).ms;
      times.push({ ...size, dkgMs: dkg.ms, signMs });
      if (size.t === 2 && size.n === 3) requestsPerSecond = await rate(() => wallet.sign(dkg.last, [msg]), 3000);
    }
    let largeResult: HostResults['large'] = null;
    if (large) {
      const wallet = new HostWallet(client, large.size);
      const key = wallet.adopt(large.groupKey, large.shares);
      const path = [0, 0];
      const start = performance.now();
      await wallet.sign(key, [msg], path);
      largeResult = { ...large.size, childSignMs: performance.now() - start, path };
    }
    return { times, requestsPerSecond, large: largeResult };
  } finally {
    await client.close();
  }
}
