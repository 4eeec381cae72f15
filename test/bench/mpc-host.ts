// Custos through the MPC host process, as the console drives it: a real vault (SQLite, virtual Ledgers that approve at
// once), the host's gate checking every custodian's device-signed use statement, then the DKG or the signing itself.
import { TransferService } from '../../main/transfers/service.js';
import type { Size } from './mpc-sizes.js';
import { signSample, timedHost } from './transfers-sample.js';
import { transferVault } from './transfers-setup.js';

/** Samples of one transfer per size; each spends one made-up coin. */
const SIGN_SAMPLES = Number(process.env.MPC_BENCH_HOST_SAMPLES ?? 3);

export type HostTimes = Size & {
  /** main → host keygen → main: the gate (n use statements), the DKG, the shares sealed; one ceremony per size. */
  dkgMs: number;
  /** The whole key ceremony the console waits for: n use statements and n attestations on the devices, the host, records. */
  ceremonyMs: number;
  /** main → host signTransfer → main, median: the gate (log replay, policy, t use statements), unseal, FROST, verify. */
  signMs: number;
  /** The last approval's signing as the console waits for it, median: main's checks, t devices, the host, the record. */
  transferMs: number;
};
export type HostResults = {
  times: HostTimes[];
  /** Whole transfers signed per second at 2-of-3, one after another (1000 / median transferMs). */
  requestsPerSecond: number | null;
};

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? NaN;

/**
 * Measures, per size, one key ceremony and SIGN_SAMPLES transfers through a real host process (tsx from sources).
 * The host's gate signs only with keys it made itself from device-signed use statements, so a key made elsewhere
 * (the DKG pool's 67-of-100) cannot be brought to it: that size is measured in one process only.
 */
export async function hostRows(sizes: Size[]): Promise<HostResults> {
  const times: HostTimes[] = [];
  let requestsPerSecond: number | null = null;
  for (const size of sizes) {
    // Each vault is set up with the size's wallet made through the host (timed inside transferVault).
    const v = await transferVault(SIGN_SAMPLES + 1, [size]);
    try {
      const wallet = v.wallets[0]!;
      const spans: { start: number; end: number }[] = [];
      const transfers = new TransferService({ vault: v.vault, store: v.store, devices: v.devices, host: timedHost(v.client, spans) });
      // The first transfer pins nothing new but warms the host's replay of the log; it is not counted.
      await signSample(v, transfers, spans, wallet);
      const samples = [];
      for (let i = 0; i < SIGN_SAMPLES; i++) samples.push(await signSample(v, transfers, spans, wallet));
      const transferMs = median(samples.map((s) => s.signMs));
      times.push({ ...size, dkgMs: wallet.hostKeygenMs, ceremonyMs: wallet.ceremonyMs, signMs: median(samples.map((s) => s.hostMs)), transferMs });
      if (size.t === 2 && size.n === 3) requestsPerSecond = 1000 / transferMs;
    } finally {
      await v.close();
    }
  }
  return { times, requestsPerSecond };
}
