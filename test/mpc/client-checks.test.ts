// main does not take the host's word: a host (here in process, running the real ceremony code, with a tamper hook) that
// lies about shares, keys or which request it signed is refused.
import { randomBytes } from '@noble/hashes/utils.js';
import { afterAll, describe, expect, it } from 'vitest';
import { CustosError } from '../../main/errors';
import type { ExpectedKey } from '../../main/mpc/ceremony-checks';
import { MpcHostClient, type CeremonyProgress } from '../../main/mpc/client';
import type { HostLauncher } from '../../main/mpc/launcher';
import { runDkg, type DkgOutcome } from '../../main/mpc-host/ceremonies/dkg';
import { DkgPool } from '../../main/mpc-host/dkg-pool';
import { runReshare } from '../../main/mpc-host/ceremonies/reshare';
import { PROTOCOL_VERSION, parseHostRequest, type HostReply } from '../../main/mpc-host/protocol';
import { SEALED_SHARE_BYTES, groupKeyToWire, sealedShareToWire } from '../../main/mpc-host/wire';

import { custodians, dkgParams, reshareParams, type Custodian } from './ceremony-helpers';

const people = custodians(3);

/**
 * A host in this process: it runs the real ceremony code among `people` (it pins no log: it stands in for a host that
 * answers whatever it likes), and passes each reply through `tamper` on its way to the client.
 */
const dkgPool = new DkgPool({ threads: 2 });
afterAll(() => dkgPool.close());

function inProcessLauncher(tamper: (reply: HostReply) => HostReply, key?: DkgOutcome): HostLauncher {
  return {
    kind: 'node',
    launch() {
      let listener: (m: unknown) => void = () => {};
      const post = (r: HostReply) => listener(tamper(structuredClone(r)));
      setImmediate(() => listener({ v: PROTOCOL_VERSION, id: 'host-ready', type: 'ready', protocolVersion: PROTOCOL_VERSION, hostVersion: 'test', pid: 1 }));
      return {
        pid: 1,
        postMessage: (m) => {
          const parsed = parseHostRequest(m);
          if (!parsed.ok) return;
          const r = parsed.value;
          const env = { rng: randomBytes, dkgPool, progress: (p: { step: 'round1'; done: number; total: number }) => post({ v: PROTOCOL_VERSION, id: r.id, type: 'progress', ceremonyId: 'ceremonyId' in r ? r.ceremonyId : 'x', ...p }) };
          if (r.type === 'signer.status') {
            // The client asks where the host's log ends before it sends a tail of it.
            post({ v: PROTOCOL_VERSION, id: r.id, type: 'signer.state', hostId: '0'.repeat(16), anchor: null, pinnedSeq: -1, problem: null, notice: null });
          } else if (r.type === 'wallet.keygen') {
            void runDkg({ ...dkgParams(2, people), ceremonyId: r.ceremonyId, walletId: r.walletId }, env as never).then((out) =>
              post({ v: PROTOCOL_VERSION, id: r.id, type: 'wallet.keyed', ceremonyId: r.ceremonyId, walletId: r.walletId, ceremony: 'dkg', keyVersion: 1, groupKey: groupKeyToWire(out.groupKey), shares: out.shares.map(sealedShareToWire) }),
            );
          } else if (r.type === 'wallet.reshare' && key !== undefined) {
            void runReshare({ ...reshareParams({ ...key, fromKeyVersion: 1 }, 'refresh', people, people, 2), ceremonyId: r.ceremonyId, walletId: r.walletId }, env as never).then((out) =>
              post({ v: PROTOCOL_VERSION, id: r.id, type: 'wallet.keyed', ceremonyId: r.ceremonyId, walletId: r.walletId, ceremony: 'refresh', keyVersion: 2, groupKey: groupKeyToWire(out.groupKey), shares: out.shares.map(sealedShareToWire) }),
            );
          } else if (r.type === 'transfer.sign') {
            post({ v: PROTOCOL_VERSION, id: r.id, type: 'transfer.signed', ceremonyId: r.ceremonyId, requestId: r.requestId, ruleId: 'any', signatures: [{ index: 0, signature: '00'.repeat(64) }] });
          }
        },
        onMessage: (l) => (listener = l),
        onExit: () => {},
        kill: () => {},
      };
    },
  };
}

const rejection = async (promise: Promise<unknown>): Promise<CustosError> => {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(CustosError);
    return err as CustosError;
  }
  throw new Error('expected a rejection');
};

const expected = (ceremonyId: string, who: Custodian[] = people, over: Partial<ExpectedKey> = {}): ExpectedKey => ({
  ceremonyId,
  walletId: 'w-test',
  ceremony: 'dkg',
  keyVersion: 1,
  threshold: 2,
  receivers: who.map((c) => ({ partyId: c.partyId, encryptionKey: c.device.encryptionKey })),
  current: null,
  ...over,
});
/** Well-formed parties bringing shares: the in-process host never opens them, it only needs requests that parse. */
const bringing = people.slice(0, 2).map((c) => ({ partyId: c.partyId, sealed: new Uint8Array(SEALED_SHARE_BYTES).fill(0xab), unsealSecret: new Uint8Array(32).fill(0xcd), useSignature: '0x' + '11'.repeat(65) }));
const keygen = (client: MpcHostClient, id: string, exp = expected(id), options = {}) =>
  client.keygen({ ceremonyId: id, walletId: 'w-test', records: ['{}'], parties: people.map((c) => ({ partyId: c.partyId, useSignature: '0x' + '11'.repeat(65) })) }, exp, options);

describe('MpcHostClient checks what the host answers', () => {
  it('accepts an honest host and passes its progress on (a throwing listener does not break the call)', async () => {
    const client = new MpcHostClient({ launcher: inProcessLauncher((r) => r) });
    const seen: CeremonyProgress[] = [];
    const out = await keygen(client, 'c-honest', undefined, {
      onProgress: (p: CeremonyProgress) => {
        seen.push(p);
        throw new Error('listener bug');
      },
    });
    expect(out.shares).toHaveLength(3);
    expect(seen.length).toBeGreaterThanOrEqual(4);
  });

  it('refuses shares swapped between parties (each must be sealed to its own device)', async () => {
    const client = new MpcHostClient({
      launcher: inProcessLauncher((r) => {
        if (r.type === 'wallet.keyed') [r.shares[0]!.sealed, r.shares[1]!.sealed] = [r.shares[1]!.sealed, r.shares[0]!.sealed];
        return r;
      }),
    });
    const err = await rejection(keygen(client, 'c-swap'));
    expect(err.code).toBe('MPC_PROTOCOL');
    expect(err.message).toMatch(/is not sealed to that party's device/);
  });

  it('refuses a share missing, a key for other parties or versions, another ceremony, and a key that does not hold together', async () => {
    const drop = new MpcHostClient({ launcher: inProcessLauncher((r) => (r.type === 'wallet.keyed' && r.shares.pop(), r)) });
    expect((await rejection(keygen(drop, 'c-drop'))).message).toMatch(/shares for other parties than the 3 asked for/);
    const honest = new MpcHostClient({ launcher: inProcessLauncher((r) => r) });
    expect((await rejection(keygen(honest, 'c-others', expected('c-others', custodians(3, 'x'))))).message).toMatch(/names other parties/);
    expect((await rejection(keygen(honest, 'c-version', expected('c-version', people, { keyVersion: 2 })))).message).toMatch(/made key version 1, not 2/);
    const renamed = new MpcHostClient({ launcher: inProcessLauncher((r) => (r.type === 'wallet.keyed' ? { ...r, walletId: 'w-other' } : r)) });
    expect((await rejection(keygen(renamed, 'c-wallet'))).message).toMatch(/answers a dkg of wallet w-other/);
    const lying = new MpcHostClient({
      launcher: inProcessLauncher((r) => {
        if (r.type === 'wallet.keyed') r.groupKey.outputKey = r.groupKey.internalKey;
        return r;
      }),
    });
    expect((await rejection(keygen(lying, 'c-lie'))).message).toMatch(/group key the host returned does not hold together/);
  });

  it('refuses a refresh whose key changed', async () => {
    const key = await runDkg(dkgParams(2, people), { rng: randomBytes, dkgPool });
    const client = new MpcHostClient({
      launcher: inProcessLauncher((r) => {
        if (r.type === 'wallet.keyed') r.groupKey.chainCode = 'ab'.repeat(32);
        return r;
      }, key),
    });
    const exp = expected('c-refresh', people, { ceremony: 'refresh', keyVersion: 2, current: key.groupKey });
    const err = await rejection(client.reshare({ ceremonyId: 'c-refresh', walletId: 'w-test', records: ['{}'], dealers: bringing }, exp));
    expect(err.message).toMatch(/refresh .* does not hold: the wallet key changed/);
  });

  it('refuses signatures said to be for another request than the one asked', async () => {
    const client = new MpcHostClient({ launcher: inProcessLauncher((r) => (r.type === 'transfer.signed' ? { ...r, requestId: 'R-999' } : r)) });
    const err = await rejection(client.signTransfer({ ceremonyId: 'c-s', requestId: 'R-1', records: ['{}'], signers: bringing }));
    expect(err.message).toMatch(/answered for request R-999, not R-1/);
  });
});
