// The wallet's signed history worked out from the last one read equals reading every transfer, whatever replay changed.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GovernanceState, TransferState } from '../../crypto/governance/index.js';
import { signedHistory } from '../../crypto/transfers/decision.js';

/** Only what signedHistory reads of a transfer. */
function transfer(id: string, walletId: string, signedAt: number | null): TransferState {
  return {
    id,
    request: { walletId, amount: String(1000 + id.length) },
    signed: signedAt === null ? null : { ruleId: 'r', at: new Date(signedAt).toISOString() },
  } as unknown as TransferState;
}

const stateOf = (transfers: readonly TransferState[]) => ({ transfers }) as unknown as GovernanceState;

function naive(transfers: readonly TransferState[], walletId: string) {
  return transfers
    .filter((t) => t.request.walletId === walletId && t.signed !== null)
    .map((t) => ({ requestId: t.id, signedAt: Date.parse((t.signed as { at: string }).at) }))
    .sort((a, b) => (a.requestId < b.requestId ? -1 : 1));
}

const step = fc.oneof(
  fc.record({ kind: fc.constant('sign' as const), at: fc.nat(), when: fc.nat(1_000_000) }),
  fc.record({ kind: fc.constant('insert' as const), id: fc.string({ minLength: 1, maxLength: 4 }), wallet: fc.constantFrom('w1', 'w2'), signed: fc.boolean() }),
  fc.record({ kind: fc.constant('elsewhere' as const) }),
);

describe('signedHistory', () => {
  it('after any sequence of replacements and sorted insertions (as replay makes them), or an unrelated list, equals a full read', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 30 }), (steps) => {
        let list: TransferState[] = [transfer('m', 'w1', 5), transfer('q', 'w2', null)];
        for (const s of steps) {
          // Replay's way: a new array each time, entities replaced (never changed), ids kept sorted.
          const next = [...list];
          if (s.kind === 'sign' && next.length > 0) {
            const i = s.at % next.length;
            const t = next[i] as TransferState;
            next[i] = transfer(t.id, t.request.walletId, s.when);
          } else if (s.kind === 'insert' && !next.some((t) => t.id === s.id)) {
            let i = 0;
            while (i < next.length && (next[i] as TransferState).id < s.id) i++;
            next.splice(i, 0, transfer(s.id, s.wallet, s.signed ? 7 : null));
          } else if (s.kind === 'elsewhere') {
            // A list read some other way: new objects, another order.
            list = next.map((t) => transfer(t.id, t.request.walletId, t.signed === null ? null : Date.parse(t.signed.at))).reverse();
            expect(naiveOf(signedHistory(stateOf(list), 'w1'))).toEqual(naive(list, 'w1'));
            continue;
          }
          list = next;
          for (const w of ['w1', 'w2']) expect(naiveOf(signedHistory(stateOf(list), w))).toEqual(naive(list, w));
        }
      }),
      { numRuns: 200 },
    );
  });
});

function naiveOf(history: readonly { requestId: string; signedAt: number }[]) {
  return history.map((h) => ({ requestId: h.requestId, signedAt: h.signedAt })).sort((a, b) => (a.requestId < b.requestId ? -1 : 1));
}
