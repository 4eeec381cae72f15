// `custos signer …`: a custodian's signer node folder (its keys) and its registration in the vault's log on their device.
import { VaultService } from '../vault/service';
import { openNodeKeys, publicNodeKey, readNodePublic } from '../signer/node-keys';
import { Store } from '../store';
import { type CliContext, CliUsageError } from './context';
import { openVaultDevices } from './vault-devices';

export async function runSignerCommand(command: string | undefined, ctx: CliContext): Promise<number> {
  const nodeDir = ctx.nodeDir;
  if (nodeDir === undefined) throw new CliUsageError('--node-dir: give the signer node\'s folder.');
  switch (command) {
    case 'init': {
      const keys = publicNodeKey(openNodeKeys(nodeDir));
      if (ctx.json) ctx.out(JSON.stringify({ nodeDir, ...keys }));
      else {
        ctx.out(`Signer node ${keys.nodeId} in ${nodeDir}`);
        ctx.out(`Node keys fingerprint (your Ledger shows it when you register the node): ${keys.fingerprint}`);
      }
      return 0;
    }
    case 'register': {
      const node = readNodePublic(nodeDir);
      const devices = await openVaultDevices(ctx, { allowNewPhrase: false, newUser: false });
      const store = Store.open(ctx.dataDir);
      const vault = new VaultService({ store, devices: devices.manager });
      try {
        const out = await vault.registerNode({ nodeId: node.nodeId, signingKey: node.signingKey, hpkeKey: node.hpkeKey, deviceId: devices.actor() });
        if (ctx.json) ctx.out(JSON.stringify(out));
        else ctx.out(`Signer node ${out.nodeId} registered for ${out.userId} at record ${out.seq}; keys ${out.keyFingerprint}`);
        return 0;
      } finally {
        vault.close();
        store.close();
        await devices.manager.close();
      }
    }
    default:
      throw new CliUsageError(`Unknown signer command "${command ?? ''}": use init or register.`);
  }
}
