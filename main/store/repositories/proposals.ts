// Proposals and the decisions on them (a projection of the signed records).
import type Database from 'better-sqlite3';
import type { Action, Decision, ProposalState, ProposalStatus } from '../../../crypto/governance';
import type { ProposalChange } from '../../../crypto/statements';
import { fromJson, toJson } from './json';

export interface ProposalRepository {
  list(): ProposalState[];
  /** Writes the proposal and replaces its decisions. */
  save(proposal: ProposalState): void;
}

interface Row {
  id: string;
  seq: number;
  proposer_id: string;
  action: string;
  change: string;
  digest: string;
  created_at: string;
  status: string;
  closed_at_seq: number | null;
  reason: string | null;
}

export function proposalRepository(db: Database.Database): ProposalRepository {
  const selectAll = db.prepare('SELECT * FROM proposals ORDER BY id');
  const selectDecisions = db.prepare('SELECT proposal_id, user_id, kind, seq FROM proposal_decisions ORDER BY seq, user_id');
  const upsert = db.prepare(`
    INSERT INTO proposals (id, seq, proposer_id, action, change, digest, created_at, status, closed_at_seq, reason)
    VALUES (@id, @seq, @proposerId, @action, @change, @digest, @createdAt, @status, @closedAtSeq, @reason)
    ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, proposer_id = excluded.proposer_id, action = excluded.action,
      change = excluded.change, digest = excluded.digest, created_at = excluded.created_at, status = excluded.status,
      closed_at_seq = excluded.closed_at_seq, reason = excluded.reason`);
  const clearDecisions = db.prepare('DELETE FROM proposal_decisions WHERE proposal_id = ?');
  const addDecision = db.prepare('INSERT INTO proposal_decisions (proposal_id, user_id, kind, seq) VALUES (?, ?, ?, ?)');
  return {
    list() {
      const decisions = new Map<string, { approvals: Decision[]; rejections: Decision[] }>();
      for (const d of selectDecisions.all() as { proposal_id: string; user_id: string; kind: string; seq: number }[]) {
        const entry = decisions.get(d.proposal_id) ?? { approvals: [], rejections: [] };
        (d.kind === 'approval' ? entry.approvals : entry.rejections).push({ userId: d.user_id, seq: d.seq });
        decisions.set(d.proposal_id, entry);
      }
      return (selectAll.all() as Row[]).map((r): ProposalState => {
        const ds = decisions.get(r.id) ?? { approvals: [], rejections: [] };
        return {
          id: r.id,
          seq: r.seq,
          proposerId: r.proposer_id,
          action: fromJson<Action>(r.action, `action of proposal ${r.id}`),
          createdAt: r.created_at,
          digest: r.digest,
          change: fromJson<ProposalChange>(r.change, `change of proposal ${r.id}`),
          status: r.status as ProposalStatus,
          approvals: ds.approvals,
          rejections: ds.rejections,
          ...(r.closed_at_seq === null ? {} : { closedAtSeq: r.closed_at_seq }),
          ...(r.reason === null ? {} : { reason: r.reason }),
        };
      });
    },
    save(p) {
      upsert.run({
        id: p.id,
        seq: p.seq,
        proposerId: p.proposerId,
        action: toJson(p.action),
        change: toJson(p.change),
        digest: p.digest,
        createdAt: p.createdAt,
        status: p.status,
        closedAtSeq: p.closedAtSeq ?? null,
        reason: p.reason ?? null,
      });
      clearDecisions.run(p.id);
      for (const d of p.approvals) addDecision.run(p.id, d.userId, 'approval', d.seq);
      for (const d of p.rejections) addDecision.run(p.id, d.userId, 'rejection', d.seq);
    },
  };
}
