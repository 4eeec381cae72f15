// main does not take the host's word: a host (here in process, with a tamper hook) that lies about shares, keys or signatures is refused.
import { randomBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { CustosError } from '../../main/errors';
import { MpcHostClient, type CeremonyProgress } from '../../main/mpc/client';
import type { HostLauncher } from '../../main/mpc/launcher';
import { CeremonyService } from '../../main/mpc-host/ceremony-service';
import { PROTOCOL_VERSION, isCeremonyRequest, parseHostRequest, type HostReply } from '../../main/mpc-host/protocol';
import { custodians, dkgParams, message, reshareParams, signParams } from './ceremony-helpers';

/** A host in this process: the real service, its replies passed through `tamper` on their way to the client. */
function inProcessLauncher(tamper: (reply: HostReply) => HostReply): HostLauncher {
  return {
    kind: 'node',
    launch() {
      let listener: (m: unknown) => void = () => {};
      const service = new CeremonyService({ post: (r) => listener(tamper(structuredClone(r))), warn: () => {}, rng: randomBytes, now: () => performance.now() });
      setImmediate(() => listener({ v: PROTOCOL_VERSION, id: 'host-ready', type: 'ready', protocolVersion: PROTOCOL_VERSION, hostVersion: 'test', pid: 1 }));
      return {
        pid: 1,
        postMessage: (m) => {
          const parsed = parseHostRequest(m);
          if (parsed.ok && isCeremonyRequest(parsed.value)) service.submit(parsed.value);
        },
        onMessage: (l) => (listener = l),
        onExit: () => {},
        kill: () => service.stop(),
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

describe('MpcHostClient checks what the host answers', () => {
  const people = custodians(3);

  it('accepts an honest host and passes its progress on (a throwing listener does not break the call)', async () => {
    const client = new MpcHostClient({ launcher: inProcessLauncher((r) => r) });
    const seen: CeremonyProgress[] = [];
    const dkg = await client.runDkg(dkgParams(2, people), {
      onProgress: (p) => {
        seen.push(p);
        throw new Error('listener bug');
      },
    });
    expect(dkg.shares).toHaveLength(3);
    expect(seen.length).toBeGreaterThanOrEqual(4);
  });

  it('refuses shares swapped between parties (each must be sealed to its own device)', async () => {
    const client = new MpcHostClient({
      launcher: inProcessLauncher((r) => {
        if (r.type === 'dkg.done') [r.shares[0]!.sealed, r.shares[1]!.sealed] = [r.shares[1]!.sealed, r.shares[0]!.sealed];
        return r;
      }),
    });
    const err = await rejection(client.runDkg(dkgParams(2, people)));
    expect(err.code).toBe('MPC_PROTOCOL');
    expect(err.message).toMatch(/is not sealed to that party's device/);
  });

  it('refuses a share missing, a key for other parties, and a key that does not hold together', async () => {
    const drop = new MpcHostClient({ launcher: inProcessLauncher((r) => (r.type === 'dkg.done' && r.shares.pop(), r)) });
    expect((await rejection(drop.runDkg(dkgParams(2, people)))).message).toMatch(/shares for other parties than the 3 asked for/);
    const lying = new MpcHostClient({
      launcher: inProcessLauncher((r) => {
        if (r.type === 'dkg.done') r.groupKey.outputKey = r.groupKey.internalKey;
        return r;
      }),
    });
    expect((await rejection(lying.runDkg(dkgParams(2, people)))).message).toMatch(/group key the host returned does not hold together/);
  });

  it('refuses a signature that does not verify under the key main derives itself', async () => {
    const honest = new MpcHostClient({ launcher: inProcessLauncher((r) => r) });
    const dkg = await honest.runDkg(dkgParams(2, people));
    const [m1, m2] = [message('one'), message('two')];
    const client = new MpcHostClient({
      launcher: inProcessLauncher((r) => {
        // The signatures of the right key, for the messages in the wrong order.
        if (r.type === 'sign.done') r.signatures.reverse();
        return r;
      }),
    });
    const err = await rejection(client.sign(signParams(dkg, people.slice(0, 2), [m1, m2], [0, 1])));
    expect(err.message).toMatch(/signature 0 does not verify under the wallet's key/);
  });

  it('refuses a reshare whose key changed', async () => {
    const honest = new MpcHostClient({ launcher: inProcessLauncher((r) => r) });
    const dkg = await honest.runDkg(dkgParams(2, people));
    const client = new MpcHostClient({
      launcher: inProcessLauncher((r) => {
        if (r.type === 'reshare.done') r.groupKey.chainCode = 'ab'.repeat(32);
        return r;
      }),
    });
    const err = await rejection(client.reshare(reshareParams({ ...dkg, fromKeyVersion: 1 }, 'refresh', people, people, 2)));
    expect(err.message).toMatch(/refresh .* does not hold: the wallet key changed/);
  });
});
