// What every CLI command receives: parsed options and where to write.
export interface CliContext {
  json: boolean;
  dataDir: string;
  /** Whether --data-dir was given (the demo uses a fresh folder otherwise). */
  dataDirGiven?: boolean;
  virtual: boolean;
  mnemonic: string | undefined;
  path: string;
  text: string | undefined;
  show: boolean;
  reject: boolean;
  /** audit verify --full: replay the signed log from genesis. */
  full?: boolean;
  /** Vault commands' options (undefined when not given). */
  name?: string;
  adminName?: string;
  roles?: string;
  members?: string;
  status?: string;
  format?: string;
  outFile?: string;
  newUserMnemonic?: string;
  /** Wallet commands' options. */
  network?: string;
  threshold?: string;
  custodians?: string;
  /** Virtual custodians' BIP-39 phrases, separated by ';' (with --virtual). */
  devices?: string;
  branch?: string;
  from?: string;
  count?: string;
  /** An address index (wallet verify-address). */
  index?: string;
  /** A JSON document to read (policy simulate|propose, whitelist propose). */
  file?: string;
  psbt?: string;
  /** Transfer commands' options: destination, amount in BTC as typed, fee rate in sat/vB, a wallet filter. */
  to?: string;
  amount?: string;
  feeRate?: string;
  wallet?: string;
  /**
   * A signer node's folder (signer commands; in a team, transfer sign and wallet ceremony: the coordinating user's node,
   * for its keys, instead of the one `team node` set).
   */
  nodeDir?: string;
  /** transfer sign / wallet ceremony --nodes: says the signer nodes are meant (the only way in a team; refused on a single desk). */
  nodes?: boolean;
  /** In a team, transfer sign / wallet ceremony: how long the signing, or the DKG and then its attestations, may take, in seconds. */
  timeout?: string;
  /** team node --clear: forget the node this console coordinates with. */
  clear?: boolean;
  /** Team commands' options: server URL(s), NATS user and password file, the vault and genesis to join, bundle seq. */
  server?: string;
  user?: string;
  passwordFile?: string;
  /** team join / signer join: TLS files (the team's private CA; this console's client certificate and key). */
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  vault?: string;
  genesis?: string;
  create?: boolean;
  after?: string;
  /** demo --team: the log on a local nats-server, signed by three signer node processes. */
  team?: boolean;
  out(line: string): void;
  err(line: string): void;
}

/** A mistake in how the command was called (exit code 2). */
export class CliUsageError extends Error {}
