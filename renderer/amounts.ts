// The console's amounts: the one module shared with the CLI (crypto/amounts.ts: pure string and bigint math).
export { btcToSats, formatBtc, formatSats, satsToBtc } from '../crypto/amounts';
