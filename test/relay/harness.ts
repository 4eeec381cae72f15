// Builds relay sessions for tests: transport keys and their directory, a FROST key made in memory, and one engine per party.
import { randomBytes } from 'node:crypto';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { COORDINATOR, type GroupKey, type PartyId, type SecretShare } from '../../crypto/frost/types';
import { transportKeysFromSeed, type TransportDirectory, type TransportKeys } from '../../crypto/relay/keys';
import { DkgDriver, ReshareDriver, SignDriver, type DkgResult, type ReshareResult, type SignResult } from '../../main/relay/drivers';
import { NatsRelayTransport } from '../../main/relay/nats-transport';
import { RelaySession, type RelayEvent, type RelaySessionResult } from '../../main/relay/session';
import type { RelayTransport } from '../../main/relay/transport';
import { ids, runDkg } from '../frost/helpers';

export const VAULT = 'vault-relay-test';

export type Keyring = { keys: Map<string, TransportKeys>; directory: TransportDirectory };

/** Transport keys for every party (FROST ids and the coordinator), and the directory the log would give. */
export function keyring(parties: readonly string[]): Keyring {
  const keys = new Map(parties.map((p) => [p, transportKeysFromSeed(sha256(utf8ToBytes('relay-keys/' + p)))]));
  return { keys, directory: (p) => keys.get(p) ?? null };
}

export type TestKey = { groupKey: GroupKey; shares: Map<PartyId, SecretShare>; parties: PartyId[] };

/** A t-of-n key made by an in-memory DKG (the relay is what is under test, not key generation). */
export function testKey(t: number, n: number): TestKey {
  const run = runDkg(t, n, { ceremonyId: `relay-key-${t}-${n}` });
  return { groupKey: run.groupKey, shares: run.shares, parties: ids(n) };
}

export const osRng = (n = 32): Uint8Array => new Uint8Array(randomBytes(n));

export type SigningRun = {
  sessions: Map<string, RelaySession<SignResult>>;
  drivers: Map<string, SignDriver>;
  outcomes: Map<string, Promise<RelaySessionResult<SignResult>>>;
  events: Map<string, RelayEvent[]>;
  /** The share objects handed to each signer's driver (which owns and wipes them). */
  shares: Map<string, SecretShare>;
};

export type RunOptions = {
  sessionId: string;
  transportFor: (party: string) => RelayTransport;
  ring: Keyring;
  expiresInMs?: number;
  resendMs?: number;
  /** Parties whose session is left out (they are started elsewhere, e.g. an offline signer). */
  skip?: string[];
  /** Builds a party's signing driver (a test may record what it holds); SignDriver by default. */
  signDriver?: (...args: ConstructorParameters<typeof SignDriver>) => SignDriver;
  dkgDriver?: (...args: ConstructorParameters<typeof DkgDriver>) => DkgDriver;
  /** Each party's session context (the log head it would pin). */
  contextFor?: (party: string) => string | undefined;
};

/** Opens every party's session (all subscribed) and then runs them: signers with their shares, and a coordinator. */
export async function startSigning(key: TestKey, signers: PartyId[], messages: Uint8Array[], o: RunOptions): Promise<SigningRun> {
  const run: SigningRun = { sessions: new Map(), drivers: new Map(), outcomes: new Map(), events: new Map(), shares: new Map() };
  const expiresAt = Date.now() + (o.expiresInMs ?? 10_000);
  for (const party of [...signers, COORDINATOR]) {
    if (o.skip?.includes(party)) continue;
    const self = party === COORDINATOR ? null : (party as PartyId);
    const share = self === null ? null : copyShare(key.shares.get(self) as SecretShare);
    if (share !== null) run.shares.set(party, share);
    const make = o.signDriver ?? ((...a: ConstructorParameters<typeof SignDriver>) => new SignDriver(...a));
    const driver = make({ sessionId: o.sessionId, self, signers, messages, publicPackage: key.groupKey.publicPackage }, share, osRng);
    run.drivers.set(party, driver);
    run.sessions.set(party, signSession(driver, party, expiresAt, o, run.events));
  }
  for (const s of run.sessions.values()) await s.open();
  for (const [party, s] of run.sessions) run.outcomes.set(party, handled(s.run()));
  return run;
}

export function signSession(driver: SignDriver, party: string, expiresAt: number, o: RunOptions, events: Map<string, RelayEvent[]>): RelaySession<SignResult> {
  const log: RelayEvent[] = [];
  events.set(party, log);
  return new RelaySession({
    vaultId: VAULT,
    keys: o.ring.keys.get(party) as TransportKeys,
    directory: o.ring.directory,
    transport: o.transportFor(party),
    driver,
    expiresAt,
    resendMs: o.resendMs ?? 200,
    context: o.contextFor?.(party),
    onEvent: (e) => log.push(e),
  });
}

export async function startDkg(parties: PartyId[], threshold: number, o: RunOptions): Promise<Map<string, Promise<RelaySessionResult<DkgResult>>>> {
  const expiresAt = Date.now() + (o.expiresInMs ?? 10_000);
  const sessions = parties.map((self) => {
    const make = o.dkgDriver ?? ((...a: ConstructorParameters<typeof DkgDriver>) => new DkgDriver(...a));
    const driver = make({ ceremonyId: o.sessionId, self, parties, threshold }, { rng: osRng, deviceEntropy: osRng(32) });
    return [self, new RelaySession({
      vaultId: VAULT, keys: o.ring.keys.get(self) as TransportKeys, directory: o.ring.directory, transport: o.transportFor(self),
      driver, expiresAt, resendMs: o.resendMs ?? 200,
    })] as const;
  });
  for (const [, s] of sessions) await s.open();
  return new Map(sessions.map(([p, s]) => [p, handled(s.run())]));
}

/** Marks a rejection as handled now (the test awaits it later, maybe after another party's). */
export function handled<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

/** Runs a refresh or reshare: every dealer and receiver its own session; dealers get copies of their current shares. */
export async function startReshare(
  key: TestKey,
  cfg: { mode: 'refresh' | 'reshare'; dealers: PartyId[]; receivers: PartyId[]; threshold: number },
  o: RunOptions,
): Promise<Map<string, Promise<RelaySessionResult<ReshareResult>>>> {
  const expiresAt = Date.now() + (o.expiresInMs ?? 10_000);
  const members = [...new Set([...cfg.dealers, ...cfg.receivers])];
  const sessions = members.map((self) => {
    const dealer = cfg.dealers.includes(self);
    const driver = new ReshareDriver(
      { ceremonyId: o.sessionId, mode: cfg.mode, self, current: key.groupKey, dealers: cfg.dealers, receivers: cfg.receivers, threshold: cfg.threshold },
      dealer ? copyShare(key.shares.get(self) as SecretShare) : null,
      dealer ? { rng: osRng, deviceEntropy: osRng(32) } : null,
    );
    return [self, new RelaySession({
      vaultId: VAULT, keys: o.ring.keys.get(self) as TransportKeys, directory: o.ring.directory, transport: o.transportFor(self),
      driver, expiresAt, resendMs: o.resendMs ?? 200,
    })] as const;
  });
  for (const [, s] of sessions) await s.open();
  return new Map(sessions.map(([p, s]) => [p, handled(s.run())]));
}

export const copyShare = (s: SecretShare): SecretShare => ({ identifier: s.identifier, signingShare: s.signingShare.slice() });

/** One NATS connection per party, as if each ran on its own machine. */
export class Connections {
  private readonly open: NatsConnection[] = [];
  constructor(private readonly url: string) {}
  async connect(opts: { user?: string; pass?: string; port?: number } = {}): Promise<NatsConnection> {
    const servers = opts.port === undefined ? this.url : `nats://127.0.0.1:${opts.port}`;
    const nc = await connect({ servers, user: opts.user, pass: opts.pass, reconnect: false });
    this.open.push(nc);
    return nc;
  }
  async transports(parties: readonly string[], port?: number): Promise<Map<string, RelayTransport>> {
    const out = new Map<string, RelayTransport>();
    for (const p of parties) out.set(p, new NatsRelayTransport(await this.connect({ port })));
    return out;
  }
  async closeAll(): Promise<void> {
    await Promise.all(this.open.splice(0).map((nc) => nc.close().catch(() => undefined)));
  }
}

export const sighash = (label: string): Uint8Array => sha256(utf8ToBytes('sighash/' + label));
