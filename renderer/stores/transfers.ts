// The transfers domain: requests under a wallet's policy, the approvers' decisions on them, and their signing.
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { PsbtPreviewView, TransferStatus, TransferView } from '../../preload/contract';
import { call, on } from '../api';
import { foldNodeProgress, type NodeRow } from '../node-progress';
import { useAlertsStore } from './alerts';
import { useVaultStore } from './vault';

/** How many requests the list shows at once (the newest first). */
const PAGE = 100;

/** Statuses after which nothing more happens to a request: no approval, rejection or signature can change them. */
export const FINAL_STATUSES: readonly TransferStatus[] = ['signed', 'denied', 'rejected', 'cancelled'];

/** What a person does to a request on their device: approve or reject it (an approver), or withdraw it (its initiator or an administrator). */
export type TransferDecision = 'approve' | 'reject' | 'cancel';

const DECISIONS: Record<TransferDecision, { channel: 'transfers.approve' | 'transfers.reject' | 'transfers.cancel'; doing: string }> = {
  approve: { channel: 'transfers.approve', doing: 'Approving' },
  reject: { channel: 'transfers.reject', doing: 'Rejecting' },
  cancel: { channel: 'transfers.cancel', doing: 'Cancelling' },
};

/** A signing this console started: what it waits on, told from the device screens main shows meanwhile. */
export interface SigningRun {
  requestId: string;
  startedAt: number;
  /** Shares opened since it started: each custodian approves what their share signs, then opens it on a second screen. */
  screensDone: number;
  /** The latest step main reported (transfers.progress), if any. */
  message?: string;
  /** In a team: each custodian's signer node, its latest state and the rounds it answered (empty on a single desk). */
  nodes: NodeRow[];
  /** How it ended; null while it goes. */
  ended: 'signed' | 'failed' | null;
}

export const useTransfersStore = defineStore('transfers', () => {
  const alerts = useAlertsStore();
  const vault = useVaultStore();

  const transfers = ref<TransferView[]>([]);
  const total = ref(0);
  /** The wallet the list is narrowed to, or null for every wallet. */
  const walletId = ref<string | null>(null);
  const loaded = ref(false);
  const loading = ref(false);
  /** Requests read one by one (the request screen), by id: kept current while they are open. */
  const details = ref<Record<string, TransferView>>({});
  /** Ids of the request screens open now: a vault change reads them again. */
  const open = new Set<string>();
  const creating = ref(false);
  const deciding = ref<{ requestId: string; decision: TransferDecision } | null>(null);
  const signing = ref<SigningRun | null>(null);

  const byId = computed(() => {
    const map = new Map(transfers.value.map((t) => [t.id, t]));
    for (const t of Object.values(details.value)) map.set(t.id, t);
    return map;
  });

  function upsert(view: TransferView): void {
    details.value[view.id] = view;
    transfers.value = transfers.value.map((t) => (t.id === view.id ? view : t));
  }

  let offs: (() => void)[] = [];
  const secretPrompts = new Set<string>();
  function subscribe(): void {
    if (offs.length) return;
    offs = [
      // Every request, approval, rejection and signature is a record of the vault's log.
      on('vault.changed', () => {
        if (loaded.value) void load();
        for (const id of open) void get(id, true);
      }),
      // While signing, each custodian's "Provide public secret key" screen approved is a share opened.
      on('devices.prompt', ({ promptId, operation }) => {
        if (operation === 'shared-secret') secretPrompts.add(promptId);
      }),
      on('devices.promptEnded', ({ promptId, outcome }) => {
        const opened = secretPrompts.delete(promptId);
        if (opened && signing.value && !signing.value.ended && outcome === 'approved') signing.value.screensDone++;
      }),
      // Main's own account of the signing: whose device is asked, then what the MPC host is doing; in a team, what
      // each custodian's signer node answered.
      on('transfers.progress', ({ requestId, message, node }) => {
        const run = signing.value;
        if (!run || run.ended || run.requestId !== requestId) return;
        run.message = message;
        if (node) run.nodes = foldNodeProgress(run.nodes, node);
      }),
    ];
  }

  async function load(): Promise<void> {
    subscribe();
    loading.value = true;
    try {
      const page = await call('transfers.list', { walletId: walletId.value ?? undefined, offset: 0, limit: PAGE });
      transfers.value = page.transfers;
      total.value = page.total;
      // A list row leaves the final PSBT out (null); the detail already read keeps it.
      for (const t of page.transfers) {
        const known = details.value[t.id];
        if (known) details.value[t.id] = t.signed !== null && t.signed.psbt === null && known.signed?.psbt ? { ...t, signed: { ...t.signed, psbt: known.signed.psbt } } : t;
      }
    } catch (err) {
      alerts.report('Listing transfers', err, 'transfer');
    } finally {
      loading.value = false;
      loaded.value = true;
    }
  }

  /** Narrows the list to one wallet (null: every wallet) and reads it. */
  function setWallet(id: string | null): void {
    walletId.value = id;
    void load();
  }

  /** Reads one request afresh; `quiet` for background refreshes, whose failure the screen already shows. */
  async function get(requestId: string, quiet = false): Promise<TransferView | null> {
    subscribe();
    try {
      const view = await call('transfers.get', { requestId });
      upsert(view);
      return view;
    } catch (err) {
      if (!quiet) alerts.report(`Opening request ${requestId}`, err, 'transfer');
      return null;
    }
  }

  /** The request screen for `requestId` is open (true) or closed (false): open ones follow the vault's changes. */
  function track(requestId: string, opened: boolean): void {
    if (opened) open.add(requestId);
    else open.delete(requestId);
  }

  /**
   * Requests a transfer with the acting device (an operator's): main builds the exact transaction from the wallet's
   * coins and the operator's device shows and signs it. Answers the request, or null after reporting why not.
   */
  async function create(input: { walletId: string; destination: string; amount: string; feeRate: number }): Promise<TransferView | null> {
    const deviceId = vault.actingDeviceId;
    if (!deviceId) return null;
    creating.value = true;
    try {
      const view = await call('transfers.create', { ...input, deviceId });
      upsert(view);
      transfers.value = [view, ...transfers.value.filter((t) => t.id !== view.id)];
      return view;
    } catch (err) {
      alerts.report('Requesting the transfer', err, 'transfer');
      return null;
    } finally {
      creating.value = false;
    }
  }

  /** Reads a PSBT against a wallet before anything is created (no record, no device); null after reporting why not. */
  async function previewPsbt(walletId: string, psbt: string): Promise<PsbtPreviewView | null> {
    try {
      return await call('transfers.previewPsbt', { walletId, psbt });
    } catch (err) {
      alerts.report('Reading the PSBT', err, 'transfer');
      return null;
    }
  }

  /** Makes the PSBT's exact transaction a request, signed on the acting device (an operator's). */
  async function importPsbt(walletId: string, psbt: string): Promise<TransferView | null> {
    const deviceId = vault.actingDeviceId;
    if (!deviceId) return null;
    creating.value = true;
    try {
      const view = await call('transfers.importPsbt', { walletId, psbt, deviceId });
      upsert(view);
      transfers.value = [view, ...transfers.value.filter((t) => t.id !== view.id)];
      return view;
    } catch (err) {
      alerts.report('Requesting the PSBT’s transfer', err, 'transfer');
      return null;
    } finally {
      creating.value = false;
    }
  }

  /** Approves, rejects or cancels the request with the acting device, which shows the statement and signs it. */
  async function decide(requestId: string, decision: TransferDecision): Promise<TransferView | null> {
    const deviceId = vault.actingDeviceId;
    if (!deviceId) return null;
    deciding.value = { requestId, decision };
    const { channel, doing } = DECISIONS[decision];
    try {
      const view = await call(channel, { requestId, deviceId });
      upsert(view);
      return view;
    } catch (err) {
      alerts.report(`${doing} request ${requestId}`, err, 'transfer');
      return null;
    } finally {
      deciding.value = null;
    }
  }

  /**
   * Signs an allowed request: the custodians' devices each open their share (the prompt dialog shows each screen),
   * then the MPC host checks the evidence and signs; in a team, t custodians' signer nodes sign, each with its
   * custodian's device. Answers the signed request, or null after reporting.
   */
  async function sign(requestId: string): Promise<TransferView | null> {
    if (signing.value && !signing.value.ended) return null;
    subscribe();
    const run: SigningRun = { requestId, startedAt: Date.now(), screensDone: 0, nodes: [], ended: null };
    signing.value = run;
    const end = (how: 'signed' | 'failed') => {
      if (signing.value?.requestId === requestId) signing.value = { ...signing.value, ended: how };
    };
    try {
      const view = await call('transfers.sign', { requestId });
      upsert(view);
      end('signed');
      return view;
    } catch (err) {
      end('failed');
      alerts.report(`Signing request ${requestId}`, err, 'transfer');
      return null;
    }
  }

  return { transfers, total, walletId, loaded, loading, details, creating, deciding, signing, byId, load, setWallet, get, track, create, previewPsbt, importPsbt, decide, sign };
});
