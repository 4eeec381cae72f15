// The MPC host client as the wallet services see it: domain types in and out, progress as plain steps.
import type { MpcHostClient } from '../mpc/client';
import type { MpcHost } from '../services';

export function mpcHostOf(client: MpcHostClient): MpcHost {
  return {
    ping: () => client.ping(),
    close: () => client.close(),
    dkg: (input, onProgress) => client.runDkg(input, { onProgress }),
    reshare: (input, onProgress) => client.reshare(input, { onProgress }),
    sign: (input, onProgress) => client.sign(input, { onProgress }),
    syncLog: async (records) => {
      await client.syncLog(records);
    },
    signTransfer: (input, onProgress) => client.signTransfer(input, { onProgress }),
  };
}
