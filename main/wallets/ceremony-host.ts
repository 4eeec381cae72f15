// What the wallet services need of the MPC host, in domain types: the client adapts it to the wire protocol.
import type { GroupKey, PartyId } from '../../crypto/frost';

export interface HostProgress {
  step: string;
  done: number;
  total: number;
}

export interface SealedShare {
  partyId: PartyId;
  /** crypto/sealing encodeSealed bytes. */
  sealed: Uint8Array;
}

/** A party that brings an existing sealed share: the secret its device computed for the box opens it in the host. */
export interface UnsealingParty {
  partyId: PartyId;
  sealed: Uint8Array;
  unsealSecret: Uint8Array;
}

export interface CeremonyHost {
  dkg(
    input: {
      ceremonyId: string;
      walletId: string;
      keyVersion: number;
      threshold: number;
      parties: { partyId: PartyId; encryptionKey: Uint8Array; deviceEntropy: Uint8Array }[];
    },
    onProgress: (p: HostProgress) => void,
  ): Promise<{ groupKey: GroupKey; shares: SealedShare[] }>;

  reshare(
    input: {
      ceremonyId: string;
      walletId: string;
      mode: 'refresh' | 'reshare';
      fromKeyVersion: number;
      toKeyVersion: number;
      groupKey: GroupKey;
      dealers: (UnsealingParty & { deviceEntropy: Uint8Array })[];
      receivers: { partyId: PartyId; encryptionKey: Uint8Array }[];
      threshold: number;
    },
    onProgress: (p: HostProgress) => void,
  ): Promise<{ groupKey: GroupKey; shares: SealedShare[] }>;

  sign(
    input: {
      ceremonyId: string;
      walletId: string;
      keyVersion: number;
      groupKey: GroupKey;
      path: number[];
      messages: Uint8Array[];
      signers: UnsealingParty[];
    },
    onProgress: (p: HostProgress) => void,
  ): Promise<{ signatures: Uint8Array[] }>;

  /**
   * Signs a transfer request once the host itself has checked the evidence: the whole signed log (canonical record
   * bodies in seq order, checked against what it pinned before), the policy and its adoption, every approval, velocity
   * from its own ledger, the delay by its own clock, and the sighashes. Resolves with one signature per input.
   */
  /** Gives the host the signed log as it grows, so it times approvals (delays) by when it first saw them. */
  syncLog(records: string[]): Promise<void>;

  signTransfer(
    input: { ceremonyId: string; requestId: string; records: string[]; signers: UnsealingParty[] },
    onProgress: (p: HostProgress) => void,
  ): Promise<{ ruleId: string; signatures: { index: number; signature: Uint8Array }[] }>;
}
