// A key ceremony's and a signing's progress as the console tells it: on a single desk the devices, MPC host and record stages; in a team one row per custodian's signer node with its last state and the rounds it answered.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NodeProgressView, WalletProgress } from '../../preload/contract';
import { summariseProgress } from '../../renderer/ceremony.js';
import { foldNodeProgress, nodeRows, nodeRowWords } from '../../renderer/node-progress.js';

const node = (custodian: string, state: NodeProgressView['state'], round: number | null = null, detail: string | null = null): NodeProgressView => ({ custodian, state, round, detail });

/** A progress event of a team's key ceremony, as main sends it (step: the node's state, or 'nodes' for the stage's own word). */
const teamEvent = (message: string, n?: NodeProgressView): WalletProgress => ({ walletId: 'w-1', ceremony: 'dkg', stage: 'nodes', step: n?.state ?? 'nodes', done: 0, total: 0, message, ...(n ? { node: n } : {}) });

const deskEvent = (stage: WalletProgress['stage'], step: string, done: number, total: number, message: string): WalletProgress => ({ walletId: 'w-1', ceremony: 'dkg', stage, step, done, total, message });

describe('summariseProgress on a single desk', () => {
  it('keeps the devices, MPC host and record stages, with the step in hand active', () => {
    const s = summariseProgress([deskEvent('devices', 'Alice', 0, 2, 'Alice: approve on your Ledger'), deskEvent('devices', 'Bob', 1, 2, 'Bob: approve on your Ledger')], true, null);
    expect(s.stages.map((x) => [x.stage, x.state])).toEqual([
      ['devices', 'active'],
      ['host', 'waiting'],
      ['record', 'waiting'],
    ]);
    expect(s.stages[0]?.steps).toEqual([
      { step: 'Alice', message: 'approve on your Ledger', state: 'done' },
      { step: 'Bob', message: 'approve on your Ledger', state: 'active' },
    ]);
  });

  it('shows the same stages before any event arrived', () => {
    expect(summariseProgress([], true, null).stages.map((x) => x.stage)).toEqual(['devices', 'host', 'record']);
  });
});

describe('summariseProgress in a team', () => {
  const run = [
    teamEvent("Alice's signer node: ready at record 12", node('Alice', 'ready', null, 'at record 12')),
    teamEvent("Bob's signer node: ready at record 12", node('Bob', 'ready', null, 'at record 12')),
    teamEvent("ceremony c-1: with Alice, Bob's signer nodes"),
    teamEvent("Alice's signer node takes part", node('Alice', 'picked')),
    teamEvent("Bob's signer node takes part", node('Bob', 'picked')),
    teamEvent("Alice's signer node accepted", node('Alice', 'accepted')),
    teamEvent("Alice's signer node answered round 1", node('Alice', 'round', 1)),
    teamEvent("Alice's signer node answered round 2", node('Alice', 'round', 2)),
  ];

  it("has the custodians' signer nodes stage and the record, not the console's devices or MPC host", () => {
    const s = summariseProgress(run, true, null);
    expect(s.stages.map((x) => [x.stage, x.label, x.state])).toEqual([
      ['nodes', "Custodians' signer nodes", 'active'],
      ['record', 'Recording the key', 'waiting'],
    ]);
  });

  it('gives one row per node with its last state and the rounds it answered, and the stage its own word', () => {
    const nodes = summariseProgress(run, true, null).stages[0]!;
    expect(nodes.steps).toEqual([
      { step: "Alice's node", message: 'Accepted; answered rounds 1, 2', state: 'active' },
      { step: "Bob's node", message: 'Takes part: waiting for its custodian to approve on their device', state: 'active' },
    ]);
    expect(nodes.note).toBe("ceremony c-1: with Alice, Bob's signer nodes");
  });

  it('marks a refusing node failed with its reason, and the run failed by its ending event', () => {
    const failed = [...run, teamEvent("Bob's signer node refused: the policy does not allow it", node('Bob', 'refused', null, 'the policy does not allow it')), { ...teamEvent('Bob refused'), stage: 'failed' as const, step: 'failed' }];
    const s = summariseProgress(failed, false, 'failed');
    expect(s.outcome).toBe('failed');
    expect(s.message).toBe('Bob refused');
    expect(s.stages[0]?.state).toBe('failed');
    expect(s.stages[0]?.steps.find((x) => x.step === "Bob's node")).toEqual({ step: "Bob's node", message: 'Refused: the policy does not allow it', state: 'failed' });
  });

  it('marks every stage and node done once the key is recorded', () => {
    const done = [...run, teamEvent('Alice attested', node('Alice', 'attested')), { ...teamEvent('Key version 1 recorded'), stage: 'done' as const, step: 'done' }];
    const s = summariseProgress(done, false, 'done');
    expect(s.stages.every((x) => x.state === 'done')).toBe(true);
    expect(s.stages[0]?.steps.map((x) => x.state)).toEqual(['done', 'done']);
    expect(s.stages[0]?.steps[0]?.message).toBe('Its custodian attested the key on their device; answered rounds 1, 2');
  });
});

describe('the signer nodes folded from progress events', () => {
  it('keeps one row per custodian, in the order first heard of, with the gate answer kept through the rounds', () => {
    const rows = nodeRows([node('Bob', 'ready', null, 'at record 3'), node('Alice', 'not-ready', null, 'no answer'), node('Bob', 'picked'), node('Bob', 'accepted'), node('Bob', 'round', 2), node('Bob', 'round', 1), node('Bob', 'round', 2)]);
    expect(rows.map((r) => r.custodian)).toEqual(['Bob', 'Alice']);
    expect(rows[0]).toEqual({ custodian: 'Bob', state: 'round', accepted: true, rounds: [1, 2], detail: null });
    expect(nodeRowWords(rows[1]!)).toBe('Not ready: no answer');
  });

  it('for any events, has exactly one row per custodian, each with the state of its last event and the distinct rounds it answered', () => {
    const custodian = fc.constantFrom('Alice', 'Bob', 'Carol');
    const state = fc.constantFrom<NodeProgressView['state']>('ready', 'not-ready', 'picked', 'accepted', 'refused', 'round', 'key', 'attested');
    const event = fc.record({ custodian, state, round: fc.option(fc.integer({ min: 1, max: 3 }), { nil: null }), detail: fc.option(fc.string(), { nil: null }) });
    fc.assert(
      fc.property(fc.array(event), (events) => {
        const rows = events.reduce(foldNodeProgress, []);
        expect(rows.map((r) => r.custodian)).toEqual([...new Set(events.map((e) => e.custodian))]);
        for (const r of rows) {
          const mine = events.filter((e) => e.custodian === r.custodian);
          expect(r.state).toBe(mine.at(-1)?.state);
          const rounds = [...new Set(mine.flatMap((e) => (e.state === 'round' && e.round !== null ? [e.round] : [])))].sort((x, y) => x - y);
          expect(r.rounds).toEqual(rounds);
          expect(typeof nodeRowWords(r)).toBe('string');
        }
      }),
    );
  });
});
