// Consoles of one team for tests: each its own data folder, SQLite file, vault service and virtual Ledgers (prompts
// counted), joined to a real nats-server's stream.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DeviceManager } from '../../main/devices/manager';
import { Store } from '../../main/store';
import { connectTeam } from '../../main/team/connection';
import { attachFromSettings, joinTeam, type JoinResult, type TeamSession } from '../../main/team/team';
import type { TeamTls } from '../../main/team/settings';
import { TeamStream } from '../../main/team/stream';
import { VaultService } from '../../main/vault';
import { PHRASES, type Person } from '../vault/helpers';
import type { NatsServer, NatsUser } from './nats-server';

export interface TeamConsole {
  readonly name: string;
  readonly dir: string;
  store: Store;
  vault: VaultService;
  readonly devices: DeviceManager;
  readonly device: Partial<Record<Person, string>>;
  /** Screens each device showed (each a statement its person signed). */
  readonly prompts: Partial<Record<Person, number>>;
  session: TeamSession | null;
  join(server: NatsServer, user: NatsUser | null, pin?: { vaultId: string; genesisAddress: string }, tls?: TeamTls): Promise<JoinResult>;
  /** Attaches from the data folder's team settings (what a restart does). */
  attach(): void;
  signatures(): number;
  close(): Promise<void>;
}

export const CHECKPOINT_EVERY = 50;

export function teamConsole(name: string, people: readonly Person[]): TeamConsole {
  const dir = mkdtempSync(path.join(tmpdir(), `custos-team-${name}-`));
  const devices = new DeviceManager();
  const device: Partial<Record<Person, string>> = {};
  const prompts: Partial<Record<Person, number>> = {};
  for (const person of people) {
    const { device: d, ledger } = devices.addVirtual({ label: person, mnemonic: PHRASES[person] });
    device[person] = d.id;
    prompts[person] = 0;
    ledger.screen.setResponder(() => {
      prompts[person] = (prompts[person] ?? 0) + 1;
      return 'approve';
    });
  }
  const store = Store.open(dir);
  const c: TeamConsole = {
    name,
    dir,
    store,
    // Checkpoints every 50 records, so adopting a long run of records writes some (and the full check compares them).
    vault: new VaultService({ store, devices, checkpointInterval: CHECKPOINT_EVERY }),
    devices,
    device,
    prompts,
    session: null,
    async join(server, user, pin, tls) {
      return joinTeam(dir, c.store, c.vault, {
        servers: [server.url],
        user: user?.user ?? null,
        password: user?.password ?? null,
        tls: tls ?? null,
        ...(pin === undefined ? {} : { vaultId: pin.vaultId, genesisAddress: pin.genesisAddress }),
      });
    },
    attach() {
      c.session = attachFromSettings(dir, c.vault);
    },
    signatures: () => Object.values(prompts).reduce((a, b) => a + (b ?? 0), 0),
    async close() {
      await c.session?.close();
      c.vault.close();
      c.store.close();
      await devices.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return c;
}

/** Founds "Treasury" on `c` (Alice, with Bob and Carol as administrators; quorum 2): every device on this one console. */
export async function foundVault(c: TeamConsole): Promise<{ vaultId: string; genesisAddress: string }> {
  const summary = await c.vault.create({ name: 'Treasury', adminName: 'Alice', deviceId: need(c, 'alice') });
  await c.vault.proposeUser({ name: 'Bob', roles: ['administrator'], newUserDeviceId: need(c, 'bob'), deviceId: need(c, 'alice') });
  await c.vault.proposeUser({ name: 'Carol', roles: ['administrator'], newUserDeviceId: need(c, 'carol'), deviceId: need(c, 'alice') });
  await c.vault.proposeQuorum({ quorum: 2, deviceId: need(c, 'alice') });
  const alice = c.vault.listUsers().find((u) => u.name === 'Alice');
  return { vaultId: summary.vaultId, genesisAddress: alice?.address ?? '' };
}

/** The stream made by the server's administrator user (consoles may not create streams). */
export async function createStream(server: NatsServer, admin: NatsUser | null, vaultId: string, tls?: TeamTls): Promise<void> {
  const nc = await connectTeam({ servers: [server.url], user: admin?.user ?? null, password: admin?.password ?? null, tls: tls ?? null });
  try {
    await TeamStream.open(nc, vaultId, { create: true, user: admin?.user ?? null });
  } finally {
    await nc.close();
  }
}

export function need(c: TeamConsole, person: Person): string {
  const id = c.device[person];
  if (id === undefined) throw new Error(`${person}'s device is not on console ${c.name}`);
  return id;
}

export const userIdOf = (c: TeamConsole, name: string): string => {
  const u = c.vault.listUsers().find((x) => x.name === name);
  if (u === undefined) throw new Error(`no user ${name}`);
  return u.id;
};
