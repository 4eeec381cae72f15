// One transfer as the console waits for it (request, last approval, signing), timed part by part, for the benchmarks.
import { verifyTransaction } from '../../main/cli/demo-verify';
import type { MpcHostClient } from '../../main/mpc/client';
import type { TransferService } from '../../main/transfers/service';
import type { BenchWallet, TransferVault } from './transfers-setup';

export interface SignSample {
  wallet: string;
  records: number;
  approveMs: number;
  signMs: number;
  /** Inside signMs: main's checks and the custodians' identities, the t devices' unseal, the host, main's record. */
  prepMs: number;
  devicesMs: number;
  hostMs: number;
  recordMs: number;
}

/** Times each signTransfer of `host` (main → host → main, its gate and log replay included) into `spans`. */
export function timedHost(host: MpcHostClient, spans: { start: number; end: number }[]): MpcHostClient {
  const signTransfer = host.signTransfer.bind(host);
  host.signTransfer = async (...args) => {
    const span = { start: performance.now(), end: NaN };
    try {
      return await signTransfer(...args);
    } finally {
      span.end = performance.now();
      spans.push(span);
    }
  };
  return host;
}

/** One request by Oscar, approved by Paula (the last approval), then signed; the signed transaction is verified after. */
export async function signSample(v: TransferVault, transfers: TransferService, spans: { start: number; end: number }[], wallet: BenchWallet): Promise<SignSample> {
  const r = await transfers.create({ walletId: wallet.id, destination: v.destination, amount: '10000', feeRate: 2, deviceId: v.device.oscar });
  let start = performance.now();
  const approved = await transfers.approve({ requestId: r.id, deviceId: v.device.paula });
  const approveMs = performance.now() - start;
  if (approved.status !== 'ready') throw new Error(`bench: request ${r.id} is ${approved.status} after its approval`);
  const records = v.store.records.all().length;
  let firstPrompt = NaN;
  start = performance.now();
  const signed = await transfers.sign(r.id, () => {
    if (Number.isNaN(firstPrompt)) firstPrompt = performance.now();
  });
  const end = performance.now();
  if (signed.status !== 'signed' || signed.signed === null) throw new Error(`bench: request ${r.id} is ${signed.status} after signing`);
  if (verifyTransaction(signed.signed.tx, signed.signed.psbt ?? '').length !== 1) throw new Error(`bench: the transaction of ${r.id} does not verify`);
  const host = spans.at(-1) as { start: number; end: number };
  return {
    wallet: `${wallet.threshold}-of-${wallet.custodians}`,
    records,
    approveMs,
    signMs: end - start,
    prepMs: firstPrompt - start,
    devicesMs: host.start - firstPrompt,
    hostMs: host.end - host.start,
    recordMs: end - host.end,
  };
}

