// Bitcoin side of a FROST wallet: Taproot addresses, descriptors, PSBT signing and simple sends.
export { BITCOIN_NETWORKS, addressProblem, networkParams, taprootAddress, taprootPayment, taprootScript } from './address.js';
export type { BitcoinNetwork } from './address.js';
export { descriptorChecksum, hasValidChecksum, taprootDescriptor, taprootHdDescriptor, withChecksum } from './descriptor.js';
export { buildSend, insertTaprootSignatures, taprootSighashes } from './psbt.js';
export type { KeyPathInput, Payment, Utxo } from './psbt.js';
