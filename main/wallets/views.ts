// Wallets as the UI sees them: names for ids, descriptors and addresses computed from the recorded public key.
import { changePath, deriveChildKey, extendedPublicKey, receivePath } from '../../crypto/frost';
import { taprootAddress, taprootDescriptor, taprootHdDescriptor } from '../../crypto/bitcoin';
import type { GovernanceState, WalletState } from '../../crypto/governance';
import type { WalletAddress, WalletView } from '../../preload/contract';
import { shareRefreshDue } from '../../crypto/transfers/share-refresh';
import type { TimeOfRecord } from '../vault/views';
import { groupKeyOf } from './keys';

export function walletView(state: GovernanceState, wallet: WalletState, now: number = Date.now(), timeOf: TimeOfRecord = () => null): WalletView {
  const users = new Map(state.users.map((u) => [u.id, u]));
  const ref = (id: string) => ({ id, name: users.get(id)?.name ?? id });
  const key = wallet.key;
  const root = key === null ? null : groupKeyOf(key);
  let descriptors: WalletView['descriptors'] = null;
  if (root !== null) {
    const xpub = extendedPublicKey(root, wallet.network);
    descriptors = { receive: taprootHdDescriptor(xpub, 0), change: taprootHdDescriptor(xpub, 1), root: taprootDescriptor(root.internalKey) };
  }
  return {
    id: wallet.id,
    name: wallet.name,
    network: wallet.network,
    status: wallet.status,
    threshold: key?.threshold ?? wallet.pending?.threshold ?? 0,
    custodians:
      key === null
        ? []
        : key.custodians.map((c) => ({ ...ref(c.userId), partyId: c.partyId, share: users.get(c.userId)?.status === 'active' ? 'sealed' : 'revoked' })),
    keyVersion: key?.keyVersion ?? null,
    internalKey: key?.internalKey ?? null,
    outputKey: key?.outputKey ?? null,
    descriptors,
    address: root === null ? null : addressAt(wallet, root, receivePath(0)),
    pending:
      wallet.pending === null
        ? null
        : { proposalId: wallet.pending.proposalId, ceremony: wallet.pending.ceremony, threshold: wallet.pending.threshold, custodians: wallet.pending.custodians.map(ref) },
    createdAtSeq: wallet.createdAtSeq,
    createdAt: timeOf(wallet.createdAtSeq),
    refreshDue: wallet.keySince === null ? null : shareRefreshDue(state, wallet.id, { ledger: [], keyTime: Date.parse(wallet.keySince.at), now }),
  };
}

export function walletAddresses(wallet: WalletState, branch: 'receive' | 'change', from: number, count: number): WalletAddress[] {
  if (wallet.key === null) return [];
  const root = groupKeyOf(wallet.key);
  const out: WalletAddress[] = [];
  for (let index = from; index < from + count && index < 0x80000000; index++) {
    const path = branch === 'receive' ? receivePath(index) : changePath(index);
    out.push({ branch, index, path: path.join('/'), address: addressAt(wallet, root, path) });
  }
  return out;
}

function addressAt(wallet: WalletState, root: ReturnType<typeof groupKeyOf>, path: number[]): string {
  const child = deriveChildKey(root, path).groupKey;
  // The output key from the FROST tweak must equal btc-signer's tweak of the internal key: a cross-check per address.
  return taprootAddress(child.internalKey, wallet.network, child.outputKey);
}
