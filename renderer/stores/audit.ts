// The audit domain: the hash-chained log read page by page, its filters, the chain's verification and exports.
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { AuditEntryView, AuditVerification } from '../../preload/contract';
import { call, on } from '../api';
import { useAlertsStore } from './alerts';

export const PAGE_SIZE = 200;

export const useAuditStore = defineStore('audit', () => {
  const alerts = useAlertsStore();

  const entries = ref<AuditEntryView[]>([]);
  const total = ref(0);
  const loaded = ref(false);
  const loading = ref(false);
  const filters = ref<{ actor: string; action: string }>({ actor: '', action: '' });
  const verification = ref<AuditVerification | null>(null);
  const verifying = ref(false);
  const exporting = ref<'csv' | 'json' | null>(null);

  let off: (() => void) | null = null;
  /** Bumped by every reload, so a page that arrives after the filters changed is dropped. */
  let generation = 0;

  function query(offset: number) {
    const input: { offset: number; limit: number; actor?: string; action?: string } = { offset, limit: PAGE_SIZE };
    if (filters.value.actor.trim()) input.actor = filters.value.actor.trim();
    if (filters.value.action.trim()) input.action = filters.value.action.trim();
    return input;
  }

  /** Loads the first page again (after a change or new filters) and re-checks the chain. */
  async function load(): Promise<void> {
    off ??= on('vault.changed', () => {
      void load();
    });
    const mine = ++generation;
    loading.value = true;
    try {
      const page = await call('audit.list', query(0));
      if (mine !== generation) return;
      entries.value = page.entries;
      total.value = page.total;
    } catch (err) {
      alerts.report('Reading the audit log', err);
    } finally {
      if (mine === generation) loading.value = false;
      loaded.value = true;
    }
    void verify();
  }

  /** Loads the next page when the list is scrolled near its end. */
  async function loadMore(): Promise<void> {
    if (loading.value || entries.value.length >= total.value) return;
    const mine = generation;
    loading.value = true;
    try {
      const page = await call('audit.list', query(entries.value.length));
      if (mine !== generation) return;
      const known = new Set(entries.value.map((e) => e.seq));
      entries.value = [...entries.value, ...page.entries.filter((e) => !known.has(e.seq))];
      total.value = page.total;
    } catch (err) {
      alerts.report('Reading more of the audit log', err);
    } finally {
      if (mine === generation) loading.value = false;
    }
  }

  async function verify(): Promise<void> {
    verifying.value = true;
    try {
      verification.value = await call('audit.verify');
    } catch (err) {
      alerts.report('Verifying the audit chain', err);
    } finally {
      verifying.value = false;
    }
  }

  /** Asks main for the export and hands it to the browser as a download (a Blob URL, no navigation). */
  async function exportAs(format: 'csv' | 'json'): Promise<void> {
    exporting.value = format;
    try {
      const file = await call('audit.export', { format });
      const url = URL.createObjectURL(new Blob([file.content], { type: file.mimeType }));
      const link = document.createElement('a');
      link.href = url;
      link.download = file.filename;
      link.rel = 'noopener';
      link.style.display = 'none';
      document.body.append(link);
      link.click();
      link.remove();
      // The download has its own reference to the Blob once started; the URL is let go a little later.
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      alerts.report(`Exporting the audit log as ${format.toUpperCase()}`, err);
    } finally {
      exporting.value = null;
    }
  }

  return { entries, total, loaded, loading, filters, verification, verifying, exporting, load, loadMore, verify, exportAs };
});
