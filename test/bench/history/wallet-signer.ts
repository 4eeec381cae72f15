// The generated wallet's signatures, made in this process: two custodians' sealed shares opened with their virtual
// devices' secrets, then a FROST session over crypto/frost, as the MPC host runs it (without its process and checks).
import { randomBytes } from 'node:crypto';
import { schnorr } from '@noble/curves/secp256k1.js';
import { decodeSealed, open } from '../../../crypto/sealing';
import { deriveChildShare, type ChildKey } from '../../../crypto/frost/hd';
import { signStart, signStep, type SignMessage, type SignState } from '../../../crypto/frost/sign';
import { BROADCAST, COORDINATOR, type GroupKey, type PartyId, type SecretShare } from '../../../crypto/frost/types';
import type { DeviceManager } from '../../../main/devices/manager';
import { unsealSecret } from '../../../main/wallets/device-secrets';

const rng = (n = 32): Uint8Array => new Uint8Array(randomBytes(n));

export interface WalletSigner {
  /** BIP-340 signatures of `messages` by the wallet's child key `child` (deriveChildKey's), each verified. */
  sign(sessionId: string, child: ChildKey, messages: Uint8Array[]): Uint8Array[];
}

/** Opens the shares of `signers` (party id → the custodian's device id) from their sealed boxes. */
export async function walletSigner(
  devices: DeviceManager,
  identityPath: string,
  ctx: { walletId: string; keyVersion: number; groupKey: GroupKey },
  sealed: ReadonlyMap<PartyId, Uint8Array>,
  signers: ReadonlyMap<PartyId, string>,
): Promise<WalletSigner> {
  const shares: SecretShare[] = [];
  for (const [partyId, deviceId] of signers) {
    const box = sealed.get(partyId);
    if (box === undefined) throw new Error(`bench vault: no sealed share for party ${partyId}`);
    const secret = await unsealSecret(devices, deviceId, identityPath, box, 'the bench vault generator');
    shares.push({ identifier: partyId, signingShare: open(secret, decodeSealed(box), { walletId: ctx.walletId, partyId, keyVersion: ctx.keyVersion }) });
  }
  return {
    sign(sessionId, child, messages) {
      const ids = shares.map((s) => s.identifier);
      const config = { sessionId, signers: ids, messages, publicPackage: child.groupKey.publicPackage, shareCheck: 'on-failure' as const };
      const states = new Map<string, SignState>();
      let queue: SignMessage[] = [];
      for (const s of shares) {
        const r = signStart({ ...config, self: s.identifier }, deriveChildShare(s, child), rng);
        states.set(s.identifier, r.state);
        queue.push(...r.outbox);
      }
      const coordinator = signStart({ ...config, self: null }, null, rng);
      states.set(COORDINATOR, coordinator.state);
      while (queue.length > 0) {
        const next: SignMessage[] = [];
        for (const m of queue) {
          const to = m.to === BROADCAST ? [...states.keys()].filter((id) => id !== m.from) : [m.to];
          for (const id of to) {
            const r = signStep(states.get(id) as SignState, m);
            states.set(id, r.state);
            next.push(...r.outbox);
          }
        }
        queue = next;
      }
      const signatures = (states.get(COORDINATOR) as SignState).public.signatures;
      if (signatures === undefined) throw new Error('bench vault: the signing session ended without signatures');
      signatures.forEach((sig, i) => {
        if (!schnorr.verify(sig, messages[i] as Uint8Array, child.groupKey.outputKey)) throw new Error('bench vault: a wallet signature does not verify');
      });
      return signatures;
    },
  };
}
