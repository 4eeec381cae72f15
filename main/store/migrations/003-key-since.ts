// Migration 3: when each wallet's key in force was recorded (seq and time of its wallet-key record), for policies that
// ask for a refresh of the shares after a number of signatures or days. Filled for existing keys from the log.
import type { Migration } from './types';

export const migration003: Migration = {
  version: 3,
  name: 'wallet-key-since',
  sql: `
ALTER TABLE wallets ADD COLUMN key_since TEXT;
UPDATE wallets SET key_since = (
  SELECT json_object('seq', r.seq, 'at', json_extract(r.body, '$.createdAt'))
  FROM records r
  WHERE r.type = 'wallet-key' AND json_extract(r.body, '$.walletId') = wallets.id
  ORDER BY r.seq DESC LIMIT 1
) WHERE key IS NOT NULL;
`,
};
