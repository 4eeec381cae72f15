// Large vaults for the benchmarks and for developers: `npm run vault:generate -- --records 10000 --out /tmp/v10k`.
// A real data folder (store, log head, MPC signer folder) whose every record is device-signed and verifies as any other.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { addressOfPublicKey } from '../../crypto/ethereum';
import { partyIdFor } from '../../crypto/frost';
import { groupKeyOf } from '../../crypto/governance/wallet-key';
import { hostClientFor } from '../../main/mpc/launch-node';
import { Store } from '../../main/store';
import { VaultService } from '../../main/vault';
import { openableShares } from '../../main/wallets/shares';
import { identityKey, IDENTITY_PATH, peopleOf, type GroupName } from './history/people';
import { makePrefix } from './history/prefix';
import { writeTransfers } from './history/transfers';
import { walletSigner } from './history/wallet-signer';

/** Beside the store in the data folder: what the benchmarks need to act in the vault (Custos ignores the file). */
export const MANIFEST_FILE = 'bench-vault.json';
/** Small requests left waiting for one approval at the end of the log, for the benchmarks to approve. */
export const PENDING_REQUESTS = 40;

export interface VaultManifest {
  records: number;
  seed: string;
  people: { name: string; userId: string; mnemonic: string; roles: string[]; groups: GroupName[] }[];
  walletId: string;
  /** Request ids waiting for one approval by a member of Approvers (none of whom decided on them yet). */
  pending: string[];
  /** How the vault was made and checked, ms. */
  timings: { prefixMs: number; transfersMs: number; openMs: number; hostSyncMs: number | null };
  /** The records the real services wrote (governance, the wallet's key) before the generated transfers. */
  prefixRecords: number;
  /** Whether the MPC signer folder holds the whole log (pinned and synced): a restarted host finds it there. */
  hostSynced: boolean;
  node: string;
}

export interface GenerateOptions {
  records: number;
  out: string;
  seed?: string;
  /** Give the MPC host the whole log at the end, as the console would after the last commit (default: yes). */
  hostSync?: boolean;
  log?: (line: string) => void;
}

/**
 * Makes the vault in `out` (created; it must not hold anything): the governance through the real services, the
 * transfers written directly, then the folder opened by a fresh VaultService whose start-up check must say 'ok'.
 */
export async function generateVault(options: GenerateOptions): Promise<VaultManifest> {
  const { records, out } = options;
  const seed = options.seed ?? '1';
  const log = options.log ?? (() => {});
  if (!Number.isSafeInteger(records) || records <= 0) throw new Error(`--records must be a positive whole number, not ${records}`);
  if (existsSync(out) && readdirSync(out).length > 0) throw new Error(`${out} is not empty: give a new folder to --out (the generator never writes over a vault)`);
  mkdirSync(out, { recursive: true });
  const people = peopleOf(seed);
  let t = Date.UTC(2021, 0, 4, 9, 0, 0);
  const clock = () => new Date((t += 60_000));

  let start = performance.now();
  const store = Store.open(out);
  const host = hostClientFor(out);
  try {
    log(`governance: ${people.length} people, 4 groups, a 2-of-3 wallet (the MPC host makes its key), a whitelist and a policy`);
    const prefix = await makePrefix(store, host, people, clock);
    const state = prefix.vault.readState();
    const prefixRecords = state.seq + 1;
    const prefixMs = performance.now() - start;
    const transferRecords = records - prefixRecords - PENDING_REQUESTS;
    if (transferRecords < 0) throw new Error(`a generated vault holds at least ${prefixRecords + PENDING_REQUESTS} records (its governance and ${PENDING_REQUESTS} waiting requests); ask for more`);
    const userId = new Map(state.users.map((u) => [u.name, u.id]));
    const keys = new Map<string, Uint8Array>();
    for (const p of people) {
      const id = userId.get(p.name) as string;
      const secret = identityKey(p.mnemonic);
      const user = state.users.find((u) => u.id === id);
      if (user === undefined || addressOfPublicKey(secp256k1.getPublicKey(secret, false)).toLowerCase() !== user.identityAddress.toLowerCase()) {
        throw new Error(`bench vault: ${p.name}'s key is not the one their device registered`);
      }
      keys.set(id, secret);
    }
    const wallet = state.wallets.find((w) => w.id === prefix.walletId);
    if (wallet?.key == null) throw new Error('bench vault: the wallet has no key after its ceremony');
    const signers = new Map(['Alice', 'Bob'].map((n) => [partyIdFor(userId.get(n) as string), prefix.device.get(n) as string]));
    const signer = await walletSigner(prefix.devices, IDENTITY_PATH, { walletId: wallet.id, keyVersion: wallet.key.keyVersion, groupKey: groupKeyOf(wallet.key) }, openableShares(prefix.vault, wallet.id), signers);
    // The service's caches know nothing of what is written next: it is closed, and a fresh one checks the result.
    prefix.vault.close();
    await prefix.devices.close();

    log(`transfers: ${transferRecords.toLocaleString('en-US')} records, then ${PENDING_REQUESTS} requests waiting for approval`);
    start = performance.now();
    const ids = (group: GroupName) => people.filter((p) => p.groups.includes(group)).map((p) => userId.get(p.name) as string);
    let written = 0;
    let shown = 0;
    const pending = writeTransfers(
      {
        store,
        state,
        identityPath: IDENTITY_PATH,
        walletId: wallet.id,
        keys,
        signer,
        operators: ids('Ops'),
        approvers: ids('Approvers'),
        treasurers: ids('Treasury'),
        administrators: ['Alice', 'Bob', 'Carol'].map((n) => userId.get(n) as string),
        exchanges: prefix.exchanges,
        destinations: prefix.destinations,
        seed,
        startAt: t + 86_400_000,
        // About four years of history, whatever the size.
        stepMs: (4 * 365 * 86_400_000) / Math.max(1, transferRecords + PENDING_REQUESTS),
        progress: (n) => {
          written += n;
          if (written - shown >= 10_000) {
            shown = written;
            log(`  ${written.toLocaleString('en-US')} transfer records written (${((written * 1000) / (performance.now() - start)).toFixed(0)}/s)`);
          }
        },
      },
      transferRecords,
      PENDING_REQUESTS,
    );
    const transfersMs = performance.now() - start;
    store.close();

    log('checking: a fresh VaultService opens the folder (its start-up check replays every record)');
    start = performance.now();
    const checked = Store.open(out);
    try {
      const { DeviceManager } = await import('../../main/devices/manager');
      const devices = new DeviceManager();
      const vault = new VaultService({ store: checked, devices });
      const status = vault.status().vault;
      const openMs = performance.now() - start;
      vault.close();
      await devices.close();
      if (status === null || status.integrity.status !== 'ok') throw new Error(`bench vault: the generated vault does not verify: ${status?.integrity.problems.slice(0, 5).join(' ') ?? 'no vault'}`);
      const count = (checked.records.lastSeq() ?? -1) + 1;
      if (count !== records) throw new Error(`bench vault: ${count} records written, ${records} asked`);
      log(`  status ok in ${(openMs / 1000).toFixed(1)} s`);

      let hostSyncMs: number | null = null;
      if (options.hostSync ?? true) {
        log('the MPC host takes the whole log (as after the last commit)');
        start = performance.now();
        await host.syncLog(checked.records.all().map((r) => r.body), { timeoutMs: 3_600_000 });
        hostSyncMs = performance.now() - start;
        log(`  host synced in ${(hostSyncMs / 1000).toFixed(1)} s`);
      }
      const manifest: VaultManifest = {
        records,
        seed,
        people: people.map((p) => ({ name: p.name, userId: userId.get(p.name) as string, mnemonic: p.mnemonic, roles: [...p.roles], groups: [...p.groups] })),
        walletId: wallet.id,
        pending,
        timings: { prefixMs: Math.round(prefixMs), transfersMs: Math.round(transfersMs), openMs: Math.round(openMs), hostSyncMs: hostSyncMs === null ? null : Math.round(hostSyncMs) },
        prefixRecords,
        hostSynced: hostSyncMs !== null,
        node: process.version,
      };
      writeFileSync(path.join(out, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
      return manifest;
    } finally {
      checked.close();
    }
  } finally {
    store.close();
    await host.close();
  }
}

export function readManifest(dir: string): VaultManifest {
  return JSON.parse(readFileSync(path.join(dir, MANIFEST_FILE), 'utf8')) as VaultManifest;
}

/**
 * The generator's own sources: a cached vault made by other generator code is made again. The store's schema and the
 * host's folder are left out on purpose: a newer Custos opens an older vault as a person's upgraded console would.
 */
function generatorVersion(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const files = [fileURLToPath(import.meta.url), ...['people.ts', 'prefix.ts', 'transfers.ts', 'wallet-signer.ts', 'device-keys.ts'].map((f) => path.join(here, 'history', f))];
  const h = createHash('sha256');
  for (const f of files) h.update(readFileSync(f));
  return h.digest('hex').slice(0, 12);
}

export const CACHE_ROOT = path.join(tmpdir(), 'custos-bench-vaults');

/**
 * The vault of `records` records for `seed`, made once and kept in the temp folder (keyed by size, seed and the
 * generator's version). Returns the cached folder: copy it (copyVault) before changing anything in it.
 */
export async function cachedVault(records: number, seed = '1', log: (line: string) => void = () => {}): Promise<{ dir: string; manifest: VaultManifest; generated: boolean }> {
  const dir = path.join(CACHE_ROOT, `${records}-seed${seed}-${generatorVersion()}`);
  if (existsSync(path.join(dir, MANIFEST_FILE))) return { dir, manifest: readManifest(dir), generated: false };
  rmSync(dir, { recursive: true, force: true });
  const building = `${dir}.building-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  log(`generating a vault of ${records.toLocaleString('en-US')} records (cached in ${CACHE_ROOT})`);
  await generateVault({ records, seed, out: building, log });
  renameSync(building, dir);
  return { dir, manifest: readManifest(dir), generated: true };
}

/** A working copy of a cached vault (store, log head, signer folder) in a new temp folder. */
export function copyVault(dir: string, label: string): string {
  const copy = path.join(tmpdir(), `custos-bench-${label}-${process.pid}-${Date.now()}`);
  cpSync(dir, copy, { recursive: true });
  return copy;
}

// ---------------------------------------------------------------------------------------------

function cli(argv: string[]): void {
  const value = (name: string) => {
    const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
    if (i < 0) return undefined;
    const a = argv[i] as string;
    return a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[i + 1];
  };
  const records = Number(value('records')?.replace(/[_,]/g, '') ?? NaN);
  const out = value('out');
  if (!Number.isSafeInteger(records) || records <= 0 || out === undefined) {
    console.error('usage: npm run vault:generate -- --records 10000 --out /tmp/v10k [--seed 1] [--no-host-sync]');
    process.exitCode = 2;
    return;
  }
  const start = performance.now();
  generateVault({ records, out: path.resolve(out), seed: value('seed') ?? '1', hostSync: !argv.includes('--no-host-sync'), log: (l) => console.error(l) })
    .then((m) => {
      console.error(`done in ${((performance.now() - start) / 1000).toFixed(1)} s: ${m.records.toLocaleString('en-US')} records in ${path.resolve(out)}`);
      console.log(JSON.stringify({ out: path.resolve(out), records: m.records, timings: m.timings, prefixRecords: m.prefixRecords }));
    })
    .catch((err: unknown) => {
      console.error(`vault:generate: ${(err as Error).message}`);
      process.exitCode = 1;
    });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) cli(process.argv.slice(2));
