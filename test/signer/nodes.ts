// Test parts for signer nodes: real node folders (gate journal, transport keys) registered and pinned by their
// custodian's device, and relay sessions over a real nats-server with the directory the log gives.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from '@noble/hashes/utils.js';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { hostAnchorStatement, type GenesisRecord } from '../../crypto/governance';
import type { DkgPool } from '../../main/mpc-host/dkg-pool';
import { SignerGate, type RunParty } from '../../main/mpc-host/signer-gate';
import { NatsRelayTransport, RelaySession, type RelayEvent } from '../../main/relay';
import { transportDirectory } from '../../main/signer/directory';
import { gateFolderOf, openNodeKeys, type NodeKeys } from '../../main/signer/node-keys';
import { headOf } from '../../main/store/log-head';
import type { Harness, Person } from '../vault/helpers';

const PATH = "m/44'/60'/0'/0/0";

export interface TestNode {
  who: Person;
  gate: SignerGate;
  keys: NodeKeys;
}

/** Signer nodes in their own temp folders; `close` removes them and their relay connections. */
export function nodes(h: Harness & { records(): string[] }, pool: DkgPool, natsUrl: string) {
  const dirs: string[] = [];
  const connections: NatsConnection[] = [];
  const api = {
    /** A node folder for `who`: keys made, registered by their device in the log, gate pinned by it to the genesis. */
    async make(who: Person): Promise<TestNode> {
      const dir = mkdtempSync(path.join(tmpdir(), `custos-node-${who}-`));
      dirs.push(dir);
      const keys = openNodeKeys(dir);
      const gate = new SignerGate({ dataDir: gateFolderOf(dir), now: () => Date.now(), rng: randomBytes, monotonic: () => performance.now(), pause: () => Promise.resolve(), dkgPool: pool });
      await h.vault.registerNode({ nodeId: keys.nodeId, signingKey: keys.signingKey, hpkeKey: keys.hpkeKey, deviceId: h.device[who] });
      const state = h.vault.readState();
      const records = h.records();
      const me = state.users.find((u) => u.name.toLowerCase() === who)!;
      const genesisAddress = (JSON.parse(records[0]!) as GenesisRecord).admin.identityAddress;
      const a = { vaultId: state.vaultId, vaultName: state.vaultName, genesisAddress };
      const signature = await h.vault.signOnDevice(h.device[who], PATH, hostAnchorStatement({ ...a, hostId: keys.nodeId }), me.identityAddress);
      await gate.pinAnchor({ ...a, confirmedBy: me.identityAddress, signature, records });
      return { who, gate, keys };
    },
    /** Gives each gate the records it lacks, as its follower of the team log would. */
    async sync(...gates: SignerGate[]): Promise<void> {
      const records = h.records();
      const head = headOf(h.store.records.all()).fingerprint;
      for (const g of gates) await g.sync({ fromSeq: 0, records, head });
    },
    /** The log's head: what every party of a session must hold. */
    head(): { seq: number; fingerprint: string } {
      const records = h.store.records.all();
      return { seq: records.length - 1, fingerprint: headOf(records).fingerprint };
    },
    /**
     * How `node` runs its party: a relay session over its own connection to the real server, with the directory of the
     * log's registered nodes (`coordinator` the user who coordinates, if any) and the log head as the session's context.
     */
    async relay(keys: NodeKeys, coordinator: string | null, events: RelayEvent[] = []): Promise<RunParty> {
      const nc = await connect({ servers: natsUrl, reconnect: false });
      connections.push(nc);
      const transport = new NatsRelayTransport(nc);
      const directory = transportDirectory(h.vault.readState(), coordinator);
      const context = api.head().fingerprint;
      return async (driver) => {
        const session = new RelaySession({ vaultId: h.vault.readState().vaultId, keys: keys.transport, directory, transport, driver, expiresAt: Date.now() + 30_000, resendMs: 200, context, onEvent: (e) => events.push(e) });
        try {
          return (await session.run()).result;
        } finally {
          await session.close();
        }
      };
    },
    async close(): Promise<void> {
      for (const nc of connections) await nc.drain().catch(() => undefined);
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
  return api;
}
