// Signs the inputs of a PSBT that spend a wallet's keys: t custodians open their shares on their devices, the MPC host
// signs per derivation path, and each signature is checked before it goes into the PSBT.
import { bytesToHex } from '@noble/hashes/utils.js';
import { changePath, deriveChildKey, receivePath } from '../../crypto/frost';
import { insertTaprootSignatures, taprootSighashes } from '../../crypto/bitcoin';
import type { DeviceManager } from '../devices/manager';
import { CustosError } from '../errors';
import type { IdGenerator } from '../vault/ids';
import { randomIds } from '../vault/ids';
import type { VaultService } from '../vault/service';
import type { CeremonyHost, HostProgress } from './ceremony-host';
import { groupKeyOf } from './keys';
import { signingShares } from './signing-shares';

export interface SignedPsbt {
  psbt: Uint8Array;
  /** The final transaction, when every input is signed. */
  txHex: string | null;
  txid: string | null;
  /** Input indexes signed, with the wallet path each one spends (relative to the wallet key, "" for the root). */
  signed: { index: number; path: string }[];
}

export interface PsbtSigningOptions {
  /** How many receive and change addresses to look through for the inputs' keys. */
  scan?: number;
  /** Sign with these custodians (user ids), if given; else the first of those whose devices are connected. */
  signers?: string[];
  onProgress?: (message: string, p?: HostProgress) => void;
}

export class PsbtSigner {
  constructor(
    private readonly vault: VaultService,
    private readonly devices: DeviceManager,
    private readonly host: CeremonyHost,
    private readonly ids: IdGenerator = randomIds,
  ) {}

  async sign(walletId: string, psbt: Uint8Array, options: PsbtSigningOptions = {}): Promise<SignedPsbt> {
    const progress = options.onProgress ?? (() => {});
    const { wallet, state, header } = this.vault.walletForChange(walletId);
    const key = wallet.key;
    if (key === null) throw new CustosError('RULE_VIOLATION', `The wallet ${wallet.name} has no key yet: run its key ceremony first.`);
    if (wallet.pending !== null) {
      // After a revocation the revoked custodian's share still combines until the reshare lands: sign nothing until then.
      throw new CustosError('RULE_VIOLATION', `The wallet ${wallet.name} owes a ${wallet.pending.ceremony} (proposal ${wallet.pending.proposalId}); run it before signing.`);
    }
    const root = groupKeyOf(key);
    const paths = walletPaths(options.scan ?? 100);
    const children = paths.map((path) => ({ path, key: deriveChildKey(root, path).groupKey }));
    const ownKeys = children.map((c) => c.key.outputKey);
    let inputs;
    try {
      inputs = taprootSighashes(psbt, ownKeys);
    } catch (err) {
      throw new CustosError('BAD_INPUT', `The PSBT cannot be signed: ${(err as Error).message}.`);
    }
    if (inputs.length === 0) throw new CustosError('BAD_INPUT', `No input of this PSBT spends from ${wallet.name} (looked at its key and ${options.scan ?? 100} receive and change addresses).`);

    const signers = await signingShares({
      vault: this.vault,
      devices: this.devices,
      state,
      identityPath: header.identityPath,
      wallet,
      only: options.signers,
      purpose: `to sign ${inputs.length} input(s)`,
      progress: (m: string) => progress(m),
    });
    try {
      const signatures: { index: number; signature: Uint8Array }[] = [];
      const signedPaths: { index: number; path: string }[] = [];
      for (const child of children) {
        const mine = inputs.filter((i) => bytesToHex(i.outputKey) === bytesToHex(child.key.outputKey));
        if (mine.length === 0) continue;
        const result = await this.host.sign(
          { ceremonyId: this.ids('ceremony'), walletId, keyVersion: key.keyVersion, groupKey: root, path: child.path, messages: mine.map((i) => i.sighash), signers },
          (p) => progress(`MPC host: ${p.step}`, p),
        );
        mine.forEach((input, i) => {
          signatures.push({ index: input.index, signature: result.signatures[i] as Uint8Array });
          signedPaths.push({ index: input.index, path: child.path.join('/') });
        });
      }
      const out = insertTaprootSignatures(psbt, signatures, ownKeys);
      return { psbt: out.psbt, txHex: out.tx === null ? null : bytesToHex(out.tx), txid: out.txid, signed: signedPaths.sort((a, b) => a.index - b.index) };
    } finally {
      for (const s of signers) s.unsealSecret.fill(0);
    }
  }
}

/** The root key, then receive and change addresses 0..scan-1. */
function walletPaths(scan: number): number[][] {
  const out: number[][] = [[]];
  for (let i = 0; i < scan; i++) out.push(receivePath(i), changePath(i));
  return out;
}
