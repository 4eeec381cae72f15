// The logger main uses, and the one redaction function that keeps secrets out of every log line.
const SECRET_KEY = /mnemonic|secret|share|private|nonce|seed|password|token/i;

/** Replaces the value of every secret-looking key (at any depth) with "[redacted]". */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? '[redacted]' : redact(v, depth + 1);
  return out;
}

export interface Logger {
  info(message: string, data?: unknown): void;
  warn(message: string, data?: unknown): void;
  error(message: string, data?: unknown): void;
}

export function consoleLogger(prefix = 'custos'): Logger {
  const line = (level: string, message: string, data?: unknown) =>
    `${new Date().toISOString()} ${prefix} ${level} ${message}${data === undefined ? '' : ' ' + JSON.stringify(redact(data))}`;
  return {
    info: (m, d) => console.error(line('info', m, d)),
    warn: (m, d) => console.error(line('warn', m, d)),
    error: (m, d) => console.error(line('error', m, d)),
  };
}

export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };
