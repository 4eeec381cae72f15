// The MPC relay for Node processes (signer nodes, consoles): sessions, ceremony drivers, transports (NATS, files) and permissions.
export { DkgDriver, ReshareDriver, SignDriver } from './drivers';
export type { CeremonyDriver, CeremonyMessage, DkgResult, ReshareResult, SignResult } from './drivers';
export { DEFAULT_RESEND_MS, RelaySession, RelaySessionError } from './session';
export type { RelayEvent, RelaySessionErrorCode, RelaySessionOptions, RelaySessionResult } from './session';
export { partyPublishSubject, partySubscribeSubject, relaySubject, subjectToken, SUBJECT_PREFIX } from './transport';
export type { RelayRoute, RelaySubscription, RelayTransport } from './transport';
export { NatsRelayTransport } from './nats-transport';
export { BUNDLE_FORMAT, FileRelayTransport, RelayBundleError, RelayCourier, decodeBundle, encodeBundle } from './file-transport';
export type { BundleEntry } from './file-transport';
export { consolePermissions, relayCoordinatorPermissions, relayPartyPermissions, signerNodePermissions, teamAdminPermissions, teamLogPermissions } from './permissions';
export type { NatsPermissions } from './permissions';
