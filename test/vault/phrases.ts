// Standard BIP-39 test phrases, one person each (importable outside vitest, e.g. by the crash test's writer process).
/** Standard BIP-39 test phrases: one person each. */
export const PHRASES = {
  alice: 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about',
  bob: 'legal winner thank year wave sausage worth useful legal winner thank yellow',
  carol: 'letter advice cage absurd amount doctor acoustic avoid letter advice cage above',
  dave: 'zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong',
  erin: 'test test test test test test test test test test test junk',
  mallory: 'scheme spot photo card baby mountain device kick cradle pact join borrow',
} as const;
