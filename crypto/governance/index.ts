// The governance layer's public surface: model types, rules, record statements, replay and state diff.
export * from './types.js';
export { configurationProblem, isActiveAdministrator, proposerCounts, tally } from './rules.js';
export type { Tally } from './rules.js';
export {
  lookupOf,
  describeAction,
  policyWords,
  registrationDigest,
  genesisDigest,
  proposalDigest,
  registrationStatement,
  genesisStatement,
  proposalStatement,
  decisionStatement,
  signedSeq,
} from './records.js';
export { rebaseRecord, sameSignedRecord } from './rebase.js';
export type { GovernanceLookup } from './records.js';
export { ReplayError, PLACEHOLDER_SIGNATURE } from './replay.js';
export type { ReplayErrorCode } from './replay.js';
export { Replayer, replay, replayErrors, replayReport, applyRecord, applyRecords, applyRecordChanges, checkRecordOnto } from './replayer.js';
export type { ReplayOptions, StateChanges } from './replayer.js';
export { findSorted } from './working.js';
export { stateDigest } from './state-digest.js';
export { diffState } from './diff.js';
export type { GovernanceProjection, StateDifference } from './diff.js';
export { checkRecord, checkUser, checkAction, ShapeError } from './validate.js';
export { shareUseStatement, ShareUseError } from './share-use.js';
export type { ShareUseSubject } from './share-use.js';
export { keyAttestationStatement, keyRecordDigest, addressVerificationStatement, walletAddress } from './wallet-key.js';
export { hostAnchorStatement } from './host-anchor.js';
export { nodeKeyFingerprint, nodeKeyStatement } from './node-key.js';
export type { HostAnchor } from './host-anchor.js';
export { checkShareUse } from './share-use.js';
export { ceremonyPlan } from './ceremony-plan.js';
export { singleDeskRefusal } from './team-mode.js';
export type { CeremonyPlan } from './ceremony-plan.js';
