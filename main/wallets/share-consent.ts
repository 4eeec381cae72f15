// Each custodian's device shows and signs what their share is about to do (the use statement), and only then, when the
// use opens the share, gives the secret that opens it. The MPC host checks the statement before it opens anything.
import { partyIdFor } from '../../crypto/frost';
import { ShareUseError, shareUseStatement, type GovernanceState, type ShareUseSubject, type UserState, type WalletState } from '../../crypto/governance';
import type { DeviceManager } from '../devices/manager';
import { CustosError } from '../errors';
import type { UnsealingParty } from '../mpc-host/signer-gate';
import type { VaultService } from '../vault/service';
import { unsealSecret } from './device-secrets';
import { openableShares } from './shares';

export interface ConsentingCustodian {
  user: UserState;
  deviceId: string;
}

/** What one use statement is for, in the words the console shows before the device prompt. */
function purposeOf(subject: ShareUseSubject, walletName: string): string {
  if ('transfer' in subject) return `signing request ${subject.transfer.id} from ${walletName}`;
  return subject.ceremony === 'dkg' ? `creating the key of ${walletName}` : `the ${subject.ceremony} of ${walletName}'s shares`;
}

/** One use of the wallet's shares, and the custodians whose devices consent to it, one after another. */
export interface ConsentRequest {
  vault: VaultService;
  state: GovernanceState;
  identityPath: string;
  wallet: WalletState;
  subject: ShareUseSubject;
  custodians: readonly ConsentingCustodian[];
  progress: (message: string, done: number, total: number) => void;
}

/** Use statements only: a DKG opens no share (the signature itself is the device's entropy for it). */
export async function useSignatures(opts: ConsentRequest): Promise<{ partyId: string; useSignature: string }[]> {
  const out: { partyId: string; useSignature: string }[] = [];
  for (const [i, { user, deviceId }] of opts.custodians.entries()) {
    opts.progress(`${user.name}: your Ledger shows what your share is for (${purposeOf(opts.subject, opts.wallet.name)}); check it and approve`, i, opts.custodians.length);
    out.push({ partyId: partyIdFor(user.id), useSignature: await signUse(opts.vault, opts.state, opts.identityPath, opts.wallet, user, deviceId, opts.subject) });
  }
  return out;
}

/**
 * For each custodian: the use statement on their device, then the EIP-1024 secret that opens their sealed share (a
 * second confirmation on the device). The caller wipes the secrets after use; on failure the ones given are wiped here.
 */
export async function openingShares(opts: ConsentRequest & { devices: DeviceManager }): Promise<UnsealingParty[]> {
  const sealed = openableShares(opts.vault, opts.wallet.id);
  const parties: UnsealingParty[] = [];
  const purpose = purposeOf(opts.subject, opts.wallet.name);
  try {
    for (const [i, { user, deviceId }] of opts.custodians.entries()) {
      const partyId = partyIdFor(user.id);
      const box = sealed.get(partyId);
      if (box === undefined) throw new CustosError('TAMPERING_DETECTED', `The sealed share of ${user.name} for ${opts.wallet.name} is missing from the store.`);
      opts.progress(`${user.name}: your Ledger shows what your share is for (${purpose}); check it and approve`, i, opts.custodians.length);
      const useSignature = await signUse(opts.vault, opts.state, opts.identityPath, opts.wallet, user, deviceId, opts.subject);
      const opens = `${user.name}: "Provide public secret key" opens your key share of ${opts.wallet.name} for ${purpose}, which you just approved on your Ledger, and for nothing else.`;
      opts.progress(`${user.name}: approve "Provide public secret key" on your Ledger: it opens your share for ${purpose}, and nothing else`, i, opts.custodians.length);
      parties.push({ partyId, sealed: box, unsealSecret: await unsealSecret(opts.devices, deviceId, opts.identityPath, box, opens), useSignature });
    }
    return parties;
  } catch (err) {
    for (const p of parties) p.unsealSecret.fill(0);
    throw err;
  }
}

async function signUse(vault: VaultService, state: GovernanceState, path: string, wallet: WalletState, user: UserState, deviceId: string, subject: ShareUseSubject): Promise<string> {
  let statement;
  try {
    statement = shareUseStatement(state, wallet, user, subject);
  } catch (err) {
    if (err instanceof ShareUseError) throw new CustosError('RULE_VIOLATION', `${err.message}. Nothing was asked of the device.`);
    throw err;
  }
  return vault.signOnDevice(deviceId, path, statement, user.identityAddress);
}
