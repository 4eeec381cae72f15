// The four operations Custos needs from the Ethereum app, over any Ledger transport, with every response checked.
import Eth from '@ledgerhq/hw-app-eth';
import type Transport from '@ledgerhq/hw-transport';
import { addressOfPublicKey, bytesToHex, hexToBytes } from '../../crypto/ethereum';
import { CustosError } from '../errors';

/** The oldest Ethereum app whose EIP-1024 and personal-message flows Custos relies on. */
export const MIN_ETHEREUM_APP_VERSION = '1.10.0';

export interface AppAndVersion {
  name: string;
  version: string;
}

const bad = (what: string) =>
  new CustosError('DEVICE_BAD_RESPONSE', `The device's answer to ${what} was malformed. Reconnect it and try again.`);

/** Parses the OS-level get-app-and-version answer (`B0 01 00 00`), without its status word. */
export function parseAppAndVersion(data: Uint8Array): AppAndVersion {
  if (data.length < 3 || data[0] !== 0x01) throw bad('get-app-and-version');
  const nameLength = data[1] as number;
  const name = data.subarray(2, 2 + nameLength);
  const versionLength = data[2 + nameLength];
  if (name.length !== nameLength || versionLength === undefined) throw bad('get-app-and-version');
  const version = data.subarray(3 + nameLength, 3 + nameLength + versionLength);
  if (version.length !== versionLength) throw bad('get-app-and-version');
  const text = (bytes: Uint8Array) => String.fromCharCode(...bytes).replace(/\0+$/, '');
  return { name: text(name), version: text(version) };
}

/** Compares dotted versions numerically ("1.9.20" < "1.10.0"); pre-release suffixes are ignored. */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string) => v.split(/[.-]/).slice(0, 3).map((p) => Number.parseInt(p, 10) || 0);
  const [pa, pb] = [parts(a), parts(b)];
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** hw-app-eth takes paths without the leading "m/". */
const ledgerPath = (path: string) => path.replace(/^m\//, '');

export class EthereumAppSession {
  private readonly eth: Eth;

  constructor(private readonly transport: Transport) {
    this.eth = new Eth(transport);
  }

  async appAndVersion(): Promise<AppAndVersion> {
    const response = await this.transport.send(0xb0, 0x01, 0x00, 0x00);
    return parseAppAndVersion(new Uint8Array(response.subarray(0, response.length - 2)));
  }

  async identity(path: string, showOnDevice: boolean): Promise<{ publicKey: Uint8Array; address: string }> {
    const result = await this.eth.getAddress(ledgerPath(path), showOnDevice, false);
    if (!/^[0-9a-fA-F]{130}$/.test(result.publicKey) || !result.publicKey.toLowerCase().startsWith('04')) throw bad('get-address');
    const publicKey = hexToBytes(result.publicKey);
    let address: string;
    try {
      address = addressOfPublicKey(publicKey);
    } catch {
      throw bad('get-address (the public key is not on the curve)');
    }
    // The device computes the address itself; it must match the key it returned.
    if (result.address.toLowerCase() !== address.toLowerCase()) throw bad('get-address (address and key disagree)');
    return { publicKey, address };
  }

  /** EIP-191 personal_sign of `text`; returns r‖s‖v (65 bytes, v = 27 or 28). */
  async signPersonalMessage(path: string, text: string): Promise<Uint8Array> {
    const messageHex = bytesToHex(new TextEncoder().encode(text));
    const { v, r, s } = await this.eth.signPersonalMessage(ledgerPath(path), messageHex);
    if (!/^[0-9a-f]{64}$/i.test(r) || !/^[0-9a-f]{64}$/i.test(s) || (v !== 27 && v !== 28)) throw bad('sign-message');
    const signature = new Uint8Array(65);
    signature.set(hexToBytes(r), 0);
    signature.set(hexToBytes(s), 32);
    signature[64] = v;
    return signature;
  }

  async encryptionKey(path: string, showOnDevice: boolean): Promise<Uint8Array> {
    const { publicKey } = await this.eth.getEIP1024PublicEncryptionKey(ledgerPath(path), showOnDevice);
    if (!/^[0-9a-f]{64}$/i.test(publicKey)) throw bad('get-encryption-key');
    return hexToBytes(publicKey);
  }

  /**
   * Always with on-device confirmation (P1 = 01): with P1 = 00 the Ethereum app answers with no screen at all, and a
   * secret that opens a key share must never be given without its custodian approving it.
   */
  async sharedSecret(path: string, remotePublicKey: Uint8Array): Promise<Uint8Array> {
    if (remotePublicKey.length !== 32) throw new CustosError('BAD_INPUT', 'An X25519 public key is 32 bytes.');
    const { sharedSecret } = await this.eth.getEIP1024SharedSecret(ledgerPath(path), bytesToHex(remotePublicKey), true);
    if (!/^[0-9a-f]{64}$/i.test(sharedSecret)) throw bad('get-shared-secret');
    return hexToBytes(sharedSecret);
  }
}
