// Finds the connected device of each custodian: users are their devices, so the identity address decides.
import type { DeviceManager } from '../devices/manager';
import { CustosError } from '../errors';

export interface Person {
  id: string;
  name: string;
  identityAddress: string;
}

/**
 * Asks every connected device for its identity at the vault's path (no confirmation on the device) and matches it to
 * the people named. Devices that cannot answer (locked, wrong app) are skipped: the error then names who is missing.
 */
export async function devicesOf(devices: DeviceManager, identityPath: string, people: readonly Person[]): Promise<Map<string, string>> {
  const byAddress = new Map(people.map((p) => [p.identityAddress.toLowerCase(), p.id]));
  const found = new Map<string, string>();
  for (const device of devices.list()) {
    try {
      const { address } = await devices.identity(device.id, identityPath);
      const userId = byAddress.get(address.toLowerCase());
      if (userId !== undefined && !found.has(userId)) found.set(userId, device.id);
    } catch {
      // Not usable now; the person it belongs to is reported as missing below if they are needed.
    }
  }
  return found;
}

/** Throws a DEVICE_NOT_FOUND naming everyone whose device is needed and not connected. */
export function requireDevices(found: ReadonlyMap<string, string>, needed: readonly Person[], doing: string): void {
  const missing = needed.filter((p) => !found.has(p.id));
  if (missing.length === 0) return;
  throw new CustosError(
    'DEVICE_NOT_FOUND',
    `To ${doing}, connect the Ledger of ${missing.map((p) => p.name).join(', ')} (Ethereum app open and unlocked). Nothing was changed.`,
    { missing: missing.map((p) => p.id).join(',') },
  );
}
