// Audit hash chain: any edit, deletion, insertion or reordering of entries is caught by verifyChain.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { AUDIT_GENESIS_HASH, appendEntry, entryPreimage, verifyChain } from '../../crypto/audit-chain.js';
import type { AuditDraft, AuditEntry } from '../../crypto/audit-chain.js';
import { canonicalize } from '../../crypto/canonical.js';

function chain(n: number): AuditEntry[] {
  const out: AuditEntry[] = [];
  for (let i = 0; i < n; i++) {
    const draft: AuditDraft = {
      at: `2025-01-31T12:00:${String(i % 60).padStart(2, '0')}Z`,
      actor: i % 2 === 0 ? 'alice' : 'bob',
      action: 'proposal.approved',
      subject: `prop-${i}`,
      payload: { proposalId: `prop-${i}`, approvals: i, tags: ['a', 'b'], nested: { z: 1, a: null } },
      ...(i % 3 === 0 ? { deviceSignature: '0x' + 'ab'.repeat(65) } : {}),
    };
    out.push(appendEntry(out.at(-1) ?? null, draft));
  }
  return out;
}

describe('audit chain', () => {
  it('starts at seq 0 from the zero hash and links each entry to the one before', () => {
    const entries = chain(5);
    expect(entries[0]?.prevHash).toBe(AUDIT_GENESIS_HASH);
    expect(entries[0]?.seq).toBe(0);
    expect(entries[3]?.prevHash).toBe(entries[2]?.hash);
    expect(verifyChain(entries)).toEqual({ valid: true, entries: 5, head: entries[4]?.hash });
    expect(verifyChain([])).toEqual({ valid: true, entries: 0, head: AUDIT_GENESIS_HASH });
  });

  it('hashes exactly the canonical JSON of the entry, prevHash included', () => {
    for (const e of chain(4)) {
      const { hash: _hash, ...rest } = e;
      expect(entryPreimage(rest)).toBe(canonicalize(rest));
    }
  });

  it('detects an edited entry (payload, actor, signature or time)', () => {
    const edits: ((e: AuditEntry) => AuditEntry)[] = [
      (e) => ({ ...e, payload: { ...(e.payload as object), approvals: 99 } }),
      (e) => ({ ...e, actor: 'mallory' }),
      (e) => ({ ...e, deviceSignature: '0x' + 'cd'.repeat(65) }),
      (e) => ({ ...e, at: '2030-01-01T00:00:00Z' }),
    ];
    for (const edit of edits) {
      const entries = chain(10);
      entries[6] = edit(entries[6] as AuditEntry);
      expect(verifyChain(entries)).toMatchObject({ valid: false, brokenAt: 6, entries: 6, reason: expect.stringMatching(/changed/) });
    }
  });

  it('detects an edited entry whose hash was recomputed: the next link breaks', () => {
    const entries = chain(10);
    const { hash: _h, ...rest } = entries[4] as AuditEntry;
    entries[4] = appendEntry(entries[3] ?? null, { ...rest, actor: 'mallory' });
    expect(verifyChain(entries)).toMatchObject({ valid: false, brokenAt: 5, reason: expect.stringMatching(/link/) });
  });

  it('detects a deleted entry', () => {
    const entries = chain(10);
    entries.splice(3, 1);
    expect(verifyChain(entries)).toMatchObject({ valid: false, brokenAt: 4 });
  });

  it('detects an inserted entry', () => {
    const entries = chain(10);
    const forged = appendEntry(entries[4] ?? null, { at: '2025-01-31T12:00:00Z', actor: 'mallory', action: 'user.added', subject: 'eve', payload: {} });
    entries.splice(5, 0, forged);
    expect(verifyChain(entries)).toMatchObject({ valid: false, brokenAt: 5 });
  });

  it('detects reordered entries', () => {
    const entries = chain(10);
    [entries[2], entries[3]] = [entries[3] as AuditEntry, entries[2] as AuditEntry];
    expect(verifyChain(entries)).toMatchObject({ valid: false, brokenAt: 3 });
  });

  it('detects a truncated tail only against a pinned head', () => {
    const entries = chain(10);
    const head = verifyChain(entries).head;
    expect(verifyChain(entries.slice(0, 8)).valid).toBe(true);
    expect(verifyChain(entries.slice(0, 8), { expectedHead: head })).toMatchObject({ valid: false, reason: expect.stringMatching(/end/) });
  });

  it('verifies an exported slice against the entry before it', () => {
    const entries = chain(10);
    const before = entries[4] as AuditEntry;
    expect(verifyChain(entries.slice(5), { from: { seq: before.seq, hash: before.hash } }).valid).toBe(true);
    expect(verifyChain(entries.slice(6), { from: { seq: before.seq, hash: before.hash } }).valid).toBe(false);
  });

  it('refuses malformed drafts instead of hashing them', () => {
    const draft: AuditDraft = { at: 'yesterday', actor: 'a', action: 'b', subject: 'c', payload: {} };
    expect(() => appendEntry(null, draft)).toThrow(/ISO-8601/);
    expect(() => appendEntry(null, { ...draft, at: '2025-01-31T12:00:00Z', payload: { x: Number.NaN } })).toThrow(/finite/);
  });

  it('catches any single-entry change, in any position (property)', () => {
    const entries = chain(12);
    fc.assert(
      fc.property(fc.nat({ max: 11 }), fc.string({ minLength: 1 }), (i, subject) => {
        const copy = [...entries];
        const target = copy[i] as AuditEntry;
        if (target.subject === subject) return;
        copy[i] = { ...target, subject };
        expect(verifyChain(copy)).toMatchObject({ valid: false, brokenAt: i });
      }),
    );
  });
});
