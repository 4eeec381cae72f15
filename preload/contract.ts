// The one definition of what crosses the bridge between the renderer and main: channels, input schemas,
// result types, events and error codes. main validates every input against it; the preload and the
// browser host's shim both build their client from it.
import { z } from 'zod';

/** Error codes that may cross a boundary. The UI maps each to what a person should do. */
export const ERROR_CODES = [
  'BAD_INPUT',
  'UNKNOWN_CHANNEL',
  'FORBIDDEN_SENDER',
  'INTERNAL',
  'DEVICE_NOT_FOUND',
  'DEVICE_LOCKED',
  'WRONG_APP',
  'APP_TOO_OLD',
  'REJECTED_ON_DEVICE',
  'BLIND_SIGNING_REQUIRED',
  'DEVICE_DISCONNECTED',
  'DEVICE_BUSY',
  'DEVICE_IN_USE',
  'DEVICE_TIMEOUT',
  'DEVICE_BAD_RESPONSE',
  'DEVICE_ERROR',
  'MPC_HOST_UNAVAILABLE',
  'MPC_PROTOCOL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** An error as data: what happened, in plain words, and what to do next. Never carries a secret. */
export interface CustosErrorData {
  code: ErrorCode;
  message: string;
  details?: Record<string, string | number | boolean | null>;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: CustosErrorData };

// ---------------------------------------------------------------------------------------------------
// Domain types that cross the bridge

export type DeviceKind = 'usb' | 'virtual';
/** What the console knows of a device's state, from its last exchange. */
export type DeviceState = 'ready' | 'locked' | 'wrong-app' | 'app-too-old' | 'busy' | 'disconnected' | 'unknown';

export interface DeviceSummary {
  id: string;
  kind: DeviceKind;
  /** "Nano S Plus", "Virtual Ledger", … */
  model: string;
  label: string;
  state: DeviceState;
  /** The app open on the device, as get-app-and-version reports it ("Ethereum", "BOLOS" for the dashboard). */
  app: { name: string; version: string } | null;
  /** False for virtual devices: they hold keys in this computer's memory. */
  secure: boolean;
  /** A plain sentence for the UI when the device needs the person (locked, wrong app…), else null. */
  hint: string | null;
}

/** One screen the device shows and waits on: the person reads it and approves or rejects. */
export interface DevicePrompt {
  promptId: string;
  deviceId: string;
  /** For virtual devices, the console shows Approve and Reject; for USB ones, the person acts on the device. */
  kind: DeviceKind;
  operation: 'verify-address' | 'sign-message' | 'encryption-key' | 'shared-secret';
  title: string;
  fields: { label: string; value: string }[];
  /** What the person should do, in plain words ("Confirm on your device"). */
  instruction: string;
}

export interface DeviceIdentity {
  deviceId: string;
  path: string;
  /** Uncompressed secp256k1 public key, 0x-hex. */
  publicKey: string;
  /** EIP-55 checksummed, 0x-prefixed. */
  address: string;
}

export interface SignedStatement {
  deviceId: string;
  path: string;
  address: string;
  text: string;
  /** 0x-prefixed r‖s‖v, 65 bytes, v = 27 or 28 (EIP-191 personal_sign). */
  signature: string;
}

export interface MpcHostHealth {
  protocolVersion: number;
  hostVersion: string;
  pid: number;
  uptimeMs: number;
  roundTripMs: number;
}

export interface AppInfo {
  name: 'Custos';
  version: string;
  /** 'electron' in the desktop app; 'browser-host' in the development tool that serves the UI to a browser; 'cli' headless. */
  shell: 'electron' | 'browser-host' | 'cli';
  platform: string;
  /** Linux only: whether Ledger's udev rules were found (without them USB Ledgers are invisible). */
  udevRulesInstalled: boolean | null;
  /** When the rules are missing (an AppImage install): the commands that install them, to show the person. */
  udevGuidance: string | null;
}

// ---------------------------------------------------------------------------------------------------
// Input schemas

/** A BIP-32 path the Ethereum app accepts: m/44'/60'/… or m/45'/…, at most 10 levels, hardened with '. */
export const derivationPath = z
  .string()
  .max(120)
  .regex(/^m(\/\d{1,10}'?){1,10}$/, "a BIP-32 path such as m/44'/60'/0'/0/0 (hardened levels end with ')")
  .refine((p) => /^m\/(44'\/60'|45')/.test(p), "the Ethereum app only derives under m/44'/60' or m/45'")
  .refine(
    (p) => p.split('/').slice(1).every((part) => Number.parseInt(part, 10) < 0x80000000),
    'each path level must be below 2^31',
  );

export const deviceId = z.string().min(1).max(200);
/** A statement the device can show as text: printable ASCII and newlines, as the Ethereum app displays it. */
export const statementText = z
  .string()
  .min(1, 'the statement is empty')
  .max(4000, 'the statement is longer than a device can show (4000 characters)')
  .regex(/^[\x20-\x7e\n]+$/, 'only printable ASCII and newlines can be shown faithfully on a device');

const mnemonic = z
  .string()
  .trim()
  .regex(/^[a-z]+( [a-z]+){11,23}$/, 'a BIP-39 mnemonic of 12 to 24 lowercase English words');

const empty = z.object({}).strict();

export const channels = {
  'app.info': { input: empty },
  'devices.list': { input: empty },
  'devices.refresh': { input: empty },
  'devices.addVirtual': {
    input: z
      .object({ label: z.string().trim().min(1).max(60).optional(), mnemonic: mnemonic.optional() })
      .strict(),
  },
  'devices.remove': { input: z.object({ deviceId }).strict() },
  'devices.identity': {
    input: z.object({ deviceId, path: derivationPath, showOnDevice: z.boolean().optional() }).strict(),
  },
  'devices.signStatement': { input: z.object({ deviceId, path: derivationPath, text: statementText }).strict() },
  'devices.encryptionKey': { input: z.object({ deviceId, path: derivationPath }).strict() },
  'devices.prompts': { input: empty },
  /** Approve or reject what a virtual device's screen shows (a USB device is answered on the device itself). */
  'devices.respond': {
    input: z.object({ promptId: z.string().min(1).max(100), decision: z.enum(['approve', 'reject']) }).strict(),
  },
  'mpc.ping': { input: empty },
} as const;

export type Channel = keyof typeof channels;
export type ChannelInput<C extends Channel> = z.input<(typeof channels)[C]['input']>;
export type ParsedInput<C extends Channel> = z.output<(typeof channels)[C]['input']>;

/** What each channel answers with. */
export interface ChannelResults {
  'app.info': AppInfo;
  'devices.list': DeviceSummary[];
  'devices.refresh': DeviceSummary[];
  'devices.addVirtual': DeviceSummary & { mnemonic: string | null };
  'devices.remove': { removed: true };
  'devices.identity': DeviceIdentity;
  'devices.signStatement': SignedStatement;
  'devices.encryptionKey': { deviceId: string; path: string; publicKey: string };
  'devices.prompts': DevicePrompt[];
  'devices.respond': { answered: true };
  'mpc.ping': MpcHostHealth;
}
export type ChannelResult<C extends Channel> = ChannelResults[C];

export const CHANNELS = Object.keys(channels) as Channel[];

/** Events main pushes to the renderer. */
export interface EventPayloads {
  'devices.changed': DeviceSummary[];
  'devices.prompt': DevicePrompt;
  'devices.promptEnded': { promptId: string; outcome: 'approved' | 'rejected' | 'cancelled' };
}
export type EventName = keyof EventPayloads;
export const EVENTS: EventName[] = ['devices.changed', 'devices.prompt', 'devices.promptEnded'];

// ---------------------------------------------------------------------------------------------------
// The client both bridges expose: one function per channel, nested by the name's dot ("devices.list" →
// custos.devices.list()), each answering a Result; and `on` for events.

type Split<S extends string> = S extends `${infer Head}.${infer Tail}` ? [Head, Tail] : never;
type Namespaces = Split<Channel>[0];
type MethodsOf<N extends string> = {
  [C in Channel as Split<C>[0] extends N ? Split<C>[1] : never]: (
    input?: ChannelInput<C>,
  ) => Promise<Result<ChannelResult<C>>>;
};
export type CustosApi = { [N in Namespaces]: MethodsOf<N> } & {
  on<E extends EventName>(event: E, listener: (payload: EventPayloads[E]) => void): () => void;
};

/** How a bridge reaches main: by IPC in Electron, by WebSocket in the browser host. */
export interface BridgeTransport {
  invoke(channel: Channel, input: unknown): Promise<Result<unknown>>;
  subscribe(event: EventName, listener: (payload: unknown) => void): () => void;
}

/** Builds the client from the channel list, so the preload and the shim expose exactly the same functions. */
export function createCustosApi(transport: BridgeTransport): CustosApi {
  const api: Record<string, Record<string, unknown>> = {};
  for (const channel of CHANNELS) {
    const [ns, method] = channel.split('.') as [string, string];
    api[ns] ??= {};
    api[ns][method] = (input?: unknown) => transport.invoke(channel, input ?? {});
  }
  const on = (event: EventName, listener: (payload: unknown) => void) => {
    if (!EVENTS.includes(event)) throw new Error(`unknown event "${String(event)}"`);
    return transport.subscribe(event, listener);
  };
  return Object.freeze({ ...api, on }) as unknown as CustosApi;
}

/** The channel set a client exposes, as "ns.method" names (for the test that both bridges match). */
export function exposedChannels(api: CustosApi): string[] {
  const names: string[] = [];
  for (const [ns, value] of Object.entries(api)) {
    if (typeof value !== 'object' || value === null) continue;
    for (const method of Object.keys(value)) names.push(`${ns}.${method}`);
  }
  return names.sort();
}
