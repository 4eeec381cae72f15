// The vault's stream on NATS JetStream: make or describe it (no delete, no purge), compare-and-append a record's body
// (idempotent by its hash), and read the entries after a stream sequence in batches.
import { jetstream, jetstreamManager, RetentionPolicy, StorageType, type JetStreamClient, type JetStreamManager, type StreamInfo } from '@nats-io/jetstream';
import { createHash } from 'node:crypto';
import { CustosError } from '../errors';
import { teamError, type NatsConnection } from './connection';
import { VAULT_ID } from './settings';

export const streamName = (vaultId: string): string => `CUSTOS_LOG_${checkVaultId(vaultId)}`;
export const logSubject = (vaultId: string): string => `custos.log.${checkVaultId(vaultId)}`;

/** JetStream's answer to a publish whose expected last sequence is not the stream's. */
const WRONG_LAST_SEQUENCE = 10071;
/** Entries read in one batch (requests in flight at once). */
export const READ_BATCH = 256;
/** Two minutes: a retried publish (lost ack, restart) inside it is answered "duplicate" instead of stored twice. */
const DUPLICATE_WINDOW_NS = 120 * 1_000_000_000;

export interface StreamDescription {
  readonly name: string;
  readonly subject: string;
  /** The last stream sequence (0 for an empty stream). */
  readonly lastSeq: number;
  readonly messages: number;
}

export class TeamStream {
  readonly name: string;
  readonly subject: string;
  private lastSeen = 0;

  private constructor(
    private readonly jsm: JetStreamManager,
    private readonly js: JetStreamClient,
    readonly vaultId: string,
    private readonly where: string,
    private readonly user: string | null,
  ) {
    this.name = streamName(vaultId);
    this.subject = logSubject(vaultId);
  }

  /**
   * The vault's stream, made when missing and `create` is allowed (its user needs the right to create streams). An
   * existing stream must forbid deleting and purging: the team log refuses one that allows either.
   */
  static async open(nc: NatsConnection, vaultId: string, options: { create: boolean; user: string | null }): Promise<TeamStream> {
    const where = nc.getServer();
    try {
      const jsm = await jetstreamManager(nc, { checkAPI: false });
      const stream = new TeamStream(jsm, jetstream(nc, { checkAPI: false }), vaultId, where, options.user);
      let info = await stream.info();
      if (info === null) {
        if (!options.create) throw new CustosError('TEAM_STREAM', `The team server ${where} has no log for vault ${vaultId} (stream ${stream.name}). Ask its administrator to create it, or join with a user that may.`);
        info = await jsm.streams.add({
          name: stream.name,
          subjects: [stream.subject],
          storage: StorageType.File,
          retention: RetentionPolicy.Limits,
          deny_delete: true,
          deny_purge: true,
          allow_rollup_hdrs: false,
          max_msgs: -1,
          max_bytes: -1,
          max_age: 0,
          duplicate_window: DUPLICATE_WINDOW_NS,
          num_replicas: 1,
        });
      }
      const c = info.config;
      if (c.deny_delete !== true || c.deny_purge !== true || c.allow_rollup_hdrs === true || c.subjects?.length !== 1 || c.subjects[0] !== stream.subject) {
        throw new CustosError('TEAM_STREAM', `The stream ${stream.name} on ${where} allows deleting, purging or rolling up entries (or takes other subjects): the team log needs deny_delete and deny_purge, no rollup, and the subject ${stream.subject} only. Ask the server's administrator to fix it.`);
      }
      stream.lastSeen = info.state.last_seq;
      return stream;
    } catch (err) {
      throw teamError(err, where, options.user);
    }
  }

  async describe(): Promise<StreamDescription> {
    const info = await this.guarded(() => this.info());
    if (info === null) throw new CustosError('TEAM_STREAM', `The stream ${this.name} is gone from ${this.where}.`);
    this.lastSeen = info.state.last_seq;
    return { name: this.name, subject: this.subject, lastSeq: info.state.last_seq, messages: info.state.messages };
  }

  /**
   * Appends `body` if the stream's last sequence is still `expectedLast`. `behind`: another entry came first, or the
   * stream already holds this very body (a retry after a lost ack): either way the caller reads what it missed.
   */
  async append(body: string, expectedLast: number): Promise<{ appended: number } | 'behind'> {
    const msgID = createHash('sha256').update(body, 'utf8').digest('hex');
    try {
      const ack = await this.js.publish(this.subject, body, { msgID, expect: { lastSequence: expectedLast } });
      if (ack.duplicate) return 'behind';
      this.lastSeen = Math.max(this.lastSeen, ack.seq);
      return { appended: ack.seq };
    } catch (err) {
      if ((err as { code?: unknown }).code === WRONG_LAST_SEQUENCE) return 'behind';
      throw teamError(err, this.where, this.user);
    }
  }

  /** The entries after `streamSeq`, in order, at most READ_BATCH (fetched in parallel); empty at the head. */
  async entriesAfter(streamSeq: number, batch = READ_BATCH): Promise<{ streamSeq: number; body: string }[]> {
    if (streamSeq >= this.lastSeen) await this.describe();
    const last = Math.min(this.lastSeen, streamSeq + batch);
    if (last <= streamSeq) return [];
    const seqs = Array.from({ length: last - streamSeq }, (_, i) => streamSeq + 1 + i);
    return this.guarded(() =>
      Promise.all(
        seqs.map(async (seq) => {
          const m = await this.jsm.streams.getMessage(this.name, { seq });
          // The stream forbids deleting entries: one missing means the server's store was altered.
          if (m === null) throw new CustosError('TEAM_STREAM', `Entry ${seq} of the stream ${this.name} is missing on ${this.where}: its store was altered. Tell the server's administrator; nothing was recorded.`);
          return { streamSeq: seq, body: new TextDecoder('utf-8', { fatal: false }).decode(m.data) };
        }),
      ),
    );
  }

  private async info(): Promise<StreamInfo | null> {
    try {
      return await this.jsm.streams.info(this.name);
    } catch (err) {
      if ((err as { name?: string }).name === 'StreamNotFoundError' || /stream not found/i.test((err as Error).message)) return null;
      throw err;
    }
  }

  private async guarded<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      throw teamError(err, this.where, this.user);
    }
  }
}

function checkVaultId(vaultId: string): string {
  if (!VAULT_ID.test(vaultId)) throw new CustosError('BAD_INPUT', `"${vaultId}" is not a vault id: letters, digits, '-' and '_', up to 64.`);
  return vaultId;
}
