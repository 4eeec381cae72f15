// A hostile relay for tests and the bench: a TCP proxy in front of nats-server that reads the NATS text protocol and drops, repeats, delays, reorders, replays, misroutes or corrupts what parties publish.
import net from 'node:net';

/** One PUB (or HPUB) as a client sent it. `headers` is the raw NATS header block of an HPUB, kept as is. */
export type PubFrame = { subject: string; reply: string | null; headers: Buffer | null; payload: Buffer; conn: number; seq: number };

/** What to send upstream instead of a frame: any number of frames (none drops it), each after an optional delay. */
export type Forward = { subject: string; payload: Uint8Array; delayMs?: number };

/** Decides what becomes of each PUB. Called in the order frames arrive on each connection. */
export type Policy = (frame: PubFrame, relay: MaliciousRelay) => Forward[] | Promise<Forward[]>;

export const pass = (f: PubFrame): Forward[] => [{ subject: f.subject, payload: f.payload }];

/**
 * Acts only on what clients publish (PUB/HPUB): every attack on a message can be made there, once, before the server
 * fans it out; frames from the server (MSG/HMSG, INFO, PING…) pass unchanged (their bytes are captured). `hopDelayMs`
 * delays every published message by that much: one hop, party → relay → party.
 */
export class MaliciousRelay {
  policy: Policy = pass;
  hopDelayMs: number;
  /** Every PUB seen, in arrival order (a replaying policy picks from here). */
  readonly frames: PubFrame[] = [];
  private readonly chunks: Buffer[] = [];
  private readonly capture: boolean;
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  private connCount = 0;
  private seq = 0;

  constructor(private readonly upstreamPort: number, opts: { hopDelayMs?: number; capture?: boolean } = {}) {
    this.hopDelayMs = opts.hopDelayMs ?? 0;
    this.capture = opts.capture ?? true;
  }

  /** Listens on 127.0.0.1 (random port) and answers the port. */
  async start(): Promise<number> {
    this.server = net.createServer((client) => this.accept(client));
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    return (this.server.address() as net.AddressInfo).port;
  }

  /** All bytes that passed, both ways. */
  captured(): Buffer {
    return Buffer.concat(this.chunks);
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private record(b: Buffer): void {
    if (this.capture) this.chunks.push(Buffer.from(b));
  }

  private accept(client: net.Socket): void {
    const conn = ++this.connCount;
    const upstream = net.connect(this.upstreamPort, '127.0.0.1');
    this.sockets.add(client);
    this.sockets.add(upstream);
    const closeBoth = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', closeBoth);
    upstream.on('error', closeBoth);
    client.on('close', closeBoth);
    upstream.on('close', closeBoth);
    upstream.on('data', (b: Buffer) => {
      this.record(b);
      client.write(b);
    });
    let buf = Buffer.alloc(0);
    // Frames are handled one at a time, so an async policy cannot reorder them unless it means to.
    let chain = Promise.resolve();
    const send = (b: Buffer): void => {
      if (!upstream.destroyed) upstream.write(b);
    };
    client.on('data', (b: Buffer) => {
      this.record(b);
      buf = Buffer.concat([buf, b]);
      for (;;) {
        const eol = buf.indexOf('\r\n');
        if (eol < 0) return;
        const line = buf.subarray(0, eol).toString('latin1');
        const op = line.split(' ', 1)[0]?.toUpperCase();
        if (op !== 'PUB' && op !== 'HPUB') {
          const raw = buf.subarray(0, eol + 2);
          buf = buf.subarray(eol + 2);
          chain = chain.then(() => send(Buffer.from(raw)));
          continue;
        }
        const parts = line.split(' ').filter((x) => x.length > 0);
        const total = Number(parts[parts.length - 1]);
        const hdrLen = op === 'HPUB' ? Number(parts[parts.length - 2]) : 0;
        if (buf.length < eol + 2 + total + 2) return;
        const body = buf.subarray(eol + 2, eol + 2 + total);
        buf = buf.subarray(eol + 2 + total + 2);
        const subject = parts[1] as string;
        const reply = parts.length === (op === 'HPUB' ? 5 : 4) ? (parts[2] as string) : null;
        const frame: PubFrame = {
          subject,
          reply,
          headers: op === 'HPUB' ? Buffer.from(body.subarray(0, hdrLen)) : null,
          payload: Buffer.from(body.subarray(hdrLen)),
          conn,
          seq: ++this.seq,
        };
        this.frames.push(frame);
        chain = chain.then(async () => {
          let out: Forward[];
          try {
            out = await this.policy(frame, this);
          } catch (err) {
            // A policy that cannot read a frame lets it pass, and says so: a test should not hide its own mistake.
            console.error(`malicious relay: the policy failed on a frame to ${frame.subject}: ${(err as Error).message}`);
            out = pass(frame);
          }
          for (const f of out) {
            const bytes = encodePub(f, frame);
            const delay = (f.delayMs ?? 0) + this.hopDelayMs;
            if (delay > 0) setTimeout(() => send(bytes), delay);
            else send(bytes);
          }
        });
      }
    });
  }
}

function encodePub(f: Forward, original: PubFrame): Buffer {
  const reply = original.reply === null ? '' : ` ${original.reply}`;
  const payload = Buffer.from(f.payload);
  if (original.headers === null) return Buffer.concat([Buffer.from(`PUB ${f.subject}${reply} ${payload.length}\r\n`), payload, Buffer.from('\r\n')]);
  const h = original.headers;
  return Buffer.concat([Buffer.from(`HPUB ${f.subject}${reply} ${h.length} ${h.length + payload.length}\r\n`), h, payload, Buffer.from('\r\n')]);
}
