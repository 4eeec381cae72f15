// A custodian's signer node, registered by their device: the statement it signs, and replay's rules for it.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, hexToBytes } from '@noble/hashes/utils.js';
import { digest } from '../canonical.js';
import type { NodeKeyStatement } from '../statements.js';
import { signedSeq } from './records.js';
import type { NodeKey, NodeKeyRecord } from './types.js';

/** 0x + sha256(signingKey ‖ hpkeKey): what the device shows and the node prints, for the person to compare. */
export function nodeKeyFingerprint(keys: Pick<NodeKey, 'signingKey' | 'hpkeKey'>): string {
  return '0x' + bytesToHex(sha256(concatBytes(hexToBytes(keys.signingKey.slice(2)), hexToBytes(keys.hpkeKey.slice(2)))));
}

/** The statement the custodian's device signs to register the node (at the record's signed seq). */
export function nodeKeyStatement(vault: { vaultId: string; vaultName: string }, custodianName: string, record: Omit<NodeKeyRecord, 'signature'>): NodeKeyStatement {
  return {
    kind: 'node-key',
    vaultId: vault.vaultId,
    vaultName: vault.vaultName,
    seq: signedSeq(record),
    custodianName,
    nodeId: record.nodeId,
    keyFingerprint: nodeKeyFingerprint(record),
    digest: digest({
      domain: 'custos/node-key/v1',
      vaultId: record.vaultId,
      seq: signedSeq(record),
      userId: record.userId,
      nodeId: record.nodeId,
      signingKey: record.signingKey,
      hpkeKey: record.hpkeKey,
      createdAt: record.createdAt,
    }),
  };
}
