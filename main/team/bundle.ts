// Bundle files for an air-gapped console: the records after seq N with the vault's id and the log's head, each record
// adopted on import through the one writer (every signature, every rule), the head compared afterwards.
import { readFileSync, writeFileSync } from 'node:fs';
import { CustosError } from '../errors';
import type { Store } from '../store';
import type { VaultService } from '../vault';
import type { AdoptReport } from '../vault/log-writer';
import { VAULT_ID } from './settings';

export const BUNDLE_FORMAT = 'custos-log-bundle/1';

export interface Bundle {
  readonly format: typeof BUNDLE_FORMAT;
  readonly vaultId: string;
  /** The records are those after this seq (-1: from genesis). */
  readonly after: number;
  /** The exporting console's head when it wrote the bundle: records (last seq + 1) and fingerprint. */
  readonly head: { readonly count: number; readonly fingerprint: string };
  /** Each record's canonical body, exactly as the log holds it. */
  readonly records: readonly string[];
}

export function exportBundle(store: Store, vault: VaultService, after: number, file: string): Bundle {
  const head = vault.logHead();
  const genesis = store.records.bodyAt(0);
  if (head === null || genesis === null) throw new CustosError('VAULT_NOT_FOUND', 'There is no verified vault in this data folder to export from. Run custos vault verify.');
  if (!Number.isSafeInteger(after) || after < -1) throw new CustosError('BAD_INPUT', `--after: ${after} is not a record seq (-1 for the whole log).`);
  const bundle: Bundle = {
    format: BUNDLE_FORMAT,
    vaultId: (JSON.parse(genesis) as { vaultId: string }).vaultId,
    after,
    head,
    records: store.records.after(after).map((r) => r.body),
  };
  writeFileSync(file, JSON.stringify(bundle) + '\n');
  return bundle;
}

export interface ImportResult extends AdoptReport {
  readonly vaultId: string;
  /** Whether this log now ends where the bundle's did (same count and fingerprint); null when it holds more or fewer. */
  readonly headMatches: boolean | null;
}

/** Imports a bundle: records already held are skipped, the rest adopted in order; `pin` for an empty data folder. */
export async function importBundle(vault: VaultService, file: string, pin: { adminAddress: string } | null): Promise<ImportResult> {
  const bundle = readBundle(file);
  const report = await vault.importRecords(bundle.records, pin === null ? null : { vaultId: bundle.vaultId, adminAddress: pin.adminAddress });
  const head = vault.logHead();
  if (head !== null && head.count === bundle.head.count && head.fingerprint !== bundle.head.fingerprint) {
    throw new CustosError('TAMPERING_DETECTED', `After the import this log holds ${head.count} records like the bundle, but its head differs (${head.fingerprint} here, ${bundle.head.fingerprint} in the bundle): the two consoles hold different histories. Compare them before going on.`);
  }
  return { ...report, vaultId: bundle.vaultId, headMatches: head === null || head.count !== bundle.head.count ? null : true };
}

function readBundle(file: string): Bundle {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CustosError('BAD_INPUT', `${file} cannot be read as a bundle: ${(err as Error).message}.`);
  }
  const b = raw as Partial<Record<keyof Bundle, unknown>>;
  const ok =
    b.format === BUNDLE_FORMAT &&
    typeof b.vaultId === 'string' && VAULT_ID.test(b.vaultId) &&
    typeof b.after === 'number' && Number.isSafeInteger(b.after) &&
    typeof b.head === 'object' && b.head !== null &&
    Array.isArray(b.records) && b.records.every((r) => typeof r === 'string');
  if (!ok) throw new CustosError('BAD_INPUT', `${file} is not a Custos log bundle (${BUNDLE_FORMAT}): export one with custos team export.`);
  return raw as Bundle;
}
