// The vault's public surface for main: the service, its id generators and the default identity path.
export { VaultService, DEFAULT_IDENTITY_PATH } from './service';
export type { VaultServiceOptions, VaultServiceEvents } from './service';
export { randomIds, sequentialIds } from './ids';
export type { IdGenerator, IdKind } from './ids';
