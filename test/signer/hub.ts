// Test parts for signer nodes: an in-memory hub between a session's parties, and a node's gate in its own folder,
// registered and pinned by its custodian's device.
import { randomBytes } from '@noble/hashes/utils.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hostAnchorStatement, type GenesisRecord } from '../../crypto/governance';
import { BROADCAST } from '../../crypto/frost/types';
import type { PartyChannel } from '../../main/mpc-host/ceremonies/sign-party';
import type { DkgPool } from '../../main/mpc-host/dkg-pool';
import { SignerGate } from '../../main/mpc-host/signer-gate';
import { headOf } from '../../main/store/log-head';
import type { Harness, Person } from '../vault/helpers';

const PATH = "m/44'/60'/0'/0/0";

/** In-memory delivery between the parties of one session, each with its own copy of every message. */
export function hub<M extends { to: string }>(members: readonly string[]) {
  const boxes = new Map(members.map((m) => [m, { queue: [] as M[], waiting: [] as ((m: M) => void)[] }]));
  const deliver = (to: string, m: M) => {
    const box = boxes.get(to);
    if (box === undefined) throw new Error(`no member ${to}`);
    const copy = structuredClone(m);
    const w = box.waiting.shift();
    if (w) w(copy);
    else box.queue.push(copy);
  };
  const sent: M[] = [];
  return {
    sent,
    channel(self: string): PartyChannel<M> {
      return {
        send: async (messages) => {
          for (const m of messages) {
            sent.push(structuredClone(m));
            if (m.to === BROADCAST) for (const other of members) if (other !== self) deliver(other, m);
            if (m.to !== BROADCAST) deliver(m.to, m);
          }
        },
        receive: () => {
          const box = boxes.get(self)!;
          const next = box.queue.shift();
          return next ? Promise.resolve(next) : new Promise((resolve) => box.waiting.push(resolve));
        },
      };
    },
  };
}

const key = () => '0x' + Buffer.from(randomBytes(32)).toString('hex');

/** Signer node gates in their own temp folders; `close` removes the folders. */
export function nodes(h: Harness & { records(): string[] }, pool: DkgPool) {
  const dirs: string[] = [];
  return {
    /** A node's gate, registered by `who`'s device in the log and pinned by it to the vault's genesis. */
    async make(who: Person): Promise<SignerGate> {
      const dir = mkdtempSync(path.join(tmpdir(), `custos-node-${who}-`));
      dirs.push(dir);
      const gate = new SignerGate({ dataDir: dir, now: () => Date.now(), rng: randomBytes, monotonic: () => performance.now(), pause: () => Promise.resolve(), dkgPool: pool });
      const hostId = gate.status().hostId;
      // The custodian's device registers the node (its transport keys are the relay's business; any distinct ones here).
      await h.vault.registerNode({ nodeId: hostId, signingKey: key(), hpkeKey: key(), deviceId: h.device[who] });
      const state = h.vault.readState();
      const records = h.records();
      const me = state.users.find((u) => u.name.toLowerCase() === who)!;
      const genesisAddress = (JSON.parse(records[0]!) as GenesisRecord).admin.identityAddress;
      const a = { vaultId: state.vaultId, vaultName: state.vaultName, genesisAddress };
      const signature = await h.vault.signOnDevice(h.device[who], PATH, hostAnchorStatement({ ...a, hostId }), me.identityAddress);
      await gate.pinAnchor({ ...a, confirmedBy: me.identityAddress, signature, records });
      return gate;
    },
    /** Gives each gate the records it lacks, as its follower of the team log would. */
    async sync(...gates: SignerGate[]): Promise<void> {
      const records = h.records();
      const head = headOf(h.store.records.all()).fingerprint;
      for (const g of gates) await g.sync({ fromSeq: 0, records, head });
    },
    close(): void {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}
