// The users' registered signer nodes over a store's state. The store's projection tables do not carry them, so a state
// read back from the projection (after another process wrote) has none: they are taken here from the node-key records
// of the log, which the vault's integrity check has replayed with every signature and rule.
import type { GovernanceState, NodeKeyRecord } from '../../crypto/governance';
import type { Store } from '../store';

/** `state` with each user's latest node registration in the log (a new registration replaces the user's last, as in replay). */
export function withRegisteredNodes(state: GovernanceState, store: Store): GovernanceState {
  const latest = new Map<string, NodeKeyRecord>();
  for (const r of store.records.iterate()) {
    // Canonical JSON: a node-key record carries this exact member; others are not parsed.
    if (!r.body.includes('"type":"node-key"')) continue;
    const record = JSON.parse(r.body) as NodeKeyRecord;
    if (record.type === 'node-key') latest.set(record.userId, record);
  }
  if (latest.size === 0) return state;
  return {
    ...state,
    users: state.users.map((u) => {
      const r = latest.get(u.id);
      return r === undefined ? u : { ...u, node: { nodeId: r.nodeId, signingKey: r.signingKey, hpkeKey: r.hpkeKey, seq: r.seq } };
    }),
  };
}
