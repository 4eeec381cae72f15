// The MPC host process's entry: Electron's utilityProcess or Node's child_process.fork runs this file. Never imports electron.
import { performance } from 'node:perf_hooks';
import { runHost } from './host';
import { detectHostPort } from './port';

const port = detectHostPort();
if (!port) {
  process.stderr.write(
    'custos mpc-host: no parent channel. This process is started by Custos (utilityProcess or child_process.fork), not by hand.\n',
  );
  process.exit(2);
} else {
  runHost({
    port,
    pid: process.pid,
    now: () => performance.now(),
    exit: (code) => process.exit(code),
    // Set by whoever starts the host (main's launchers): where it keeps its own pinned log and signed ledger.
    dataDir: process.env.CUSTOS_MPC_HOST_DATA ?? null,
    // How many records a checkpoint may lag (a cache, not a trust setting): tests make it small to write one per sync.
    checkpointEvery: checkpointEvery(process.env.CUSTOS_MPC_HOST_CHECKPOINT_EVERY),
    // Tests that fuzz the host set CUSTOS_MPC_HOST_QUIET so hundreds of expected refusals do not flood their output.
    warn: (line) => {
      if (process.env.CUSTOS_MPC_HOST_QUIET !== '1') process.stderr.write(line + '\n');
    },
  });
}

function checkpointEvery(value: string | undefined): number | undefined {
  const n = Number(value);
  return value !== undefined && Number.isSafeInteger(n) && n >= 1 ? n : undefined;
}
