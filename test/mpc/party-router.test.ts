// The in-memory transport: broadcasts reach every other member, direct messages one, each a copy; secrets are wiped after delivery.
import { describe, expect, it } from 'vitest';
import { BROADCAST } from '../../crypto/frost/types';
import { PartyRouter, type Member } from '../../main/mpc-host/party-router';

type Msg = { from: string; to: string; kind: 'hello' | 'secret' | 'reply'; bytes: Uint8Array };

function recorder(id: string, answer?: (m: Msg) => Msg[]): Member<Msg> & { got: Msg[] } {
  const got: Msg[] = [];
  return { id, got, receive: (m) => (got.push(m), answer ? answer(m) : []) };
}

describe('PartyRouter', () => {
  it('delivers a broadcast to every member but its sender, and a direct message to its recipient only', async () => {
    const [a, b, c] = [recorder('a'), recorder('b', (m) => (m.kind === 'hello' ? [{ from: 'b', to: 'a', kind: 'reply', bytes: new Uint8Array([9]) }] : [])), recorder('c')];
    const t = new PartyRouter<Msg>([a, b, c]);
    t.post([{ from: 'a', to: BROADCAST, kind: 'hello', bytes: new Uint8Array([1]) }]);
    expect(t.pending).toBe(2);
    const next = await t.deliver();
    expect(a.got).toEqual([]);
    expect(b.got.map((m) => m.kind)).toEqual(['hello']);
    expect(c.got.map((m) => m.kind)).toEqual(['hello']);
    expect(next).toEqual([{ from: 'b', to: 'a', kind: 'reply', bytes: new Uint8Array([9]) }]);
    t.post(next);
    await t.deliver();
    expect(a.got.map((m) => m.kind)).toEqual(['reply']);
    expect(c.got).toHaveLength(1);
  });

  it('hands each recipient its own copy, so nobody can change what another party sent or received', async () => {
    const b = recorder('b', (m) => (m.bytes.fill(0xee), []));
    const c = recorder('c');
    const t = new PartyRouter<Msg>([recorder('a'), b, c]);
    const sent: Msg = { from: 'a', to: BROADCAST, kind: 'hello', bytes: new Uint8Array([1, 2]) };
    t.post([sent]);
    await t.deliver();
    expect(sent.bytes).toEqual(new Uint8Array([1, 2]));
    expect(c.got[0]!.bytes).toEqual(new Uint8Array([1, 2]));
  });

  it('wipes the secret fields of a direct message in the sender\'s original and in the delivered copy', async () => {
    let kept: Uint8Array | null = null;
    const b = recorder('b', (m) => ((kept = m.bytes.slice()), []));
    const t = new PartyRouter<Msg>([recorder('a'), b], { secretFields: (m) => (m.kind === 'secret' ? [m.bytes] : []) });
    const sent: Msg = { from: 'a', to: 'b', kind: 'secret', bytes: new Uint8Array([7, 7, 7]) };
    t.post([sent]);
    expect(sent.bytes).toEqual(new Uint8Array(3));
    await t.deliver();
    expect(kept).toEqual(new Uint8Array([7, 7, 7]));
    expect(b.got[0]!.bytes).toEqual(new Uint8Array(3));
  });

  it('wipes the undelivered rest of a batch when a member throws, and refuses strangers', async () => {
    const boom = recorder('b', () => {
      throw new Error('bad message');
    });
    const c = recorder('c');
    const t = new PartyRouter<Msg>([recorder('a'), boom, c], { secretFields: (m) => [m.bytes] });
    t.post([
      { from: 'a', to: 'b', kind: 'secret', bytes: new Uint8Array([1]) },
      { from: 'a', to: 'c', kind: 'secret', bytes: new Uint8Array([2]) },
    ]);
    await expect(t.deliver()).rejects.toThrow(/bad message/);
    expect(c.got).toEqual([]);
    expect(() => t.post([{ from: 'a', to: 'z', kind: 'hello', bytes: new Uint8Array(1) }])).toThrow(/not a member/);
    expect(() => t.post([{ from: 'z', to: 'a', kind: 'hello', bytes: new Uint8Array(1) }])).toThrow(/not a member/);
    expect(() => new PartyRouter<Msg>([recorder('a'), recorder('a')])).toThrow(/same id/);
  });
});
