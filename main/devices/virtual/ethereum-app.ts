// The virtual Ledger: a software device (OS, dashboard, PIN lock) running the stock Ethereum app, APDU for APDU.
//
// Byte formats and status words follow /work/shared/reference/ledger-ethereum-app.md (app-ethereum 1.22.0,
// ledger-secure-sdk, the public dashboard sources). Where the reference leaves a choice open, the choice is
// written next to the code that makes it.
import { x25519 } from '@noble/curves/ed25519.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { HDKey } from '@scure/bip32';
import { generateMnemonic, mnemonicToSeedSync, validateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { VirtualScreen } from './screen';
import type { ScreenOutcome } from './screen';

export interface VirtualLedgerOptions {
  /** BIP-39 English mnemonic; default: 24 fresh words. */
  mnemonic?: string;
  label?: string;
  /** App open at start; default 'Ethereum'; 'BOLOS' means the dashboard is open. */
  appName?: string;
  /** Default '1.22.0' (the last Ethereum app release the reference read). */
  appVersion?: string;
  /** PIN not yet entered: every APDU answers 0x5515. */
  locked?: boolean;
  /** The app's "Blind signing" setting (bit 0x01 of GET APP CONFIGURATION). */
  blindSigning?: boolean;
  /** OS version reported by the dashboard to B0 01; default '2.0.0' (as in the recorded dashboard reply). */
  osVersion?: string;
  /**
   * Refuse an EIP-1024 shared secret without confirmation (P1=00, P2=01) with 0x6985. Released 1.22.0 answers
   * silently; a later upstream change (not in any release the reference read) refuses. Default false.
   */
  sharedSecretNeedsConfirmation?: boolean;
}

/** Status words this device answers with (names as in @ledgerhq/errors where it has one). */
export const SW = {
  OK: 0x9000,
  CONDITIONS_OF_USE_NOT_SATISFIED: 0x6985, // rejected on the screen
  INCORRECT_DATA: 0x6a80,
  INCORRECT_P1_P2: 0x6b00,
  INS_NOT_SUPPORTED: 0x6d00,
  CLA_NOT_SUPPORTED: 0x6e00,
  WRONG_DATA_LENGTH: 0x6a87,
  COMMAND_NOT_ALLOWED: 0x6980,
  INSUFFICIENT_MEMORY: 0x6a84,
  LOCKED_DEVICE: 0x5515,
  // Dashboard (no app open).
  DASHBOARD_CLA_NOT_SUPPORTED: 0x6e01,
  DASHBOARD_UNKNOWN_INS: 0x6d02,
  DASHBOARD_RESET_BAD_P1: 0x650e,
  DASHBOARD_RESET_BAD_P2: 0x650f,
  DASHBOARD_RESET_LC_INCONSISTENT: 0x6510,
  DASHBOARD_RESET_LC_NOT_ZERO: 0x6511,
} as const;

export const DASHBOARD = 'BOLOS';
export const ETHEREUM_APP = 'Ethereum';

const CLA_OS = 0xb0;
const CLA_ETH = 0xe0;
const INS_GET_APP_AND_VERSION = 0x01;
const INS_QUIT_APP = 0xa7;
const INS_GET_PUBLIC_KEY = 0x02;
const INS_GET_APP_CONFIGURATION = 0x06;
const INS_SIGN_PERSONAL_MESSAGE = 0x08;
const INS_PERFORM_PRIVACY_OPERATION = 0x18;

const HARDENED = 0x80000000;
const MAX_BIP32_PATH = 10;
const SIGN_MAGIC = utf8ToBytes('\x19Ethereum Signed Message:\n');
/** os_flags() byte of B0 01: 0x02 is what a recorded real-device answer carried (reference §1). */
const OS_FLAGS = 0x02;

// The app allocates a message signature's buffers from a 16 KiB heap (app-ethereum src/mem_utils.c). The sizes
// below model ARM32 structs (signMsgCtx_t, cx_sha3_t); the resulting limits (~8 KB text, ~5 KB binary) are the
// reference's estimate, unverified on hardware.
const APP_HEAP_SIZE = 16 * 1024;
const SIGN_CONTEXT_SIZE = 12;
const KECCAK_CONTEXT_SIZE = 420;
/** final_process guard against uint16 overflow of the hex display length: (0xFFFF - 3) / 2. */
const MAX_MESSAGE_LENGTH = 32766;

/** Known networks for the address review title (app-ethereum src/network.c); others get no name. */
const NETWORK_NAMES: ReadonlyMap<bigint, string> = new Map([
  [1n, 'Ethereum'],
  [10n, 'OP Mainnet'],
  [56n, 'BSC'],
  [137n, 'Polygon'],
  [8453n, 'Base'],
  [17000n, 'Holesky'],
  [42161n, 'Arbitrum'],
  [11155111n, 'Sepolia'],
]);
/** The stock Ethereum app's own chain id: an address review for it is titled with the app name. */
const APP_CHAIN_ID = 1n;

interface MessageInProgress {
  path: number[];
  /** Declared length as the app stores it: 16 bits (larger values wrap, reference §4). */
  declaredLength: number;
  buffer: Uint8Array;
  received: number;
}

/** A decoded APDU (CLA INS P1 P2 Lc data). */
interface Apdu {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  lc: number;
  data: Uint8Array;
}

/** The device: OS state (lock, open app) plus the Ethereum app's state machine and keys. */
export class VirtualLedger {
  readonly mnemonic: string;
  readonly label: string;
  readonly screen = new VirtualScreen();

  private isLocked: boolean;
  private openAppName: string;
  private openAppVersion: string;
  private readonly osVersion: string;
  private readonly blindSigning: boolean;
  private readonly sharedSecretNeedsConfirmation: boolean;
  private master: HDKey | null = null;
  private readonly keyCache = new Map<string, HDKey>();
  private message: MessageInProgress | null = null;
  /** The device handles one APDU at a time: a review blocks the next APDU, as on the real single-task app. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(opts: VirtualLedgerOptions = {}) {
    if (opts.mnemonic !== undefined) {
      const normalised = opts.mnemonic.trim().split(/\s+/).join(' ');
      // Never echo the words: an error message may reach a log.
      if (!validateMnemonic(normalised, wordlist)) throw new Error('VirtualLedger: the mnemonic is not a valid BIP-39 English mnemonic');
      this.mnemonic = normalised;
    } else {
      this.mnemonic = generateMnemonic(wordlist, 256);
    }
    this.label = opts.label ?? 'Virtual Ledger';
    this.openAppName = opts.appName ?? ETHEREUM_APP;
    this.openAppVersion = opts.appVersion ?? defaultVersion(this.openAppName);
    this.osVersion = opts.osVersion ?? '2.0.0';
    this.isLocked = opts.locked ?? false;
    this.blindSigning = opts.blindSigning ?? false;
    this.sharedSecretNeedsConfirmation = opts.sharedSecretNeedsConfirmation ?? false;
  }

  get locked(): boolean {
    return this.isLocked;
  }

  /** Name of the open app, 'BOLOS' on the dashboard. */
  get appName(): string {
    return this.openAppName;
  }

  get appVersion(): string {
    return this.openAppName === DASHBOARD ? this.osVersion : this.openAppVersion;
  }

  /** The PIN lock engages: a review being shown disappears (its APDU answers 0x5515). */
  lock(): void {
    this.isLocked = true;
    this.interrupt();
  }

  unlock(): void {
    this.isLocked = false;
  }

  /** Opens an app ('BOLOS' = back to the dashboard); whatever the previous app was doing is abandoned. */
  openApp(name: string, version?: string): void {
    this.interrupt();
    this.openAppName = name;
    this.openAppVersion = version ?? defaultVersion(name);
  }

  /**
   * What the USB link dropping does to the app: the review on screen is cancelled and a message being received is
   * discarded. The device stays unlocked with its app open (a virtual device has no power cycle).
   */
  interrupt(): void {
    this.message = null;
    this.screen.cancel();
  }

  /** Sends one APDU; resolves with the full response including the 2-byte status word. */
  exchange(apdu: Uint8Array): Promise<Uint8Array> {
    const input = Uint8Array.from(apdu);
    const run = this.queue.then(() => this.process(input));
    this.queue = run.catch(() => undefined);
    return run;
  }

  // ---------------------------------------------------------------------------------------------------------
  // OS level: lock, dashboard, B0 commands, then the open app.

  private async process(raw: Uint8Array): Promise<Uint8Array> {
    // The OS answers 0x5515 to everything until the PIN is entered (SDK os_io_legacy.c), B0 01 included.
    if (this.isLocked) return status(SW.LOCKED_DEVICE);
    if (this.openAppName === DASHBOARD) return this.dashboard(raw);
    if (raw.length >= 2 && raw[0] === CLA_OS) return this.osCommand(raw);
    const apdu = parseApdu(raw);
    if (!apdu) return status(SW.WRONG_DATA_LENGTH);
    if (this.openAppName !== ETHEREUM_APP) {
      // Another app is open. Most Ledger apps own a CLA other than E0 (Bitcoin E1, …), so the Ethereum client
      // meets CLA_NOT_SUPPORTED, the code a host reads as "wrong app". Chosen over 0x6D00 (see module report).
      return status(SW.CLA_NOT_SUPPORTED);
    }
    const response = await this.ethereumApp(apdu);
    // Any error resets the app context (app-ethereum src/main.c), including a message being received.
    if (swOf(response) !== SW.OK) this.message = null;
    return response;
  }

  /** CLA B0, answered by the SDK inside any app (os_io_default_apdu.c). */
  private osCommand(raw: Uint8Array): Uint8Array {
    const ins = raw[1];
    const p1 = raw[2] ?? 0;
    const p2 = raw[3] ?? 0;
    if (p1 !== 0 || p2 !== 0) return status(SW.CLA_NOT_SUPPORTED);
    if (ins === INS_GET_APP_AND_VERSION) {
      const name = utf8ToBytes(this.openAppName);
      const version = utf8ToBytes(this.openAppVersion);
      return ok(concatBytes(Uint8Array.of(0x01, name.length), name, Uint8Array.of(version.length), version, Uint8Array.of(0x01, OS_FLAGS)));
    }
    if (ins === INS_QUIT_APP) {
      // The app answers, then exits to the dashboard (what Ledger Live's quitApp relies on).
      this.openApp(DASHBOARD);
      return status(SW.OK);
    }
    return status(SW.CLA_NOT_SUPPORTED);
  }

  /** The dashboard (ledger-secure-os dashboard_task.c / dashboard_handlers.c, reference §6). */
  private dashboard(raw: Uint8Array): Uint8Array {
    const [cla, ins, p1, p2] = raw;
    if (cla === CLA_OS && ins === INS_GET_APP_AND_VERSION && p1 === 0 && p2 === 0) {
      // The dashboard answers without the flags bytes.
      const name = utf8ToBytes(DASHBOARD);
      const version = utf8ToBytes(this.osVersion);
      return ok(concatBytes(Uint8Array.of(0x01, name.length), name, Uint8Array.of(version.length), version));
    }
    if (cla !== CLA_ETH) return status(SW.DASHBOARD_CLA_NOT_SUPPORTED);
    if (ins === INS_GET_PUBLIC_KEY) {
      // INS 02 is the dashboard's RESET, which takes no parameters and no data: hw-app-eth's getAddress lands here.
      if (p1 !== 0) return status(SW.DASHBOARD_RESET_BAD_P1);
      if (p2 !== 0) return status(SW.DASHBOARD_RESET_BAD_P2);
      const lc = raw[4];
      if (lc === undefined || lc !== raw.length - 5) return status(SW.DASHBOARD_RESET_LC_INCONSISTENT);
      if (lc !== 0) return status(SW.DASHBOARD_RESET_LC_NOT_ZERO);
      // A well-formed RESET would reboot a real device; the virtual one stays as it is.
      return status(SW.OK);
    }
    // The dashboard's other commands (install, list apps, …) are not emulated: they answer like unknown ones.
    return status(SW.DASHBOARD_UNKNOWN_INS);
  }

  // ---------------------------------------------------------------------------------------------------------
  // The Ethereum app.

  private async ethereumApp(apdu: Apdu): Promise<Uint8Array> {
    if (apdu.cla !== CLA_ETH) return status(SW.CLA_NOT_SUPPORTED);
    switch (apdu.ins) {
      case INS_GET_PUBLIC_KEY:
        return this.getPublicKey(apdu);
      case INS_GET_APP_CONFIGURATION:
        return this.getAppConfiguration();
      case INS_SIGN_PERSONAL_MESSAGE:
        return this.signPersonalMessage(apdu);
      case INS_PERFORM_PRIVACY_OPERATION:
        return this.performPrivacyOperation(apdu);
      default:
        // The real app knows more INS (transactions, EIP-712, …); Custos uses none of them, so they are not emulated.
        return status(SW.INS_NOT_SUPPORTED);
    }
  }

  /** E0 06: flags ‖ major ‖ minor ‖ patch; P1/P2/data ignored. */
  private getAppConfiguration(): Uint8Array {
    const [major, minor, patch] = versionNumbers(this.openAppVersion);
    const flags = 0x02 | (this.blindSigning ? 0x01 : 0x00);
    return ok(Uint8Array.of(flags, major, minor, patch));
  }

  /** E0 02: 41 ‖ 04XY ‖ 28 ‖ EIP-55 ASCII address ‖ [chain code]. */
  private async getPublicKey(apdu: Apdu): Promise<Uint8Array> {
    // Every E0 02 resets the app context (not in swap mode, which this device never is).
    this.message = null;
    if ((apdu.p1 !== 0x00 && apdu.p1 !== 0x01) || (apdu.p2 !== 0x00 && apdu.p2 !== 0x01)) return status(SW.INCORRECT_P1_P2);
    const parsed = parseBip32(apdu.data);
    if (!parsed || !derivationAllowed(parsed.path)) return status(SW.INCORRECT_DATA);
    const key = this.derive(parsed.path);
    let rest = parsed.rest;
    let chainId = APP_CHAIN_ID;
    if (rest.length >= 8) {
      chainId = readUint64BE(rest);
      rest = rest.subarray(8);
    }
    if (rest.length > 0) return status(SW.INCORRECT_DATA);
    const publicKey = uncompressedPublicKey(key);
    const address = checksumAddress(publicKey);
    const parts = [Uint8Array.of(publicKey.length), publicKey, Uint8Array.of(address.length), utf8ToBytes(address)];
    if (apdu.p2 === 0x01) parts.push(chainCodeOf(key));
    const response = ok(concatBytes(...parts));
    if (apdu.p1 === 0x00) return response;
    const outcome = await this.screen.show({
      operation: 'verify-address',
      title: addressReviewTitle(chainId),
      fields: [{ label: 'Address', value: `0x${address}` }],
    });
    return outcome === 'approved' ? response : this.refusal(outcome);
  }

  /** E0 08: EIP-191 personal_sign, message buffered over P1=00 / P1=80 chunks, reviewed, then signed. */
  private async signPersonalMessage(apdu: Apdu): Promise<Uint8Array> {
    let chunk: Uint8Array;
    if (apdu.p1 === 0x00) {
      if (this.message) return status(SW.COMMAND_NOT_ALLOWED); // restart while busy: 6980 and the state is reset
      const parsed = parseBip32(apdu.data);
      if (!parsed || !derivationAllowed(parsed.path) || parsed.rest.length < 4) return status(SW.INCORRECT_DATA);
      const declaredLength = readUint32BE(parsed.rest) & 0xffff;
      if (SIGN_CONTEXT_SIZE + declaredLength + KECCAK_CONTEXT_SIZE > APP_HEAP_SIZE) return status(SW.INSUFFICIENT_MEMORY);
      this.message = { path: parsed.path, declaredLength, buffer: new Uint8Array(declaredLength), received: 0 };
      chunk = parsed.rest.subarray(4);
    } else if (apdu.p1 !== 0x80) {
      return status(SW.INCORRECT_P1_P2);
    } else if (!this.message) {
      return status(SW.INCORRECT_DATA);
    } else {
      chunk = apdu.data;
    }
    const message = this.message;
    if (message.received + chunk.length > message.declaredLength) return status(SW.INCORRECT_DATA);
    message.buffer.set(chunk, message.received);
    message.received += chunk.length;
    if (message.received < message.declaredLength) return status(SW.OK);

    if (message.declaredLength > MAX_MESSAGE_LENGTH) return status(SW.INCORRECT_DATA);
    const shown = displayedMessage(message.buffer);
    const displayBufferSize = shown.length + 1;
    if (SIGN_CONTEXT_SIZE + message.declaredLength + KECCAK_CONTEXT_SIZE + displayBufferSize > APP_HEAP_SIZE) {
      return status(SW.INSUFFICIENT_MEMORY);
    }
    const hash = keccak_256(concatBytes(SIGN_MAGIC, utf8ToBytes(String(message.declaredLength)), message.buffer));
    const outcome = await this.screen.show({
      operation: 'sign-message',
      title: 'Review message',
      fields: [{ label: 'Message', value: shown }],
    });
    // The app returns to idle whatever the answer.
    if (this.message === message) this.message = null;
    if (outcome !== 'approved') return this.refusal(outcome);
    const secret = privateKeyOf(this.derive(message.path));
    // RFC 6979 (HMAC-SHA256) nonce, low-S; noble flips the recovery bit when it negates s, as the device does.
    const signature = secp256k1.sign(hash, secret, { prehash: false, lowS: true, extraEntropy: false, format: 'recovered' });
    const recovery = signature[0] ?? 0;
    return ok(concatBytes(Uint8Array.of(27 + recovery), signature.subarray(1, 65)));
  }

  /** E0 18: EIP-1024 X25519 public encryption key (P2=00) or shared secret with a remote key (P2=01). */
  private async performPrivacyOperation(apdu: Apdu): Promise<Uint8Array> {
    if ((apdu.p1 !== 0x00 && apdu.p1 !== 0x01) || (apdu.p2 !== 0x00 && apdu.p2 !== 0x01)) return status(SW.INCORRECT_P1_P2);
    const sharedSecret = apdu.p2 === 0x01;
    if (sharedSecret && apdu.p1 === 0x00 && this.sharedSecretNeedsConfirmation) return status(SW.CONDITIONS_OF_USE_NOT_SATISFIED);
    const parsed = parseBip32(apdu.data);
    if (!parsed || !derivationAllowed(parsed.path)) return status(SW.INCORRECT_DATA);
    // Trailing bytes are ignored (for P2=00 all of them, for P2=01 those after the 32-byte remote key).
    if (sharedSecret && parsed.rest.length < 32) return status(SW.WRONG_DATA_LENGTH);
    const key = this.derive(parsed.path);
    const secret = privateKeyOf(key);
    // The secp256k1 key at the path, used as an X25519 scalar read little-endian (RFC 7748): reference §5's
    // conclusion from the app's byte reversals and the OS's Montgomery routines.
    const result = sharedSecret ? x25519SharedSecret(secret, parsed.rest.subarray(0, 32)) : x25519.getPublicKey(secret);
    const response = ok(result);
    if (apdu.p1 === 0x00) return response;
    const outcome = await this.screen.show({
      operation: sharedSecret ? 'shared-secret' : 'encryption-key',
      title: sharedSecret ? 'Provide public secret key' : 'Provide public privacy key',
      fields: [
        { label: 'Address', value: `0x${checksumAddress(uncompressedPublicKey(key))}` },
        { label: 'Key', value: bytesToHex(result).toUpperCase() },
      ],
    });
    return outcome === 'approved' ? response : this.refusal(outcome);
  }

  /** A review that did not end in approval: 0x6985, or 0x5515 when it vanished because the device locked. */
  private refusal(outcome: ScreenOutcome): Uint8Array {
    if (outcome === 'cancelled' && this.isLocked) return status(SW.LOCKED_DEVICE);
    return status(SW.CONDITIONS_OF_USE_NOT_SATISFIED);
  }

  private derive(path: number[]): HDKey {
    const id = path.join('/');
    const cached = this.keyCache.get(id);
    if (cached) return cached;
    // The seed is computed on first use: PBKDF2 is slow, and many tests never derive a key.
    this.master ??= HDKey.fromMasterSeed(mnemonicToSeedSync(this.mnemonic));
    let key = this.master;
    for (const index of path) key = key.deriveChild(index);
    this.keyCache.set(id, key);
    return key;
  }
}

// -------------------------------------------------------------------------------------------------------------
// Helpers (pure).

function defaultVersion(appName: string): string {
  return appName === ETHEREUM_APP ? '1.22.0' : '1.0.0';
}

function status(sw: number): Uint8Array {
  return Uint8Array.of((sw >> 8) & 0xff, sw & 0xff);
}

function ok(data: Uint8Array): Uint8Array {
  return concatBytes(data, status(SW.OK));
}

function swOf(response: Uint8Array): number {
  return ((response[response.length - 2] ?? 0) << 8) | (response[response.length - 1] ?? 0);
}

/** SDK parser.c: at least CLA INS P1 P2 Lc, and Lc must match the data received, else 0x6A87. */
function parseApdu(raw: Uint8Array): Apdu | null {
  if (raw.length < 5) return null;
  const [cla = 0, ins = 0, p1 = 0, p2 = 0, lc = 0] = raw;
  if (lc !== raw.length - 5) return null;
  return { cla, ins, p1, p2, lc, data: raw.subarray(5) };
}

/** Count byte (1..10) then big-endian uint32 indices; null when malformed (the app answers 0x6A80). */
function parseBip32(data: Uint8Array): { path: number[]; rest: Uint8Array } | null {
  const count = data[0];
  if (count === undefined || count === 0 || count > MAX_BIP32_PATH) return null;
  if (data.length < 1 + 4 * count) return null;
  const path: number[] = [];
  for (let i = 0; i < count; i++) path.push(readUint32BE(data.subarray(1 + 4 * i)));
  return { path, rest: data.subarray(1 + 4 * count) };
}

/** The stock app may derive only under 44'/60' and 45' (makefile_conf/chain/ethereum.mk). */
function derivationAllowed(path: number[]): boolean {
  const [first, second] = path;
  if (first === (45 | HARDENED) >>> 0) return true;
  return first === (44 | HARDENED) >>> 0 && second === (60 | HARDENED) >>> 0;
}

function readUint32BE(b: Uint8Array): number {
  return (((b[0] ?? 0) << 24) | ((b[1] ?? 0) << 16) | ((b[2] ?? 0) << 8) | (b[3] ?? 0)) >>> 0;
}

function readUint64BE(b: Uint8Array): bigint {
  return (BigInt(readUint32BE(b)) << 32n) | BigInt(readUint32BE(b.subarray(4)));
}

function versionNumbers(version: string): [number, number, number] {
  const [major = 0, minor = 0, patch = 0] = version
    .split('-')[0]!
    .split('.')
    .map((part) => Number.parseInt(part, 10) & 0xff);
  return [major || 0, minor || 0, patch || 0];
}

function privateKeyOf(key: HDKey): Uint8Array {
  if (!key.privateKey) throw new Error('VirtualLedger: derived key has no private part');
  return key.privateKey;
}

function chainCodeOf(key: HDKey): Uint8Array {
  if (!key.chainCode) throw new Error('VirtualLedger: derived key has no chain code');
  return key.chainCode;
}

function uncompressedPublicKey(key: HDKey): Uint8Array {
  return secp256k1.getPublicKey(privateKeyOf(key), false);
}

/** 40 hex chars, EIP-55 mixed case (the stock app's chain id 1 uses plain EIP-55), without "0x". */
export function checksumAddress(uncompressed: Uint8Array): string {
  const lower = bytesToHex(keccak_256(uncompressed.subarray(1)).subarray(12));
  const digest = bytesToHex(keccak_256(utf8ToBytes(lower)));
  let out = '';
  for (let i = 0; i < lower.length; i++) {
    const c = lower[i]!;
    out += Number.parseInt(digest[i]!, 16) >= 8 ? c.toUpperCase() : c;
  }
  return out;
}

function addressReviewTitle(chainId: bigint): string {
  // No chain id, or the app's own, is titled with the app name; a known network by its name; else no name.
  if (chainId === APP_CHAIN_ID) return `Verify ${ETHEREUM_APP} address`;
  const network = NETWORK_NAMES.get(chainId);
  return network ? `Verify ${network} address` : 'Verify address';
}

/**
 * The app's display rule: text when every byte is C isprint or isspace (0x20–0x7E, 0x09–0x0D), each whitespace
 * shown as a space (the Nano rule; the emulated model is a Nano S Plus); otherwise 0x + lowercase hex.
 */
export function displayedMessage(message: Uint8Array): string {
  const printable = message.every((b) => (b >= 0x20 && b <= 0x7e) || (b >= 0x09 && b <= 0x0d));
  if (!printable) return `0x${bytesToHex(message)}`;
  let text = '';
  for (const b of message) text += b >= 0x09 && b <= 0x0d ? ' ' : String.fromCharCode(b);
  return text;
}

/**
 * RFC 7748 X25519 as the device computes it. For a low-order remote key the math gives all zeros; noble refuses
 * that case, the device's cx_x25519 is not known to, so the emulator returns the zeros [unverified on hardware].
 */
function x25519SharedSecret(secret: Uint8Array, remote: Uint8Array): Uint8Array {
  try {
    return x25519.getSharedSecret(secret, remote);
  } catch {
    return new Uint8Array(32);
  }
}
