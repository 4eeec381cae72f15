// The MPC relay's pure layer: transport keys, the payload codec, signed and HPKE-sealed envelopes, the echo check.
export { decodePayload, encodePayload, MAX_PAYLOAD_BYTES, PayloadCodecError } from './codec.js';
export type { PayloadValue } from './codec.js';
export { compareEcho, readEcho } from './echo.js';
export type { EchoContext, EchoEntry, EchoPayload, EchoVerdict } from './echo.js';
export {
  MAX_ACKS_PER_ENVELOPE, RELAY_CAUSED, RELAY_PROTOCOL_VERSION, RelayOpenError, checkHeader, contentHash, decodeEnvelope, encodeEnvelope, openEnvelope,
  envelopeBodyHash, evidenceOf, readHeader, sealEnvelope, verifyEnvelopeSignature, verifyEvidence,
} from './envelope.js';
export type { Envelope, EnvelopeEvidence, EnvelopeHeader, OpenContext, Opened, RelayOpenErrorCode } from './envelope.js';
export { publicTransportKeys, transportKeysFromSeed, wipeTransportKeys } from './keys.js';
export type { TransportDirectory, TransportKeys, TransportPublicKeys } from './keys.js';
