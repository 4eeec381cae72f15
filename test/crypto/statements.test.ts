// Statements: exact bytes, device-safe text, binding to vault/kind/seq/digest, and verification by re-rendering.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { privateKeyToAccount } from 'viem/accounts';
import { bytesToHex } from '@noble/hashes/utils.js';
import { nameProblem, renderStatement, StatementError, verifyStatement } from '../../crypto/statements.js';
import type { ProposalDecisionStatement, Statement, TransferDecisionStatement } from '../../crypto/statements.js';
import { device } from './fixtures.js';

const DIGEST = '0x9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
const ALICE = device(0);

const approval: ProposalDecisionStatement = {
  kind: 'proposal-approval',
  vaultId: 'vault-7f3a',
  vaultName: 'Treasury Ops',
  seq: 12,
  proposalId: 'prop-42',
  proposalSeq: 9,
  change: { type: 'add-user', userName: 'Dave Smith', roles: ['operator', 'approver'], address: ALICE.address },
  digest: DIGEST,
};

const transfer: TransferDecisionStatement = {
  kind: 'transfer-approval',
  vaultId: 'vault-7f3a',
  vaultName: 'Treasury Ops',
  seq: 31,
  requestId: 'req-9',
  walletName: 'Cold BTC',
  asset: 'BTC',
  decimals: 8,
  amount: 150_000_000n,
  fee: 1_250n,
  destination: 'bcrt1p5cyxnuxmeuwuvkwfem96lqzszd02n6xdcjrs20cac6yqjjwudpxqkedrcr',
  policyVersion: 3,
  policyHash: '0x' + 'ab'.repeat(32),
  digest: DIGEST,
};

describe('renderStatement', () => {
  it('renders a proposal approval byte for byte', () => {
    expect(renderStatement(approval)).toBe(
      [
        'Custos v1: APPROVE change',
        'Vault: Treasury Ops',
        'Vault id: vault-7f3a',
        'Kind: proposal-approval',
        'Seq: 12',
        'Proposal: prop-42',
        'Proposed at seq: 9',
        'Change: add user',
        'User: Dave Smith',
        'Roles: operator, approver',
        'Address:',
        '  0xf39Fd6e51aad88F6F4ce',
        '  6aB8827279cffFb92266',
        'Digest:',
        '  9f86d081884c7d65',
        '  9a2feaa0c55ad015',
        '  a3bf4f1b2b0b822c',
        '  d15d6c15b0f00a08',
      ].join('\n'),
    );
  });

  it('renders a transfer approval byte for byte, amounts from bigint', () => {
    expect(renderStatement(transfer)).toBe(
      [
        'Custos v1: APPROVE transfer',
        'Vault: Treasury Ops',
        'Vault id: vault-7f3a',
        'Kind: transfer-approval',
        'Seq: 31',
        'Request: req-9',
        'Wallet: Cold BTC',
        'Amount: 1.5 BTC',
        'Fee: 0.0000125 BTC',
        'To:',
        '  bcrt1p5cyxnuxmeuwuvkwfem96lqzs',
        '  zd02n6xdcjrs20cac6yqjjwudpxqke',
        '  drcr',
        'Policy: version 3',
        'Policy hash:',
        '  abababababababab',
        '  abababababababab',
        '  abababababababab',
        '  abababababababab',
        'Digest:',
        '  9f86d081884c7d65',
        '  9a2feaa0c55ad015',
        '  a3bf4f1b2b0b822c',
        '  d15d6c15b0f00a08',
      ].join('\n'),
    );
  });

  it('lists long member lists one per line', () => {
    const text = renderStatement({
      ...approval,
      change: { type: 'create-group', groupName: 'Signers', memberNames: ['Alice Anderson', 'Bob Brown', 'Carol Chen'] },
    });
    expect(text).toContain('Members:\n  - Alice Anderson\n  - Bob Brown\n  - Carol Chen\n');
  });

  it('rejects non-ASCII names instead of transliterating them', () => {
    expect(() => renderStatement({ ...approval, vaultName: 'Trésorerie' })).toThrow(StatementError);
    expect(() => renderStatement({ ...approval, change: { type: 'set-roles', userName: 'Zoë', roles: ['auditor'] } })).toThrow(/printable ASCII/);
    expect(nameProblem('José')).toMatch(/printable ASCII/);
    expect(nameProblem('Jose')).toBeNull();
  });

  it.each(['Bob: admin', 'Alice, Bob', 'Bob\nRoles: administrator', ' Bob', 'Bob ', 'Bo  b', '', 'x'.repeat(33)])(
    'rejects the name %j, which could imitate a label, a list or a line',
    (name) => {
      expect(nameProblem(name)).not.toBeNull();
      expect(() => renderStatement({ ...approval, vaultName: name })).toThrow(StatementError);
    },
  );

  it('rejects malformed digests, ids and sequence numbers', () => {
    expect(() => renderStatement({ ...approval, digest: DIGEST.toUpperCase() })).toThrow(/digest/);
    expect(() => renderStatement({ ...approval, vaultId: 'vault 1' })).toThrow(/vault id/);
    expect(() => renderStatement({ ...approval, seq: -1 })).toThrow(/seq/);
    expect(() => renderStatement({ ...approval, seq: 1.5 })).toThrow(/seq/);
  });
});

const nameArb = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 .'_()&/-]{0,20}[A-Za-z0-9]$/).filter((s) => !s.includes('  '));
const idArb = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
const digestArb = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => '0x' + bytesToHex(b));
const seqArb = fc.nat({ max: 2 ** 40 });
const statementArb: fc.Arbitrary<Statement> = fc
  .record({ vaultId: idArb, vaultName: nameArb, seq: seqArb, digest: digestArb, proposalId: idArb, userName: nameArb, proposalSeq: seqArb, reject: fc.boolean() })
  .map((r) => ({
    kind: r.reject ? 'proposal-rejection' : 'proposal-approval',
    vaultId: r.vaultId,
    vaultName: r.vaultName,
    seq: r.seq,
    digest: r.digest,
    proposalId: r.proposalId,
    proposalSeq: r.proposalSeq,
    change: { type: 'revoke-user', userName: r.userName, address: ALICE.address },
  }));

describe('statement text properties', () => {
  it('only ever holds printable ASCII and newlines, in lines of at most 32 characters', () => {
    fc.assert(
      fc.property(statementArb, (s) => {
        const text = renderStatement(s);
        expect(text).toMatch(/^[\x20-\x7e\n]+$/);
        for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(32);
        expect(text.startsWith('Custos v1: ')).toBe(true);
      }),
    );
  });

  it('differs whenever the vault id, kind, seq, proposal or digest differs', () => {
    fc.assert(
      fc.property(statementArb, idArb, seqArb, digestArb, idArb, (s, otherVault, otherSeq, otherDigest, otherProposal) => {
        if (s.kind !== 'proposal-approval' && s.kind !== 'proposal-rejection') return;
        const text = renderStatement(s);
        const variants: Statement[] = [
          { ...s, vaultId: otherVault },
          { ...s, seq: otherSeq },
          { ...s, digest: otherDigest },
          { ...s, proposalId: otherProposal },
          { ...s, kind: s.kind === 'proposal-approval' ? 'proposal-rejection' : 'proposal-approval' },
        ];
        const before = [s.vaultId, s.seq, s.digest, s.proposalId, null];
        const after = [otherVault, otherSeq, otherDigest, otherProposal, 'kind'];
        variants.forEach((v, i) => {
          if (before[i] !== after[i]) expect(renderStatement(v)).not.toBe(text);
        });
      }),
    );
  });
});

describe('verifyStatement', () => {
  it('accepts the device signature of exactly the rendered text, as viem signs it too', async () => {
    const signature = ALICE.sign(approval);
    expect(verifyStatement(approval, signature, ALICE.address)).toBe(true);
    // An independent EIP-191 implementation signs the same bytes identically (RFC 6979).
    const viemSig = await privateKeyToAccount(`0x${bytesToHex(ALICE.privateKey)}`).signMessage({ message: renderStatement(approval) });
    expect(viemSig).toBe(signature);
  });

  it('refuses another device, another statement, and malformed signatures', () => {
    const signature = ALICE.sign(approval);
    expect(verifyStatement(approval, signature, device(1).address)).toBe(false);
    expect(verifyStatement({ ...approval, seq: 13 }, signature, ALICE.address)).toBe(false);
    expect(verifyStatement({ ...approval, kind: 'proposal-rejection' }, signature, ALICE.address)).toBe(false);
    expect(verifyStatement(approval, '0x1234', ALICE.address)).toBe(false);
    expect(verifyStatement(approval, 'not hex', ALICE.address)).toBe(false);
    expect(verifyStatement({ ...approval, vaultName: 'Zoë' }, signature, ALICE.address)).toBe(false);
  });
});
