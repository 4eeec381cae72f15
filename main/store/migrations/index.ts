// Every schema migration this build knows, in order: add 002-… here and the store applies it at start.
import { migration001 } from './001-init';
import { migration002 } from './002-wallets';
import { migration003 } from './003-key-since';
import { migration004 } from './004-coin-recorded-at';
import { migration005 } from './005-checkpoint';
import { migration006 } from './006-node-key';
import { migration007 } from './007-team-entries';
import type { Migration } from './types';

export type { Migration } from './types';
export const MIGRATIONS: readonly Migration[] = [migration001, migration002, migration003, migration004, migration005, migration006, migration007];
export const LATEST_SCHEMA_VERSION = MIGRATIONS.length;
