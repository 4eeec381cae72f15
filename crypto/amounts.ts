// Bitcoin amounts as people type and read them (BTC) to sats as Custos keeps them, and back, with string and bigint math
// only: the one module for the console and the CLI.

/** Sats in one bitcoin. */
const SATS_PER_BTC = 100_000_000n;
/** Every bitcoin there will ever be, in sats: no amount typed here can be above it. */
const MAX_SATS = 21_000_000n * SATS_PER_BTC;

/**
 * The sats of an amount typed in BTC ("0.015", "1", ".5", "0,015"), as the decimal string main takes; or a
 * problem in plain words. No float ever holds the amount: "0.1" is 10000000 sats exactly, not 9999999.
 */
export function btcToSats(typed: string): { sats: string } | { problem: string } {
  const text = typed.trim().replace(',', '.');
  if (text === '') return { problem: 'Enter an amount in BTC.' };
  const match = /^(\d*)(?:\.(\d*))?$/.exec(text);
  if (!match || (match[1] === '' && (match[2] ?? '') === '')) return { problem: 'Write the amount in BTC with digits and one decimal point, like 0.015.' };
  const whole = (match[1] ?? '').replace(/^0+(?=\d)/, '');
  if (whole.length > 8) return { problem: 'That is more than 21 million BTC.' };
  const fraction = match[2] ?? '';
  if (fraction.length > 8) return { problem: 'Bitcoin has 8 decimals (1 sat = 0.00000001 BTC): use at most 8 digits after the point.' };
  const sats = BigInt(whole || '0') * SATS_PER_BTC + BigInt(fraction.padEnd(8, '0') || '0');
  if (sats === 0n) return { problem: 'The amount must be at least 1 sat (0.00000001 BTC).' };
  if (sats > MAX_SATS) return { problem: 'That is more than 21 million BTC.' };
  return { sats: sats.toString() };
}

/** 1500000 sats → "0.015" (no trailing zeros), as a device shows amounts; main's decimal strings are read as bigint. */
export function satsToBtc(sats: string | bigint): string {
  const value = typeof sats === 'bigint' ? sats : BigInt(sats);
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const whole = (abs / SATS_PER_BTC).toString();
  const fraction = (abs % SATS_PER_BTC).toString().padStart(8, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/** "0.015 BTC", the way the statement on the device writes it. */
export function formatBtc(sats: string | bigint): string {
  return `${satsToBtc(sats)} BTC`;
}

/** "1 500 000 sats": digits grouped by thousands with thin spaces, for reading a large count of sats. */
export function formatSats(sats: string | bigint): string {
  const digits = (typeof sats === 'bigint' ? sats : BigInt(sats)).toString();
  const negative = digits.startsWith('-');
  const body = negative ? digits.slice(1) : digits;
  const grouped = body.replace(/\B(?=(\d{3})+(?!\d))/g, '\u2009');
  return `${negative ? '-' : ''}${grouped} sat${body === '1' ? '' : 's'}`;
}
