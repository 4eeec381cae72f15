// The headless CLI (`custos …`, `npm run custos -- …`): the same services as the console, for scripts and operators.
import { parseArgs } from 'node:util';
import path from 'node:path';
import { defaultDataDir } from '../data-folder';
import { CustosError, toErrorData } from '../errors';
import { runDeviceCommand } from './device-commands';
import { runMpcCommand } from './mpc-commands';
import { runSignerCommand } from './signer-commands';
import { isVaultGroup, runVaultCommand } from './vault-commands';
import { runPolicyCommand } from './policy-commands';
import { runTransferCommand } from './transfer-commands';
import { runWalletCommand } from './wallet-commands';
import { runTeamCommand } from './team-commands';
import { runDemo } from './demo';
import { type CliContext, CliUsageError } from './context';

const USAGE = `Custos — vault console (headless)

Usage: custos <command> [options]

Devices:
  device list [--json]                          USB Ledgers found on this computer
  device address [--virtual] [--mnemonic M] [--path P] [--show] [--json]
                                                the identity (public key, address) at a path
  device sign-message --text T [--virtual] [--mnemonic M] [--path P] [--reject] [--json]
                                                an EIP-191 statement signed after the device showed it
Vault (each acting command signs on the acting person's device; --virtual needs --mnemonic, their phrase):
  vault init --name N --admin-name A [--path P]  create the vault (genesis): two screens on the first administrator's device
  vault status | vault verify                   the vault, and whether its store equals the replay of its signed log
  user add --name N --roles r1,r2 [--new-user-mnemonic M]
                                                the new user's device registers, then the proposer signs the proposal
  user list | user revoke <user> | user roles <user> --roles r1,r2
  group create --name N [--members a,b] | group edit <group> [--name N] [--members a,b] | group list
  quorum set <n>                                propose the administrators' quorum (the first one ends founding)
  vault team-mode                               propose the vault's move to team mode, for good: once approved, keys
                                                are made and used only by the custodians' signer nodes and the
                                                console's MPC host refuses to sign or to make or reshare keys
  proposal list [--status pending|approved|rejected|cancelled|failed]
  proposal approve <id> | proposal reject <id>  sign the decision on the device (--reject rejects on its screen)
  audit verify [--full]                         check the hash chain; prints the head to pin. --full: replay the
                                                signed log from genesis (every signature, the projection, the
                                                checkpoint, the chain), progress on stderr, then records per second
  audit export [--format json|csv] [--out FILE] the chain for offline checking (scripts/verify-audit-export.mjs)
  (<user> and <group> are ids or names; roles: administrator, operator, approver, auditor)
Wallets (FROST keys made by DKG in the MPC host; each share sealed to its custodian's device):
  wallet create --name N --threshold T --custodians a,b,c [--network regtest|signet|testnet|mainnet]
                                                propose a wallet; its DKG runs once approved (at once with --devices)
  wallet ceremony <wallet> [--node-dir D] [--timeout S]
                                                run the key ceremony the wallet owes (DKG, refresh, reshare); in a team
                                                (the only way there): a new wallet's DKG run by every approved
                                                custodian's signer node, each keeping its own sealed share (none is
                                                written here); D: your registered node (default: custos team node)
  wallet list | wallet show <wallet>
  wallet balance <wallet>                       its coins' total, what open requests hold, what is free, and the
                                                velocity its policy has used in each window
  wallet address <wallet> [--branch receive|change] [--from I] [--count N]
  wallet verify-address <wallet> [--branch receive|change] [--index I]
                                                a custodian's device shows the address and signs what it showed
  wallet descriptor <wallet>                    watch-only descriptors (Bitcoin Core importdescriptors, Sparrow)
  wallet refresh <wallet>                       propose new shares for the same key
  wallet reshare <wallet> --threshold T --custodians a,b,c,d
                                                propose a new threshold and/or custodians, same key and addresses
  (--devices "phrase; phrase; …": the custodians' virtual Ledgers, with --virtual)
Transfers (requests under the wallet's policy; the only way anything is signed):
  transfer create <wallet> --to ADDR --amount BTC --fee-rate N
                                                an operator requests a send from the wallet's coins, on their device
  transfer list [--wallet W] | transfer show <R-n>
  transfer approve <R-n> | transfer reject <R-n> | transfer cancel <R-n>
                                                the acting person's decision, signed on their device
  transfer sign <R-n> [--out FILE]              an allowed request signed by t custodians' devices (--devices) and the
                                                MPC host, which checks the evidence itself; --out: the signed PSBT
  transfer sign <R-n> [--node-dir D] [--custodians a,b] [--timeout S]
                                                in a team (the only way there): signed by t custodians' signer nodes
                                                through the relay; this console holds no share and asks no device
                                                (D: your registered node, for its keys; default: custos team node)
  psbt import <wallet> --psbt FILE|BASE64       a PSBT made elsewhere becomes a request (the operator's device signs it)
  psbt sign <wallet> --psbt FILE|BASE64 [--out FILE]
                                                no request carries this PSBT: import it (as psbt import) and say what it
                                                needs; its request is allowed: sign it (as transfer sign); else refuse
Policies and whitelists (documents in JSON; a proposal is signed on an administrator's device):
  policy show <wallet>                          the policy in force, its rules in words, its hash
  policy draft <wallet> [--out FILE]            the next version to edit (or a first policy: any transfer, 1 approval)
  policy simulate <wallet> --file FILE          how the wallet's requests would fare under a draft
  policy diff <wallet> --file FILE              what a draft changes against the policy in force, in words
  policy propose --file FILE                    propose the draft for adoption by the administrators' quorum
  whitelist list | whitelist show <whitelist>
  whitelist propose --file FILE                 a new whitelist (no "id") or a new version of one
Team log (the vault's signed log replicated on a NATS JetStream server; without it, the single desk):
  team join --server URL [--user U --password-file F] [--vault ID --genesis ADDR] [--create]
            [--ca FILE] [--cert FILE --key FILE]
                                                publish this vault's log to its team stream, or (an empty folder)
                                                adopt the log of vault ID whose genesis administrator is ADDR;
                                                --ca: the team's private CA (PEM) that signed the server's certificate,
                                                --cert/--key: this console's client certificate, if the server asks
  team status                                   server, connection, local head, stream's last entry, lag, refusals
  team pull | team push                         adopt what others appended | publish local records the stream lacks
  team node [--node-dir D | --clear]            the signer node this console coordinates with (its keys sign the
                                                session requests of its signings and key ceremonies)
  team export --after N --out FILE              records after seq N as a bundle file (an air-gapped console)
  team import FILE [--genesis ADDR]             adopt a bundle's records, each checked (ADDR for an empty folder)
  team server-config                            a nats-server config for IT: JetStream, TLS with the team's CA, and
                                                a user per member's console and signer node with its permissions
MPC host:
  mpc ping [--json]                             start the MPC host process and check it answers
Signer nodes (a custodian's own MPC party on their own machine; see docs/team.md):
  signer init --node-dir D                      make the node's folder and transport keys; prints their fingerprint
  signer register --node-dir D                  the acting custodian's device registers the node's keys in the log
                                                (it shows the fingerprint: compare it with what init printed)
  signer join --node-dir D --server URL --vault ID --genesis ADDR [--user U --password-file F]
              [--ca FILE] [--cert FILE --key FILE]
                                                the node's replica (D/replica) joins the team log
  signer import-share --node-dir D --data-dir C copy the node's custodian's sealed shares from the console C that ran
                                                the key ceremony (each checked against the log's digest)
  signer start --node-dir D                     run the node: follow the log, pin the gate on the custodian's device
                                                (once), answer session requests (JSON lines on stdout; SIGTERM stops)
  signer ping --node-dir D                      from a console in a team: which registered nodes are online, ready and
                                                at this console's head (D: your registered node folder, for its keys)
Other:
  demo [--json] [--data-dir DIR]                the whole custody flow, headless, on virtual Ledgers (a fresh folder unless given)
  demo --team [--json]                          the same with the log on a local nats-server (installed) and each transfer
                                                signed by three signer node processes, each holding one share

Common options:
  --json           one JSON object on stdout (errors too, as {"error": {code, message}})
  --data-dir DIR   where the vault's files live (default: the OS's application-data folder, as the desktop app:
                   ${defaultDataDir()}; CUSTOS_DATA_DIR overrides it)
  --virtual        use a virtual Ledger (keys in memory: NOT secure) instead of the first USB Ledger
  --mnemonic M     the virtual Ledger's BIP-39 phrase (default: a new random one, printed)
  --path P         BIP-32 path (default m/44'/60'/0'/0/0)
`;

function parseCli(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      json: { type: 'boolean', default: false },
      'data-dir': { type: 'string' },
      virtual: { type: 'boolean', default: false },
      mnemonic: { type: 'string' },
      path: { type: 'string', default: "m/44'/60'/0'/0/0" },
      text: { type: 'string' },
      show: { type: 'boolean', default: false },
      reject: { type: 'boolean', default: false },
      full: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      name: { type: 'string' },
      'admin-name': { type: 'string' },
      roles: { type: 'string' },
      members: { type: 'string' },
      status: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      'new-user-mnemonic': { type: 'string' },
      network: { type: 'string' },
      threshold: { type: 'string' },
      custodians: { type: 'string' },
      devices: { type: 'string' },
      branch: { type: 'string' },
      from: { type: 'string' },
      count: { type: 'string' },
      index: { type: 'string' },
      file: { type: 'string' },
      psbt: { type: 'string' },
      to: { type: 'string' },
      amount: { type: 'string' },
      'fee-rate': { type: 'string' },
      wallet: { type: 'string' },
      'node-dir': { type: 'string' },
      nodes: { type: 'boolean', default: false },
      timeout: { type: 'string' },
      server: { type: 'string' },
      user: { type: 'string' },
      'password-file': { type: 'string' },
      ca: { type: 'string' },
      cert: { type: 'string' },
      key: { type: 'string' },
      vault: { type: 'string' },
      genesis: { type: 'string' },
      create: { type: 'boolean', default: false },
      clear: { type: 'boolean', default: false },
      team: { type: 'boolean', default: false },
      after: { type: 'string' },
    },
  });
}

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseCli(argv);
  } catch (err) {
    process.stderr.write(`custos: ${(err as Error).message}\nRun custos --help.\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const ctx: CliContext = {
    json: values.json ?? false,
    dataDir: path.resolve(values['data-dir'] ?? defaultDataDir()),
    virtual: values.virtual ?? false,
    mnemonic: values.mnemonic,
    path: values.path ?? "m/44'/60'/0'/0/0",
    text: values.text,
    show: values.show ?? false,
    reject: values.reject ?? false,
    full: values.full ?? false,
    name: values.name,
    adminName: values['admin-name'],
    roles: values.roles,
    members: values.members,
    status: values.status,
    format: values.format,
    outFile: values.out,
    newUserMnemonic: values['new-user-mnemonic'],
    network: values.network,
    threshold: values.threshold,
    custodians: values.custodians,
    devices: values.devices,
    branch: values.branch,
    from: values.from,
    count: values.count,
    index: values.index,
    file: values.file,
    psbt: values.psbt,
    to: values.to,
    amount: values.amount,
    feeRate: values['fee-rate'],
    wallet: values.wallet,
    nodeDir: values['node-dir'] === undefined ? undefined : path.resolve(values['node-dir']),
    nodes: values.nodes ?? false,
    timeout: values.timeout,
    server: values.server,
    user: values.user,
    passwordFile: values['password-file'],
    caFile: values.ca,
    certFile: values.cert,
    keyFile: values.key,
    vault: values.vault,
    genesis: values.genesis,
    create: values.create ?? false,
    clear: values.clear ?? false,
    after: values.after,
    team: values.team ?? false,
    out: (line) => process.stdout.write(line + '\n'),
    err: (line) => process.stderr.write(line + '\n'),
  };
  const [group, command, ...args] = positionals;
  if (values.help || !group) {
    ctx.out(USAGE);
    return values.help ? 0 : 2;
  }
  try {
    if (group === 'device') return await runDeviceCommand(command, ctx);
    if (group === 'mpc') return await runMpcCommand(command, ctx);
    if (group === 'signer') return await runSignerCommand(command, { ...ctx, dataDirGiven: argv.some((a) => a === '--data-dir' || a.startsWith('--data-dir=')) });
    if (isVaultGroup(group)) return await runVaultCommand(group, command, args, ctx);
    if (group === 'wallet') return await runWalletCommand(command, args, ctx);
    if (group === 'team') return await runTeamCommand(command, args, ctx);
    if (group === 'transfer' || group === 'psbt') return await runTransferCommand(group, command, args, ctx);
    if (group === 'policy' || group === 'whitelist') return await runPolicyCommand(group, command, args, ctx);
    if (group === 'demo') return await runDemo({ ...ctx, dataDirGiven: argv.some((a) => a === '--data-dir' || a.startsWith('--data-dir=')) });
    throw new CliUsageError(`Unknown command "${group}". Run custos --help.`);
  } catch (err) {
    const data =
      err instanceof CliUsageError ? { code: 'BAD_INPUT' as const, message: err.message } : toErrorData(err);
    if (!(err instanceof CustosError) && !(err instanceof CliUsageError)) ctx.err(`custos: unexpected error: ${(err as Error)?.stack ?? String(err)}`);
    if (ctx.json) ctx.out(JSON.stringify({ error: data }));
    else ctx.err(`custos: ${data.message}`);
    return err instanceof CliUsageError ? 2 : 1;
  }
}

const isEntry = process.argv[1] && /cli[\\/]index\.(ts|js|mjs)$/.test(process.argv[1]);
if (isEntry) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`custos: ${(err as Error)?.message ?? String(err)}\n`);
      process.exit(2);
    },
  );
}
