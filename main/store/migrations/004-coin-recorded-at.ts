// Migration 4: when the console learned of each coin (recorded by a person, or the change of a signed transfer), so a
// wallet's balance can be drawn over time. Coins recorded before have no date (NULL); the balance history places them
// at their wallet key's date, the earliest they could have paid it.
import type { Migration } from './types';

export const migration004: Migration = {
  version: 4,
  name: 'coin-recorded-at',
  sql: `
ALTER TABLE utxos ADD COLUMN recorded_at TEXT;
`,
};
