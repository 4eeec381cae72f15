// The MPC host's message handling: validates each request, answers it, and never lets a bad message stop the host.
import { randomBytes } from '@noble/hashes/utils.js';
import { hexToBytes, bytesToHex } from '@noble/hashes/utils.js';
import { CeremonyService } from './ceremony-service';
import { CeremonyFault } from './ceremonies/common';
import { runSign } from './ceremonies/sign';
import { GateRefusal, TransferGate } from './transfer-gate';
import { errorCodeFor, type LogSyncRequest, type TransferSignRequest } from './protocol';
import { HOST_VERSION, PROTOCOL_VERSION, READY_ID, isCeremonyRequest, parseHostRequest, type HostReply, type HostRequest } from './protocol';
import type { HostPort } from './port';

export interface HostOptions {
  port: HostPort;
  pid: number;
  /** Milliseconds since some fixed point; uptime is measured with it. */
  now: () => number;
  /** How the host ends; a parameter so the wiring is testable without exiting the test runner. */
  exit: (code: number) => void;
  /** Where the host's own diagnostics go (stderr): never stdout, which the CLI keeps for its JSON. */
  warn: (line: string) => void;
  /** The host's own folder (pinned log, signed ledger); null: it refuses transfers. */
  dataDir?: string | null;
  /** Wall-clock ms, for delays and velocity windows (Date.now in the process). */
  wallClock?: () => number;
}

/** Starts answering on the port and announces readiness. */
export function runHost(options: HostOptions): void {
  const { port, pid, now, exit, warn } = options;
  const startedAt = now();
  let stopping = false;
  // Always the CSPRNG: there is deliberately no option or environment switch that could hand the host a weaker one.
  const ceremonies = new CeremonyService({ post: (reply) => port.post(reply), warn, rng: randomBytes, now });
  const gate = new TransferGate({
    dataDir: options.dataDir ?? null,
    now: options.wallClock ?? (() => Date.now()),
    sign: (params) => runSign(params, { rng: randomBytes, now, pause: () => new Promise((resolve) => setImmediate(resolve)) }),
  });
  const refuse = (request: LogSyncRequest | TransferSignRequest, err: unknown): HostReply => {
    const code = err instanceof GateRefusal ? 'POLICY_DENIED' : err instanceof CeremonyFault ? errorCodeFor(err.kind) : 'INTERNAL';
    const message = err instanceof GateRefusal || err instanceof CeremonyFault ? err.message : `The MPC host could not handle "${request.type}"; it is still running.`;
    warn(`mpc-host: ${request.type} refused: ${err instanceof Error ? err.message : String(err)}`);
    return { v: PROTOCOL_VERSION, id: request.id, type: 'error', code, message: message.slice(0, 1900) };
  };
  const answer = (request: LogSyncRequest | TransferSignRequest, work: Promise<HostReply>): null => {
    work.then((reply) => port.post(reply), (err: unknown) => port.post(refuse(request, err)));
    return null;
  };

  const handle = (request: HostRequest): HostReply | null => {
    if (isCeremonyRequest(request)) {
      // Answered later, by the ceremony's own reply (or error) once it has run.
      ceremonies.submit(request);
      return null;
    }
    switch (request.type) {
      case 'ping':
        return {
          v: PROTOCOL_VERSION,
          id: request.id,
          type: 'pong',
          protocolVersion: PROTOCOL_VERSION,
          hostVersion: HOST_VERSION,
          pid,
          uptimeMs: Math.max(0, Math.round(now() - startedAt)),
          echo: request.echo ?? null,
        };
      case 'log.sync':
        return answer(request, gate.sync(request.records).then(({ seq }) => ({ v: PROTOCOL_VERSION, id: request.id, type: 'log.synced', seq }) as HostReply));
      case 'transfer.sign': {
        const signers = request.signers.map((s) => ({ partyId: s.partyId, sealed: hexToBytes(s.sealed), unsealSecret: hexToBytes(s.unsealSecret) }));
        const work = gate.sign({ ceremonyId: request.ceremonyId, requestId: request.requestId, records: request.records, signers }).finally(() => {
          for (const s of signers) s.unsealSecret.fill(0);
        });
        return answer(
          request,
          work.then(
            (out): HostReply => ({
              v: PROTOCOL_VERSION,
              id: request.id,
              type: 'transfer.signed',
              ceremonyId: request.ceremonyId,
              requestId: request.requestId,
              ruleId: out.ruleId,
              signatures: out.signatures.map((s) => ({ index: s.index, signature: bytesToHex(s.signature) })),
            }),
          ),
        );
      }
      case 'shutdown':
        stopping = true;
        ceremonies.stop();
        // Let the current turn finish (pending posts flush) before the process ends.
        setImmediate(() => exit(0));
        return null;
    }
  };

  port.onMessage((data) => {
    if (stopping) return;
    const parsed = parseHostRequest(data);
    if (!parsed.ok) {
      warn(`mpc-host: refused a message: ${parsed.error.message}`);
      port.post({ v: PROTOCOL_VERSION, id: parsed.error.id, type: 'error', code: 'MPC_PROTOCOL', message: parsed.error.message });
      return;
    }
    let reply: HostReply | null;
    try {
      reply = handle(parsed.value);
    } catch (err) {
      // A fault in one request must not take down the host; its text stays in the host's log, not in the reply.
      warn(`mpc-host: "${parsed.value.type}" failed: ${(err as Error)?.stack ?? String(err)}`);
      reply = {
        v: PROTOCOL_VERSION,
        id: parsed.value.id,
        type: 'error',
        code: 'INTERNAL',
        message: `The MPC host could not handle "${parsed.value.type}"; it is still running.`,
      };
    }
    if (reply) port.post(reply);
  });

  port.onParentGone(() => {
    // Without main nobody can ask for or receive anything; a host left behind would only hold memory.
    stopping = true;
    ceremonies.stop();
    exit(0);
  });

  port.post({ v: PROTOCOL_VERSION, id: READY_ID, type: 'ready', protocolVersion: PROTOCOL_VERSION, hostVersion: HOST_VERSION, pid });
}
