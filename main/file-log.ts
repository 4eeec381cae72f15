// Main's log on disk: pino's JSON lines into size-rotated files in the data folder (rotating-file-stream), every value
// passed through the one redaction function first, the same lines on stderr, and the last ones kept for diagnostics.
import path from 'node:path';
import { once } from 'node:events';
import pino from 'pino';
import { createStream, type RotatingFileStream } from 'rotating-file-stream';
import { redact, type Logger } from './log';

export const LOG_FILE = 'custos.log';

export interface FileLogger extends Logger {
  /** The file being written now. */
  readonly file: string;
  /** The last lines this process logged (oldest first), as written: already redacted. */
  recent(count?: number): string[];
  close(): Promise<void>;
}

export interface FileLogOptions {
  /** Rotate when the file reaches this size (rotating-file-stream's notation: "5M"). */
  size?: string;
  /** Rotated files kept beside the current one (custos.log.1 … custos.log.N). */
  keep?: number;
  /** Also write each line to stderr (the desktop app and the browser host do; tests do not). */
  echo?: boolean;
}

const RECENT = 500;

export function fileLogger(dir: string, name: string, options: FileLogOptions = {}): FileLogger {
  const stream: RotatingFileStream = createStream(LOG_FILE, { path: dir, size: options.size ?? '5M', rotate: options.keep ?? 5 });
  const recent: string[] = [];
  const tee = {
    write(line: string): void {
      stream.write(line);
      recent.push(line.trimEnd());
      if (recent.length > RECENT) recent.splice(0, recent.length - RECENT);
      if (options.echo) process.stderr.write(line);
    },
  };
  const log = pino({ name, base: { name }, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) } }, tee);
  const at = (level: 'info' | 'warn' | 'error') => (message: string, data?: unknown) => {
    if (data === undefined) log[level](message);
    else log[level]({ data: redact(data) }, message);
  };
  return {
    file: path.join(dir, LOG_FILE),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    recent: (count = 200) => recent.slice(-count),
    async close() {
      stream.end();
      await once(stream, 'finish');
    },
  };
}
