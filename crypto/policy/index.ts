// The policy engine's public surface: the model, documents and hashes, evaluation and the simulator.
export * from './types.js';
export { PolicyError } from './fields.js';
export { validatePolicy, policyDocument, canonicalPolicy, policyHash, policyReferenceProblems } from './document.js';
export type { PolicyDocument, RuleDocument, VelocityLimitDocument } from './document.js';
export { validateWhitelist, whitelistDocument, canonicalWhitelist, whitelistHash, canonicalAddress } from './whitelist.js';
export type { WhitelistDocument } from './whitelist.js';
export { evaluate } from './evaluate.js';
export type { EvaluationInput } from './evaluate.js';
export { simulate, classify } from './simulate.js';
export type { SimulationCase, SimulationInput, SimulationResult, SimulationReport, SimulationChange, OutcomeSummary } from './simulate.js';
export { assignSeats } from './matching.js';
export type { Assignment } from './matching.js';
export { velocityUsage } from './velocity.js';
