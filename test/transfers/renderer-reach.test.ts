// Everything a script in the renderer can reach is the contract's channels, forwarded by both bridges to one handler
// table. Called with every kind of input while every device rejects what it is shown, they move no funds.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diagnostics } from '../../main/diagnostics';
import { Inbox } from '../../main/inbox';
import { dispatch } from '../../main/ipc/dispatch';
import { createHandlers } from '../../main/ipc/handlers';
import { silentLogger } from '../../main/log';
import type { Services } from '../../main/services';
import { TeamService } from '../../main/team/service';
import { CHANNELS } from '../../preload/contract';
import { PHRASES } from '../vault/phrases';
import { transferHarness, type TransferHarness } from './helpers';

let h: TransferHarness;
let services: Services;
let inbox: Inbox;
let team: TeamService;

beforeAll(async () => {
  h = await transferHarness();
  inbox = new Inbox(() => h.vault, () => h.transfers);
  team = new TeamService({ dataDir: h.dir, store: h.store, vault: h.vault, log: silentLogger });
  services = {
    dataDir: h.dir,
    devices: h.devices,
    mpc: h.host,
    log: silentLogger,
    vault: () => h.vault,
    wallets: () => ({ ceremonies: h.ceremonies, transfers: h.transfers }),
    appInfo: () => ({ name: 'Custos', version: 'test', shell: 'cli', platform: process.platform, udevRulesInstalled: null, udevGuidance: null }),
    inbox: () => inbox,
    team: () => team,
    diagnostics: () => diagnostics({ appInfo: services.appInfo(), dataDir: h.dir, vault: () => h.vault, mpc: h.host, devices: h.devices, recentLog: () => [] }),
    close: async () => {},
  };
}, 240_000);
afterAll(async () => {
  await h?.close();
});

describe('a hostile renderer script', () => {
  it('calls every channel with every kind of input and moves no funds without device approvals', async () => {
    // A request the operator really made, waiting for its approval: the prize.
    const pending = await h.transfers.create({ walletId: h.walletId, destination: h.exchange, amount: '900000', feeRate: 1, deviceId: h.device.dave });
    for (const who of Object.keys(h.answer) as (keyof typeof h.answer)[]) h.answer[who] = 'reject';
    const handlers = createHandlers(services);
    const ids = { requestId: pending.id, walletId: h.walletId, proposalId: 'p-1', userId: h.ids.dave, groupId: h.groups.approvers };
    const deviceIds = Object.values(h.device);
    const inputs = (channel: string): unknown[] => [
      undefined,
      null,
      {},
      'x',
      { ...ids, deviceId: deviceIds[0], sneaky: true },
      ...deviceIds.map((deviceId) => ({ requestId: pending.id, deviceId })),
      ...deviceIds.map((deviceId) => ({ walletId: h.walletId, deviceId, threshold: 2, custodianIds: [h.ids.alice, h.ids.dave], name: 'Evil', network: 'regtest' })),
      { requestId: pending.id },
      { walletId: h.walletId, document: '{"version":2}', deviceId: deviceIds[0] },
      { walletId: h.walletId, txid: 'ab'.repeat(32), vout: 0, amount: '5000000000', path: '0/0', label: 'free money' },
      { promptId: 'prompt-1', decision: 'approve' },
      channel === 'devices.addVirtual' ? { mnemonic: PHRASES.erin } : { offset: 0, limit: 5 },
    ];
    let calls = 0;
    // devices.remove last: it would leave the other channels without devices to try.
    for (const channel of [...CHANNELS.filter((c) => c !== 'devices.remove'), 'devices.remove' as const]) {
      for (const input of inputs(channel)) {
        const result = await dispatch(handlers, channel, input, silentLogger);
        calls += 1;
        expect(result).toHaveProperty('ok');
      }
    }
    expect(calls).toBeGreaterThan(CHANNELS.length * 10);
    const state = h.vault.readState();
    expect(state.transfers.filter((t) => t.signed !== null)).toEqual([]);
    expect(h.transfers.get(pending.id).status).toMatch(/pending|denied/);
    const ledger = path.join(h.dir, 'mpc-host', 'signed.jsonl');
    expect(existsSync(ledger) ? readFileSync(ledger, 'utf8').trim() : '').toBe('');
    expect(h.vault.verify().status).toBe('ok');
  }, 600_000);
});
