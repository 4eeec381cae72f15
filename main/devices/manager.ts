// The device manager: lists Ledgers (USB and virtual), runs one exchange at a time per device with a time limit,
// checks the Ethereum app before each operation, and turns every failure into a clear error.
import { EventEmitter } from 'node:events';
import type Transport from '@ledgerhq/hw-transport';
import { generateMnemonic, validateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import type { DevicePrompt, DeviceState, DeviceSummary } from '../../preload/contract';
import { bytesToHex, verifyPersonalSignature } from '../../crypto/ethereum';
import { CustosError } from '../errors';
import { deviceErrorFrom, type OperationKind } from './device-errors';
import {
  EthereumAppSession,
  MIN_ETHEREUM_APP_VERSION,
  compareVersions,
  type AppAndVersion,
} from './ethereum-app-session';
import { expectedScreens, screenForConsole } from './expected-screens';
import { PromptBoard, type PromptOutcome } from './prompt-board';
import { SerialQueue, TimeoutError, withTimeout } from './serial-queue';
import type { LedgerEndpoint, ScreenContent } from './types';
import type { UsbDiscovery } from './usb';
import { VirtualLedger, virtualEndpoint, type VirtualEndpointOptions } from './virtual';

export interface DeviceManagerOptions {
  /** Limit for an exchange that needs no person: probes and silent reads. */
  exchangeTimeoutMs?: number;
  /** Limit for an exchange that waits for a person to read and confirm on the device. */
  confirmationTimeoutMs?: number;
  /** USB discovery; null on machines (and in tests) that use virtual devices only. */
  usb?: UsbDiscovery | null;
}

export interface DeviceManagerEvents {
  changed: [DeviceSummary[]];
  prompt: [DevicePrompt];
  promptEnded: [{ promptId: string; outcome: PromptOutcome }];
  warning: [string];
}

interface Entry {
  endpoint: LedgerEndpoint;
  transport: Transport | null;
  state: DeviceState;
  app: AppAndVersion | null;
  virtual: VirtualLedger | null;
}

const HINTS: Record<DeviceState, string | null> = {
  ready: null,
  unknown: null,
  busy: 'Finish or reject what the device is showing.',
  locked: 'Unlock your Ledger with its PIN.',
  'wrong-app': 'Open the Ethereum app on your Ledger.',
  'app-too-old': `Update the Ethereum app with Ledger Live (version ${MIN_ETHEREUM_APP_VERSION} or newer).`,
  disconnected: 'Reconnect the Ledger, unlock it and open the Ethereum app.',
};

const STATE_OF_ERROR: Partial<Record<CustosError['code'], DeviceState>> = {
  DEVICE_LOCKED: 'locked',
  WRONG_APP: 'wrong-app',
  APP_TOO_OLD: 'app-too-old',
  DEVICE_DISCONNECTED: 'disconnected',
};

/** Errors after which the transport can't be trusted to be in step with the device: reopen it next time. */
const RESET_TRANSPORT_ON = new Set<CustosError['code']>(['DEVICE_DISCONNECTED', 'DEVICE_BAD_RESPONSE', 'DEVICE_TIMEOUT', 'DEVICE_ERROR']);

export class DeviceManager extends EventEmitter<DeviceManagerEvents> {
  private readonly entries = new Map<string, Entry>();
  private readonly queue = new SerialQueue();
  private readonly board: PromptBoard;
  /** What a device's pending shared-secret screen is for, while it is asked (see sharedSecret). */
  private readonly purposes = new Map<string, string>();
  private readonly exchangeTimeoutMs: number;
  private readonly confirmationTimeoutMs: number;
  private readonly usb: UsbDiscovery | null;
  private virtualCount = 0;

  constructor(options: DeviceManagerOptions = {}) {
    super();
    this.exchangeTimeoutMs = options.exchangeTimeoutMs ?? 10_000;
    this.confirmationTimeoutMs = options.confirmationTimeoutMs ?? 5 * 60_000;
    this.usb = options.usb ?? null;
    this.board = new PromptBoard({
      shown: (prompt) => this.emit('prompt', prompt),
      ended: (promptId, outcome) => this.emit('promptEnded', { promptId, outcome }),
    });
  }

  /** Starts USB discovery (hot-plug). Virtual devices need nothing started. */
  async start(): Promise<void> {
    if (!this.usb) return;
    const usb = this.usb;
    await usb.start((event) => {
      const id = usb.endpoint(event.path, event.model).id;
      if (event.type === 'add' && !this.entries.has(id)) {
        this.entries.set(id, { endpoint: usb.endpoint(event.path, event.model), transport: null, state: 'unknown', app: null, virtual: null });
        this.changed();
        void this.probe(id).catch(() => undefined);
      } else if (event.type === 'remove' && this.entries.has(id)) {
        this.forget(id);
      }
    });
  }

  list(): DeviceSummary[] {
    return [...this.entries.values()].map((e) => this.summary(e));
  }

  /** Asks every device which app it has open, updating each one's state. */
  async refresh(): Promise<DeviceSummary[]> {
    await Promise.all([...this.entries.keys()].map((id) => this.probe(id).catch(() => undefined)));
    return this.list();
  }

  /** Adds a virtual Ledger (keys in this computer's memory: for tests and demonstrations only). */
  addVirtual(options: { label?: string; mnemonic?: string } = {}): { device: DeviceSummary; ledger: VirtualLedger; mnemonic: string } {
    const mnemonic = options.mnemonic?.trim() ?? generateMnemonic(wordlist, 128);
    if (!validateMnemonic(mnemonic, wordlist)) {
      throw new CustosError('BAD_INPUT', 'That mnemonic is not a valid BIP-39 English phrase (a word or the checksum is wrong).');
    }
    const ledger = new VirtualLedger({ mnemonic, label: options.label ?? `Virtual Ledger ${this.virtualCount + 1}` });
    return { device: this.attachVirtual(ledger), ledger, mnemonic };
  }

  /**
   * Plugs in a virtual Ledger built elsewhere (tests build locked ones, old ones, faulty ones). Its screens become
   * prompts answered through `respond`, unless the caller installs its own responder afterwards.
   */
  attachVirtual(ledger: VirtualLedger, endpointOptions: VirtualEndpointOptions = {}): DeviceSummary {
    this.virtualCount += 1;
    const id = `virtual:${this.virtualCount}`;
    ledger.screen.setResponder((content) => this.board.ask(id, screenForConsole(content), this.purposes.get(id)));
    const entry: Entry = { endpoint: virtualEndpoint(ledger, id, endpointOptions), transport: null, state: 'unknown', app: null, virtual: ledger };
    this.entries.set(id, entry);
    this.changed();
    return this.summary(entry);
  }

  /** The virtual Ledger behind a device id (tests and the CLI drive its screen and faults). */
  virtualLedger(deviceId: string): VirtualLedger {
    const ledger = this.entry(deviceId).virtual;
    if (!ledger) throw new CustosError('BAD_INPUT', 'That device is a USB Ledger, not a virtual one.');
    return ledger;
  }

  remove(deviceId: string): void {
    const entry = this.entry(deviceId);
    if (entry.endpoint.kind !== 'virtual') {
      throw new CustosError('BAD_INPUT', 'A USB Ledger is removed by unplugging it.');
    }
    this.forget(deviceId);
  }

  prompts(): DevicePrompt[] {
    return this.board.list();
  }

  respond(promptId: string, decision: 'approve' | 'reject'): void {
    this.board.respond(promptId, decision);
  }

  async identity(deviceId: string, path: string, showOnDevice = false) {
    return this.run(deviceId, 'identity', async (session, entry) => {
      const { publicKey, address } = await this.exchange(session.identity(path, false));
      if (showOnDevice) {
        const shown = await this.confirming(entry, expectedScreens.verifyAddress(address), () => session.identity(path, true));
        if (shown.address !== address) throw new CustosError('DEVICE_BAD_RESPONSE', 'The device confirmed a different address than it reported.');
      }
      return { deviceId, path, publicKey: '0x' + bytesToHex(publicKey), address };
    });
  }

  /** Signs `text` as an EIP-191 personal message after the device's screen showed it; checks the signature. */
  async signStatement(deviceId: string, path: string, text: string) {
    return this.run(deviceId, 'sign', async (session, entry) => {
      const { address } = await this.exchange(session.identity(path, false));
      const signature = await this.confirming(entry, expectedScreens.signMessage(text), () => session.signPersonalMessage(path, text));
      // A device that signed something else (or with another key) must not pass for an approval.
      if (!verifyPersonalSignature(text, signature, address)) {
        throw new CustosError('DEVICE_BAD_RESPONSE', "The device's signature does not verify for its own address. Nothing was recorded.");
      }
      return { deviceId, path, address, text, signature: '0x' + bytesToHex(signature) };
    });
  }

  async encryptionKey(deviceId: string, path: string, showOnDevice = false) {
    return this.run(deviceId, 'encryption-key', async (session, entry) => {
      const key = showOnDevice
        ? await this.confirming(entry, expectedScreens.encryptionKey((await this.exchange(session.identity(path, false))).address), () =>
            session.encryptionKey(path, true),
          )
        : await this.exchange(session.encryptionKey(path, false));
      return { deviceId, path, publicKey: '0x' + bytesToHex(key) };
    });
  }

  /**
   * The EIP-1024 X25519 shared secret, computed on the device after the person confirmed it there. The device's screen
   * says only "Provide public secret key" and the address: `purpose` is what the console says beside it (what the
   * secret opens, and for what), so nobody approves it blind.
   */
  async sharedSecret(deviceId: string, path: string, ephemeralPublicKey: Uint8Array, purpose: string): Promise<Uint8Array> {
    return this.run(deviceId, 'shared-secret', async (session, entry) => {
      const { address } = await this.exchange(session.identity(path, false));
      this.purposes.set(deviceId, purpose);
      try {
        return await this.confirming(entry, expectedScreens.sharedSecret(address), () => session.sharedSecret(path, ephemeralPublicKey), purpose);
      } finally {
        this.purposes.delete(deviceId);
      }
    });
  }

  /** Stops discovery and drops every transport. Pending virtual screens are cancelled. */
  async close(): Promise<void> {
    this.usb?.stop();
    for (const id of [...this.entries.keys()]) this.forget(id);
  }

  // -------------------------------------------------------------------------------------------------

  private entry(deviceId: string): Entry {
    const entry = this.entries.get(deviceId);
    if (!entry) throw new CustosError('DEVICE_NOT_FOUND', 'That device is no longer connected. Reconnect it or pick another one.', { deviceId });
    return entry;
  }

  private summary(e: Entry): DeviceSummary {
    return {
      id: e.endpoint.id,
      kind: e.endpoint.kind,
      model: e.endpoint.model,
      label: e.endpoint.label,
      state: e.state,
      app: e.app ? { ...e.app } : null,
      secure: e.endpoint.secure,
      hint: HINTS[e.state],
    };
  }

  private changed(): void {
    this.emit('changed', this.list());
  }

  private setState(entry: Entry, state: DeviceState, app?: AppAndVersion | null): void {
    const nextApp = app === undefined ? entry.app : app;
    if (entry.state === state && JSON.stringify(entry.app) === JSON.stringify(nextApp)) return;
    entry.state = state;
    entry.app = nextApp;
    if (this.entries.get(entry.endpoint.id) === entry) this.changed();
  }

  private forget(deviceId: string): void {
    const entry = this.entries.get(deviceId);
    if (!entry) return;
    this.entries.delete(deviceId);
    this.board.cancelDevice(deviceId);
    this.dropTransport(entry);
    this.changed();
  }

  private dropTransport(entry: Entry): void {
    const transport = entry.transport;
    entry.transport = null;
    // A hung device may never let close() finish; nothing waits on it.
    if (transport) void withTimeout(transport.close(), 2_000).catch(() => undefined);
  }

  private async probe(deviceId: string): Promise<AppAndVersion> {
    return this.run(deviceId, 'probe', async () => this.entry(deviceId).app as AppAndVersion);
  }

  /** One exchange that needs no person, under the short time limit. */
  private exchange<T>(work: Promise<T>): Promise<T> {
    return withTimeout(work, this.exchangeTimeoutMs);
  }

  /** An exchange the person must confirm: announces the screen (USB) and waits under the long limit. */
  private async confirming<T>(entry: Entry, screen: ScreenContent, work: () => Promise<T>, purpose?: string): Promise<T> {
    // Virtual devices announce their own screens through their screen model; USB ones through us.
    const shown = entry.virtual ? null : this.board.show(entry.endpoint.id, screen, purpose);
    this.setState(entry, 'busy');
    try {
      const result = await withTimeout(work(), this.confirmationTimeoutMs);
      shown?.end('approved');
      return result;
    } catch (err) {
      shown?.end((err as { statusCode?: number }).statusCode === 0x6985 ? 'rejected' : 'cancelled');
      throw err;
    }
  }

  /**
   * Runs `work` alone on the device: opens the transport if needed, checks that the Ethereum app (recent enough)
   * is open, and maps every failure to a CustosError, resetting the transport when it may be out of step.
   */
  private run<T>(deviceId: string, operation: OperationKind, work: (session: EthereumAppSession, entry: Entry) => Promise<T>): Promise<T> {
    const entry = this.entry(deviceId);
    return this.queue.run(deviceId, async () => {
      if (this.entries.get(deviceId) !== entry) throw new CustosError('DEVICE_NOT_FOUND', 'That device was removed.', { deviceId });
      try {
        if (!entry.transport) entry.transport = await withTimeout(entry.endpoint.open(), this.exchangeTimeoutMs);
        const session = new EthereumAppSession(entry.transport);
        const app = await withTimeout(session.appAndVersion(), this.exchangeTimeoutMs);
        if (app.name !== 'Ethereum') {
          this.setState(entry, 'wrong-app', app);
          const open = app.name === 'BOLOS' || app.name === 'OLOS' ? 'the dashboard is open' : `the ${app.name} app is open`;
          throw new CustosError('WRONG_APP', `Open the Ethereum app on your Ledger: ${open}.`, { openApp: app.name });
        }
        if (compareVersions(app.version, MIN_ETHEREUM_APP_VERSION) < 0) {
          this.setState(entry, 'app-too-old', app);
          throw new CustosError(
            'APP_TOO_OLD',
            `The Ethereum app on this Ledger is version ${app.version}; Custos needs ${MIN_ETHEREUM_APP_VERSION} or newer. Update it with Ledger Live.`,
            { version: app.version },
          );
        }
        this.setState(entry, 'ready', app);
        const result = await work(session, entry);
        this.setState(entry, 'ready');
        return result;
      } catch (err) {
        const error =
          err instanceof TimeoutError
            ? new CustosError(
                'DEVICE_TIMEOUT',
                err.ms >= this.confirmationTimeoutMs
                  ? 'Nobody confirmed on the device in time. Nothing was signed; try again when ready.'
                  : 'The device did not answer in time. Reconnect it, unlock it, open the Ethereum app, then try again.',
              )
            : deviceErrorFrom(err, operation);
        if (RESET_TRANSPORT_ON.has(error.code)) {
          this.board.cancelDevice(deviceId);
          this.dropTransport(entry);
        }
        const state = STATE_OF_ERROR[error.code];
        if (state) this.setState(entry, state, state === 'locked' || state === 'disconnected' ? null : undefined);
        else if (entry.state === 'busy') this.setState(entry, 'ready');
        throw error;
      }
    });
  }
}
