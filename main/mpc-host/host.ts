// The MPC host's message handling: validates each request, hands it to the signer's gate, and never lets a bad message stop the host.
import { randomBytes } from '@noble/hashes/utils.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { CeremonyFault } from './ceremonies/common';
import { DkgPool } from './dkg-pool';
import { GateRefusal, LogBehind, SignerGate, type SignerStatus, type UnsealingParty } from './signer-gate';
import { HOST_VERSION, PROTOCOL_VERSION, READY_ID, errorCodeFor, parseHostRequest, type HostReply, type HostRequest, type LogTail } from './protocol';
import type { HostPort } from './port';
import { groupKeyToWire, sealedShareToWire } from './wire';

export interface HostOptions {
  port: HostPort;
  pid: number;
  /** Milliseconds since some fixed point; uptime and progress spacing are measured with it. */
  now: () => number;
  /** How the host ends; a parameter so the wiring is testable without exiting the test runner. */
  exit: (code: number) => void;
  /** Where the host's own diagnostics go (stderr): never stdout, which the CLI keeps for its JSON. */
  warn: (line: string) => void;
  /** The signer's own folder (its journal); null: it refuses everything that needs one. */
  dataDir?: string | null;
  /** Wall-clock ms, for delays, velocity windows and receipt times (Date.now in the process). */
  wallClock?: () => number;
  /** How many pinned records the checkpoint may lag (default CHECKPOINT_EVERY). */
  checkpointEvery?: number;
}

type Answered = Exclude<HostRequest, { type: 'shutdown' }>;

/** Starts answering on the port and announces readiness. */
export function runHost(options: HostOptions): void {
  const { port, pid, now, exit, warn } = options;
  const startedAt = now();
  let stopping = false;
  const gate = new SignerGate({
    dataDir: options.dataDir ?? null,
    now: options.wallClock ?? (() => Date.now()),
    // Always the CSPRNG: there is deliberately no option or environment switch that could hand the host a weaker one.
    rng: randomBytes,
    monotonic: now,
    pause: () => new Promise((resolve) => setImmediate(resolve)),
    // Its threads start with the first DKG (a host that only signs never pays for them).
    dkgPool: new DkgPool(),
    warn,
    ...(options.checkpointEvery !== undefined ? { checkpointEvery: options.checkpointEvery } : {}),
  });
  const envelope = (request: { id: string }) => ({ v: PROTOCOL_VERSION, id: request.id }) as const;
  const state = (request: { id: string }, s: SignerStatus): HostReply => ({ ...envelope(request), type: 'signer.state', ...s, notice: s.notice ?? null });
  const tailOf = (r: LogTail): LogTail => ({ fromSeq: r.fromSeq, records: r.records, head: r.head });

  const refuse = (request: Answered, err: unknown): HostReply => {
    const ceremonyId = 'ceremonyId' in request ? request.ceremonyId : undefined;
    if (err instanceof LogBehind) {
      return { ...envelope(request), type: 'error', code: 'MPC_PROTOCOL', message: err.message, ...(ceremonyId ? { ceremonyId } : {}), resendFrom: err.resendFrom };
    }
    if (err instanceof GateRefusal) {
      warn(`mpc-host: ${request.type} refused: ${err.message}`);
      return { ...envelope(request), type: 'error', code: err.code, message: clip(err.message), ...(ceremonyId ? { ceremonyId } : {}) };
    }
    if (err instanceof CeremonyFault) {
      warn(`mpc-host: ${request.type} ${ceremonyId ?? ''} failed (${err.kind}): ${err.message}${err.kind === 'internal' ? whereFrom(err.cause) : ''}`);
      return { ...envelope(request), type: 'error', code: errorCodeFor(err.kind), message: clip(err.message), ...(ceremonyId ? { ceremonyId } : {}), culprit: err.culprit, failure: err.kind };
    }
    warn(`mpc-host: "${request.type}" failed:${whereFrom(err)}`);
    return { ...envelope(request), type: 'error', code: 'INTERNAL', message: `The MPC host could not handle "${request.type}"; it is still running.` };
  };

  const progress = (request: Answered & { ceremonyId: string }) => (p: { step: (HostReply & { type: 'progress' })['step']; done: number; total: number }) =>
    port.post({ ...envelope(request), type: 'progress', ceremonyId: request.ceremonyId, ...p });

  const unsealing = (parties: { partyId: string; sealed: string; unsealSecret: string; useSignature: string }[]): UnsealingParty[] =>
    parties.map((s) => ({ partyId: s.partyId, sealed: hexToBytes(s.sealed), unsealSecret: hexToBytes(s.unsealSecret), useSignature: s.useSignature }));

  const work = (request: Answered): Promise<HostReply> => {
    switch (request.type) {
      case 'ping':
        return Promise.resolve({
          ...envelope(request),
          type: 'pong',
          protocolVersion: PROTOCOL_VERSION,
          hostVersion: HOST_VERSION,
          pid,
          uptimeMs: Math.max(0, Math.round(now() - startedAt)),
          echo: request.echo ?? null,
        });
      case 'signer.status':
        return Promise.resolve(state(request, gate.status()));
      case 'anchor.pin':
        return gate.pinAnchor(request).then((s) => state(request, s));
      case 'log.sync':
        return gate.sync(tailOf(request)).then(({ seq }): HostReply => ({ ...envelope(request), type: 'log.synced', seq }));
      case 'transfer.sign': {
        const signers = unsealing(request.signers);
        return gate
          .signTransfer({ ceremonyId: request.ceremonyId, requestId: request.requestId, log: tailOf(request), signers }, progress(request))
          .then(
            (out): HostReply => ({
              ...envelope(request),
              type: 'transfer.signed',
              ceremonyId: request.ceremonyId,
              requestId: request.requestId,
              ruleId: out.ruleId,
              signatures: out.signatures.map((s) => ({ index: s.index, signature: bytesToHex(s.signature) })),
            }),
          )
          .finally(() => wipe(signers));
      }
      case 'wallet.keygen':
        return gate
          .keygen({ ceremonyId: request.ceremonyId, walletId: request.walletId, log: tailOf(request), parties: request.parties }, progress(request))
          .then((out) => keyed(request, out));
      case 'wallet.reshare': {
        const dealers = unsealing(request.dealers);
        return gate
          .reshare({ ceremonyId: request.ceremonyId, walletId: request.walletId, log: tailOf(request), dealers }, progress(request))
          .then((out) => keyed(request, out))
          .finally(() => wipe(dealers));
      }
    }
  };

  const keyed = (request: { id: string }, out: Awaited<ReturnType<SignerGate['keygen']>>): HostReply => ({
    ...envelope(request),
    type: 'wallet.keyed',
    ceremonyId: out.ceremonyId,
    walletId: out.walletId,
    ceremony: out.ceremony,
    keyVersion: out.keyVersion,
    groupKey: groupKeyToWire(out.groupKey),
    shares: out.shares.map(sealedShareToWire),
  });

  port.onMessage((data) => {
    if (stopping) return;
    const parsed = parseHostRequest(data);
    if (!parsed.ok) {
      warn(`mpc-host: refused a message: ${parsed.error.message}`);
      port.post({ v: PROTOCOL_VERSION, id: parsed.error.id, type: 'error', code: 'MPC_PROTOCOL', message: parsed.error.message });
      return;
    }
    const request = parsed.value;
    if (request.type === 'shutdown') {
      stopping = true;
      gate.stop();
      // Let the current turn finish (pending posts flush) before the process ends.
      setImmediate(() => exit(0));
      return;
    }
    let reply: Promise<HostReply>;
    try {
      reply = work(request);
    } catch (err) {
      // A fault in one request must not take down the host; its text stays in the host's log, not in the reply.
      reply = Promise.reject(err);
    }
    reply.then(
      (r) => port.post(r),
      (err: unknown) => port.post(refuse(request, err)),
    );
  });

  port.onParentGone(() => {
    // Without main nobody can ask for or receive anything; a host left behind would only hold memory.
    stopping = true;
    gate.stop();
    exit(0);
  });

  port.post({ v: PROTOCOL_VERSION, id: READY_ID, type: 'ready', protocolVersion: PROTOCOL_VERSION, hostVersion: HOST_VERSION, pid });
}

function wipe(parties: UnsealingParty[]): void {
  for (const p of parties) p.unsealSecret.fill(0);
}

/**
 * Where an unexpected error came from, for the host's log: its type and stack frames, not its message, which a library
 * may have filled with the value it choked on (a share, a nonce).
 */
function whereFrom(err: unknown): string {
  if (!(err instanceof Error) || err.name === 'CeremonyError') return '';
  const frames = (err.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  return `\n${err.name}\n${frames.join('\n')}`;
}

const clip = (text: string): string => (text.length > 1900 ? `${text.slice(0, 1900)}…` : text);
