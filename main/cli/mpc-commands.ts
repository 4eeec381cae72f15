// `custos mpc ping`: starts the MPC host process and checks that it answers its versioned protocol.
import { silentLogger } from '../log';
import { MpcHostClient } from '../mpc/client';
import { nodeHostLauncher } from '../mpc/launch-node';
import { type CliContext, CliUsageError } from './context';

export async function runMpcCommand(command: string | undefined, ctx: CliContext): Promise<number> {
  if (command !== 'ping') throw new CliUsageError(`Unknown mpc command "${command ?? ''}": use ping.`);
  const client = new MpcHostClient({ launcher: nodeHostLauncher(), log: silentLogger });
  try {
    const health = await client.ping();
    if (ctx.json) ctx.out(JSON.stringify(health));
    else ctx.out(`MPC host ${health.hostVersion} (protocol ${health.protocolVersion}, pid ${health.pid}) answered in ${health.roundTripMs.toFixed(1)} ms`);
    return 0;
  } finally {
    await client.close();
  }
}
