// The wallets domain: Bitcoin wallets whose key the custodians' devices share, the proposals that shape them, their key ceremonies, addresses and coins.
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { AddressVerificationView, KeyCeremony, UserRef, UtxoView, WalletAddress, WalletNetwork, WalletProgress, WalletView } from '../../preload/contract';
import { call, on } from '../api';
import { useAlertsStore } from './alerts';
import { useProposalsStore } from './proposals';
import { useVaultStore } from './vault';

/** A key ceremony as this console saw it: what main reported of it, step by step. */
export interface CeremonyRun {
  ceremony: KeyCeremony;
  /** True while this console waits on `wallets.runCeremony` (a run started elsewhere only sends events). */
  running: boolean;
  /** Every progress event of the run, in the order main sent them. */
  events: WalletProgress[];
  /** How it ended, from its last event or from main's answer to this console's call; null while it goes. */
  ended: 'done' | 'failed' | null;
}

/**
 * The wallet's custodians: of the key in force, or, while it awaits its key, the ones its approved proposal names
 * (main may list those only under `pending`).
 */
export function custodiansOf(wallet: WalletView): UserRef[] {
  if (wallet.custodians.length || wallet.status === 'active') return wallet.custodians;
  return wallet.pending?.custodians ?? [];
}

const endOf = (event: WalletProgress) => (event.stage === 'done' || event.stage === 'failed' ? event.stage : null);

export const useWalletsStore = defineStore('wallets', () => {
  const alerts = useAlertsStore();
  const proposals = useProposalsStore();
  const vault = useVaultStore();

  const wallets = ref<WalletView[]>([]);
  const loaded = ref(false);
  const loading = ref(false);
  /** The last ceremony of each wallet, by wallet id. */
  const runs = ref<Record<string, CeremonyRun>>({});
  /** The coins the console knows of each wallet read so far, by wallet id (spent ones included, marked). */
  const coins = ref<Record<string, UtxoView[]>>({});
  const recording = ref(false);

  const byId = computed(() => new Map(wallets.value.map((w) => [w.id, w])));

  function upsert(wallet: WalletView): void {
    const others = wallets.value.filter((w) => w.id !== wallet.id);
    wallets.value = [...others, wallet].sort((a, b) => a.createdAtSeq - b.createdAtSeq);
  }

  function onProgress(event: WalletProgress): void {
    const run = runs.value[event.walletId];
    // A run that ended (here or in another window) is replaced by the next one's first event.
    if (!run || (run.ended && !run.running)) {
      runs.value[event.walletId] = { ceremony: event.ceremony, running: false, events: [event], ended: endOf(event) };
    } else {
      run.events.push(event);
      run.ended ??= endOf(event);
    }
  }

  let offs: (() => void)[] = [];

  async function load(): Promise<void> {
    if (!offs.length) {
      offs = [
        on('vault.changed', () => {
          void load();
          // A signed transfer spends coins and brings its change back.
          for (const walletId of Object.keys(coins.value)) void loadCoins(walletId, true);
        }),
        // Subscribed with the list, not with a run: a ceremony started from the CLI or another window shows here too.
        on('wallets.progress', onProgress),
      ];
    }
    loading.value = true;
    try {
      wallets.value = [...(await call('wallets.list'))].sort((a, b) => a.createdAtSeq - b.createdAtSeq);
    } catch (err) {
      alerts.report('Listing wallets', err);
    } finally {
      loading.value = false;
      loaded.value = true;
    }
  }

  /** Reads one wallet afresh (the detail screen): answers it, or null after reporting why not. */
  async function get(walletId: string): Promise<WalletView | null> {
    try {
      const wallet = await call('wallets.get', { walletId });
      upsert(wallet);
      return wallet;
    } catch (err) {
      alerts.report('Opening the wallet', err);
      return null;
    }
  }

  /** A page of addresses derived from the wallet's key; null after reporting why not. */
  async function addresses(walletId: string, branch: 'receive' | 'change', from: number, count: number): Promise<WalletAddress[] | null> {
    try {
      return await call('wallets.addresses', { walletId, branch, from, count });
    } catch (err) {
      alerts.report(`Deriving ${branch} addresses`, err);
      return null;
    }
  }

  /** Addresses the acting custodian's device showed and signed this session, by `walletId:path`. */
  const verified = ref<Record<string, AddressVerificationView>>({});
  const verifying = ref<string | null>(null);

  /** Shows the address at `path` on the acting device (a custodian's), which signs what it showed; null if not done. */
  async function verifyAddress(walletId: string, path: string): Promise<AddressVerificationView | null> {
    const deviceId = vault.actingDeviceId;
    if (!deviceId) return null;
    verifying.value = `${walletId}:${path}`;
    try {
      const done = await call('wallets.verifyAddress', { walletId, path, deviceId });
      verified.value = { ...verified.value, [`${walletId}:${path}`]: done };
      return done;
    } catch (err) {
      alerts.report(`Verifying address ${path} on the device`, err);
      return null;
    } finally {
      verifying.value = null;
    }
  }

  /** Reads the wallet's coins; `quiet` for background refreshes. */
  async function loadCoins(walletId: string, quiet = false): Promise<UtxoView[] | null> {
    try {
      const list = await call('wallets.utxos', { walletId });
      coins.value[walletId] = list;
      return list;
    } catch (err) {
      if (!quiet) alerts.report('Listing the coins', err);
      return null;
    }
  }

  /**
   * Records a coin the wallet can spend: what the console knows of the chain, not a governance change (no device
   * signs it). The output is taken to pay the wallet's key at `path`; nothing checks a chain (on regtest a made-up
   * prevout is fine). Answers the coins, or null after reporting why not.
   */
  async function recordCoin(input: { walletId: string; txid: string; vout: number; amount: string; path: string; label: string }): Promise<UtxoView[] | null> {
    recording.value = true;
    try {
      const list = await call('wallets.fund', input);
      coins.value[input.walletId] = list;
      return list;
    } catch (err) {
      alerts.report('Recording the coin', err);
      return null;
    } finally {
      recording.value = false;
    }
  }

  /**
   * Runs the ceremony the wallet owes. The custodians approve on their devices (the prompt dialog shows each
   * screen); progress arrives as events meanwhile. Answers the wallet with its new key, or null after reporting.
   */
  async function runCeremony(wallet: WalletView): Promise<WalletView | null> {
    const ceremony = wallet.pending?.ceremony;
    if (!ceremony) return null;
    runs.value[wallet.id] = { ceremony, running: true, events: [], ended: null };
    const end = (how: 'done' | 'failed') => {
      const run = runs.value[wallet.id];
      if (!run) return;
      run.running = false;
      run.ended ??= how;
    };
    try {
      const updated = await call('wallets.runCeremony', { walletId: wallet.id });
      end('done');
      upsert(updated);
      return updated;
    } catch (err) {
      end('failed');
      alerts.report(`Running the key ceremony of ${wallet.name}`, err);
      return null;
    }
  }

  const proposeCreate = (input: { name: string; network: WalletNetwork; threshold: number; custodianIds: string[] }) =>
    proposals.propose(`Proposing wallet ${input.name}`, (deviceId) => call('wallets.proposeCreate', { ...input, deviceId }));
  const proposeRefresh = (wallet: WalletView) =>
    proposals.propose(`Proposing a refresh of ${wallet.name}`, (deviceId) => call('wallets.proposeRefresh', { walletId: wallet.id, deviceId }));
  const proposeReshare = (wallet: WalletView, change: { threshold: number; custodianIds: string[] }) =>
    proposals.propose(`Proposing a reshare of ${wallet.name}`, (deviceId) =>
      call('wallets.proposeReshare', { walletId: wallet.id, ...change, deviceId }),
    );

  return {
    wallets,
    loaded,
    loading,
    runs,
    coins,
    recording,
    byId,
    load,
    get,
    addresses,
    verified,
    verifying,
    verifyAddress,
    loadCoins,
    recordCoin,
    runCeremony,
    proposeCreate,
    proposeRefresh,
    proposeReshare,
  };
});
