// The secret a custodian's device gives to open a sealed share: its EIP-1024 ECDH with the box's ephemeral key.
import { decodeSealed } from '../../crypto/sealing';
import type { DeviceManager } from '../devices/manager';

/** The device's ECDH with the sealed box's ephemeral key (confirmed on the device): what opens the share, inside the MPC host only. */
export function unsealSecret(devices: DeviceManager, deviceId: string, path: string, sealed: Uint8Array, purpose: string): Promise<Uint8Array> {
  return devices.sharedSecret(deviceId, path, decodeSealed(sealed).ephemeralPublicKey, purpose);
}
