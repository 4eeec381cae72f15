// The balances domain: what main counts of each wallet's money (total, held by open requests, free), the vault's total
// per network, and for one wallet the velocity used in each window, its balance over time and its recent transfers.
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { BalancesView, TransferView, WalletFundsView } from '../../preload/contract';
import { call, on } from '../api';
import { useAlertsStore } from './alerts';

/** How many of a wallet's transfers its page lists (the newest first; the Transfers screen has them all). */
export const RECENT_TRANSFERS = 5;

export const useBalancesStore = defineStore('balances', () => {
  const alerts = useAlertsStore();

  const all = ref<BalancesView | null>(null);
  /** One wallet's funds, by wallet id, for the wallets read so far. */
  const funds = ref<Record<string, WalletFundsView>>({});
  const recent = ref<Record<string, TransferView[]>>({});

  let off: (() => void) | null = null;
  /** Requests made, approved, cancelled or signed change what is held and spent: read again what was read. */
  function follow(): void {
    off ??= on('vault.changed', () => {
      if (all.value) void load(true);
      for (const walletId of Object.keys(funds.value)) void loadWallet(walletId, true);
    });
  }

  /** Every wallet's balance and the totals per network; `quiet` for background refreshes. */
  async function load(quiet = false): Promise<void> {
    follow();
    try {
      all.value = await call('wallets.balances');
    } catch (err) {
      if (!quiet) alerts.report('Reading the balances', err);
    }
  }

  /** One wallet's balance, velocity and history, and its newest transfers. */
  async function loadWallet(walletId: string, quiet = false): Promise<void> {
    follow();
    try {
      const [wallet, page] = await Promise.all([call('wallets.balance', { walletId }), call('transfers.list', { walletId, offset: 0, limit: RECENT_TRANSFERS })]);
      funds.value = { ...funds.value, [walletId]: wallet };
      recent.value = { ...recent.value, [walletId]: page.transfers };
    } catch (err) {
      if (!quiet) alerts.report('Reading the wallet’s balance', err);
    }
  }

  return { all, funds, recent, load, loadWallet };
});
