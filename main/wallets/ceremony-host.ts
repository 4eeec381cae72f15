// What the wallet and transfer services need of the MPC host, in domain types: the client adapts it to the wire protocol.
import type { PartyId } from '../../crypto/frost';
import type { DkgOutcome, DkgParams } from '../mpc-host/ceremonies/dkg';
import type { ReshareOutcome, ReshareParams } from '../mpc-host/ceremonies/reshare';
import type { SignOutcome, SignParams } from '../mpc-host/ceremonies/sign';
import type { SealedShare } from '../mpc-host/wire';

export type { SealedShare };

export interface HostProgress {
  step: string;
  done: number;
  total: number;
}

/** A party that brings an existing sealed share: the secret its device computed for the box opens it in the host. */
export interface UnsealingParty {
  partyId: PartyId;
  sealed: Uint8Array;
  unsealSecret: Uint8Array;
}

export interface CeremonyHost {
  dkg(input: DkgParams, onProgress: (p: HostProgress) => void): Promise<DkgOutcome>;
  reshare(input: ReshareParams, onProgress: (p: HostProgress) => void): Promise<ReshareOutcome>;
  sign(input: SignParams, onProgress: (p: HostProgress) => void): Promise<SignOutcome>;

  /** Gives the host the signed log as it grows, so it times approvals (delays) by when it first saw them. */
  syncLog(records: string[]): Promise<void>;

  /**
   * Signs a transfer request once the host itself has checked the evidence: the whole signed log (canonical record
   * bodies in seq order, checked against what it pinned before), the policy and its adoption, every approval, velocity
   * from its own ledger, the delay by its own clock, and the sighashes. Resolves with one signature per input.
   */
  signTransfer(
    input: { ceremonyId: string; requestId: string; records: string[]; signers: UnsealingParty[] },
    onProgress: (p: HostProgress) => void,
  ): Promise<{ ruleId: string; signatures: { index: number; signature: Uint8Array }[] }>;
}
