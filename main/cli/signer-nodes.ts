// The custodians' signer nodes as a CLI command reaches them in a team: --node-dir (else the team settings' node),
// --custodians and --timeout for this run.
import { TeamNodes } from '../signer/team-nodes';
import type { VaultService } from '../vault';
import { type CliContext, CliUsageError } from './context';

export function teamNodes(ctx: CliContext, vault: VaultService): TeamNodes {
  const timeout = ctx.timeout === undefined ? undefined : Number(ctx.timeout);
  if (timeout !== undefined && (!Number.isFinite(timeout) || timeout < 1 || timeout > 900)) throw new CliUsageError('--timeout: seconds, from 1 to 900.');
  const only = ctx.custodians?.split(',').map((s) => s.trim()).filter(Boolean);
  return new TeamNodes({
    dataDir: ctx.dataDir,
    vault,
    ...(ctx.nodeDir === undefined ? {} : { nodeDir: ctx.nodeDir }),
    ...(only === undefined ? {} : { only }),
    ...(timeout === undefined ? {} : { sessionMs: timeout * 1000 }),
  });
}
