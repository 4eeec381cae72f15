// The replay's state container: a record's changes are committed whole or undone whole, and what was handed out stays.
import { describe, expect, it } from 'vitest';
import { Working } from '../../../crypto/governance/working.js';
import type { Group } from '../../../crypto/governance/index.js';
import { standardVault } from '../fixtures.js';

const group = (id: string, name = id): Group => ({ id, name, members: [] });

describe('the working state of replay', () => {
  it('undoes a record that failed half-way: inserts removed, replacements restored, order and scalars as before', () => {
    const w = Working.fromState(standardVault().state);
    w.groups.set(group('g-b'));
    w.groups.set(group('g-d'));
    w.commit();
    const before = w.state();
    w.groups.set(group('g-c'));
    w.groups.set(group('g-b', 'renamed'));
    w.settings = { adminQuorum: 9, proposerMayApprove: true };
    w.founding = !before.founding;
    w.seq = before.seq + 1;
    w.rollback();
    expect([...w.groups.values()].map((g) => g.id)).toEqual(['g-b', 'g-d']);
    expect(w.group('g-b')?.name).toBe('g-b');
    expect(w.group('g-c')).toBeUndefined();
    expect({ seq: w.seq, settings: w.settings, founding: w.founding }).toEqual({ seq: before.seq, settings: before.settings, founding: before.founding });
    expect(w.state()).toBe(before);
  });

  it('keeps each collection sorted as records insert, and never changes an array it handed out', () => {
    const w = Working.fromState(standardVault().state);
    const handed = [];
    for (const id of ['g-5', 'g-1', 'g-9', 'g-3', 'g-1']) {
      w.groups.set(group(id, `${id}-${handed.length}`));
      const changes = w.commit();
      expect(changes.groups).toEqual([id]);
      const state = w.state();
      handed.push({ state, ids: state.groups.map((g) => `${g.id}:${g.name}`) });
    }
    expect(w.state().groups.map((g) => g.id)).toEqual(['g-1', 'g-3', 'g-5', 'g-9']);
    for (const h of handed) expect(h.state.groups.map((g) => `${g.id}:${g.name}`)).toEqual(h.ids);
  });

  it('sorts a state whose collections come out of order (a hand-made checkpoint) instead of trusting the order', () => {
    const state = standardVault().state;
    const w = Working.fromState({ ...state, groups: [group('g-2'), group('g-1')] });
    expect(w.state().groups.map((g) => g.id)).toEqual(['g-1', 'g-2']);
  });
});
