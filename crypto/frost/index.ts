// The FROST layer's public surface: ceremonies (DKG, signing, refresh/reshare), HD derivation, shared types.
export { dkgAbort, dkgFinish, dkgStart, dkgStep } from './dkg.js';
export type { DkgConfig, DkgMessage, DkgPhase, DkgPublicState, DkgRound1Message, DkgRound2Message, DkgSecretState, DkgState, DkgStepResult } from './dkg.js';
export { commitNonces, messagesDigest, signAbort, signStart, signStep, signWithNonces, wipeNonces } from './sign.js';
export type { NonceCommitment, SignCommitMessage, SigningConfig, SigningNonces, SignMessage, SignPhase, SignPublicState, SignShareMessage, SignState, SignStepResult } from './sign.js';
export { reshareAbort, reshareFinish, reshareStart, reshareStep } from './reshare.js';
export type { ReshareCommitMessage, ReshareConfig, ReshareMessage, ReshareMode, ResharePublicState, ReshareShareMessage, ReshareState, ReshareStepResult } from './reshare.js';
export { HARDENED, changePath, deriveChildKey, deriveChildShare, extendedPublicKey, receivePath } from './hd.js';
export type { ChildKey } from './hd.js';
export { mixedRng, seededRng, sessionRng } from './entropy.js';
export { CeremonyError } from './errors.js';
export type { CeremonyErrorCode, CeremonyFailure } from './errors.js';
export { BROADCAST, COORDINATOR } from './types.js';
export type { GroupKey, MessageHeader, PartyId, PublicPackage, Recipient, Rng, SecretShare } from './types.js';
export { wipeBytes, wipeShare } from './wipe.js';
export { partyIdFor } from './party-id.js';
