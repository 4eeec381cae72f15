// Where a data folder's MPC signer keeps its journal: one signer folder per data folder, never shared.
import { join } from 'node:path';

export const signerFolderOf = (dataDir: string): string => join(dataDir, 'mpc-host');
