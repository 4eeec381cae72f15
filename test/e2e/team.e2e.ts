// The Team screen in Chromium against the browser host and a real nats-server: a single desk says its vault is not
// shared and offers the join form (a server that is down is said beside its field); an empty console joins a team's
// vault from the form (a wrong password beside its field), then shows the same log head as the console it joined, and
// follows it by itself: a signer node registered on the other console appears without a click; it sets its own signer
// node (a folder without keys refused beside the field), checks the nodes and publishes. On a server that lets the
// relay through, a node run as `custos signer start` answers the check. axe-core on each view.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceManager } from '../../main/devices/manager';
import { openNodeKeys, publicNodeKey } from '../../main/signer/node-keys';
import { Store } from '../../main/store';
import { connectTeam } from '../../main/team/connection';
import { TeamStream } from '../../main/team/stream';
import { VaultService } from '../../main/vault';
import { createStream, foundVault, need, teamConsole, type TeamConsole } from '../team/helpers';
import { freePort, startNatsServer, type NatsServer } from '../team/nats-server';
import { PHRASES } from '../vault/phrases';
import { custos, startNode, type NodeProcess } from '../signer/node-processes';
import { axeViolations, describeViolations } from './axe';
import { nav } from './console-steps';
import { startHarness, type Harness } from './harness';

const admin = { user: 'admin', password: 'admin-secret' };
const users = { a: { user: 'console-a', password: 'pa' }, b: { user: 'console-b', password: 'pb' } };

let server: NatsServer;
let a: TeamConsole;
let pin: { vaultId: string; genesisAddress: string };

beforeAll(async () => {
  server = await startNatsServer({ admin, consoles: Object.values(users) });
  a = teamConsole('a', ['alice', 'bob', 'carol']);
  pin = await foundVault(a);
  await createStream(server, admin, pin.vaultId);
  await a.join(server, users.a);
  a.attach();
}, 120_000);
afterAll(async () => {
  await a?.close();
  await server?.stop();
});

async function check(page: Page): Promise<void> {
  await page.waitForFunction(() => document.getAnimations().every((x) => x.playState !== 'running' || x.effect?.getTiming().iterations === Infinity));
  expect(describeViolations(await axeViolations(page))).toEqual([]);
}

/** axe in dark mode too, and no sideways scrolling at 1024×700. */
async function checkDarkAndNarrow(page: Page): Promise<void> {
  await page.emulateMedia({ colorScheme: 'dark' });
  try {
    await check(page);
  } finally {
    await page.emulateMedia({ colorScheme: 'light' });
  }
  await page.setViewportSize({ width: 1024, height: 700 });
  try {
    await page.getByRole('heading', { name: 'Team', level: 1 }).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
  } finally {
    await page.setViewportSize({ width: 1280, height: 820 });
  }
}

describe('the Team screen of a single desk', () => {
  let h: Harness;
  beforeAll(async () => {
    // A vault founded on this desk alone, its folder handed to the browser host.
    const dir = mkdtempSync(path.join(tmpdir(), 'custos-e2e-desk-'));
    const devices = new DeviceManager();
    const { device, ledger } = devices.addVirtual({ label: 'Alice Ledger', mnemonic: PHRASES.alice });
    ledger.screen.setResponder(() => 'approve');
    const store = Store.open(dir);
    const vault = new VaultService({ store, devices });
    await vault.create({ name: 'Desk', adminName: 'Alice', deviceId: device.id });
    vault.close();
    store.close();
    await devices.close();
    h = await startHarness({ dataDir: dir });
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  it('says the vault is not shared, with its vault id to invite with, beside the join form', async () => {
    const { page } = h;
    await nav(page, 'Team').click();
    await page.getByRole('heading', { name: 'Team', level: 1 }).waitFor();
    const single = page.getByRole('region', { name: 'This vault is not shared' });
    await single.waitFor();
    await single.getByText(/^v-/).first().waitFor();
    const form = page.getByRole('form', { name: 'Join a team' });
    for (const field of ['Server address', 'User', 'Password']) await form.getByRole('textbox', { name: field }).or(form.getByLabel(field, { exact: true })).first().waitFor();
    // A vault held here joins as itself: no vault id or genesis to type.
    expect(await form.getByLabel('Vault id').count()).toBe(0);
    await check(page);
    await h.screenshot('team-single-desk.png');
    await checkDarkAndNarrow(page);
  });

  it('says a server that is down beside the server address, and joins nothing', async () => {
    const { page } = h;
    const form = page.getByRole('form', { name: 'Join a team' });
    const address = form.getByRole('textbox', { name: 'Server address' });
    await address.fill(`nats://127.0.0.1:${await freePort()}`);
    await form.getByRole('button', { name: 'Join the team' }).click();
    const problem = form.getByRole('alert').and(page.locator('[data-field="server"]'));
    await problem.filter({ hasText: 'cannot be reached' }).waitFor();
    expect(await address.getAttribute('aria-invalid')).toBe('true');
    expect(await address.getAttribute('aria-describedby')).toBe(await problem.getAttribute('id'));
    await check(page);
    await page.getByRole('button', { name: 'Check again' }).click();
    await page.getByRole('region', { name: 'This vault is not shared' }).waitFor();
  });
});

describe('an empty console joining a team from the Team screen', () => {
  let h: Harness;
  let carolNode = '';
  beforeAll(async () => {
    carolNode = path.join(mkdtempSync(path.join(tmpdir(), 'custos-e2e-carol-')), 'node');
    mkdirSync(carolNode);
    h = await startHarness();
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    if (carolNode) rmSync(path.dirname(carolNode), { recursive: true, force: true });
  });

  it('joins with what it was given (a wrong password said beside it) and shows the head every console of the team shows', async () => {
    const { page } = h;
    await nav(page, 'Team').click();
    await page.getByRole('region', { name: 'No vault here yet' }).waitFor();
    const form = page.getByRole('form', { name: 'Join a team' });
    await form.getByRole('textbox', { name: 'Server address' }).fill(server.url);
    await form.getByRole('textbox', { name: 'User' }).fill(users.b.user);
    const password = form.getByLabel('Password', { exact: true });
    await password.fill('wrong');
    await form.getByRole('textbox', { name: 'Vault id' }).fill(pin.vaultId);
    await form.getByRole('textbox', { name: "Genesis administrator's address" }).fill(pin.genesisAddress);
    await check(page);
    await form.getByRole('button', { name: 'Join the team' }).click();
    await form.getByRole('alert').and(page.locator('[data-field="password"]')).filter({ hasText: 'refused the credential of user "console-b"' }).waitFor();
    await password.fill(users.b.password);
    await form.getByRole('button', { name: 'Join the team' }).click();

    const head = page.getByRole('region', { name: 'Log head' });
    await head.waitFor();
    const expected = a.vault.logHead();
    await head.getByLabel(`head fingerprint ${expected?.fingerprint ?? ''}`).waitFor();
    expect(await head.getByTestId('team-head-seq').textContent()).toContain(`${(expected?.count ?? 0) - 1} (${expected?.count ?? 0} records)`);
    await head.getByText('Every console of this team should show this same fingerprint').waitFor();
    expect((await head.getByTestId('team-lag').textContent())?.trim()).toBe('Up to date');
    await page.getByTestId('team-connection').filter({ hasText: 'Connected' }).waitFor();
    await page.getByRole('region', { name: 'Refused entries (0)' }).getByText('None: every entry of the team log checked out.').waitFor();
    // The vault's screens are there now: the console holds the vault it adopted.
    await nav(page, 'Dashboard').waitFor();
    await check(page);
    await h.screenshot('team-joined.png');
  });

  it('follows the team by itself: a signer node registered on the other console appears with its fingerprint', async () => {
    const { page } = h;
    const nodeDir = path.join(mkdtempSync(path.join(tmpdir(), 'custos-e2e-node-')), 'node');
    mkdirSync(nodeDir);
    try {
      const keys = publicNodeKey(openNodeKeys(nodeDir));
      await a.vault.registerNode({ nodeId: keys.nodeId, signingKey: keys.signingKey, hpkeKey: keys.hpkeKey, deviceId: need(a, 'bob') });
      const nodes = page.getByRole('table', { name: 'Signer nodes' });
      const row = nodes.getByRole('row').filter({ hasText: keys.nodeId });
      await row.getByText('Bob').waitFor();
      await row.getByLabel(`Bob's node key fingerprint ${keys.fingerprint}`).waitFor();
      await page.getByRole('region', { name: 'Log head' }).getByLabel(`head fingerprint ${a.vault.logHead()?.fingerprint ?? ''}`).waitFor();
      await check(page);
      await checkDarkAndNarrow(page);
      expect(h.consoleErrors).toEqual([]);
    } finally {
      rmSync(path.dirname(nodeDir), { recursive: true, force: true });
    }
  });

  it("sets this console's signer node: none at first, a folder without keys refused beside the field, a registered node's folder shown with its custodian", async () => {
    const { page } = h;
    const mine = page.getByRole('region', { name: 'Your signer node' });
    await mine.getByTestId('coordinator-problem').filter({ hasText: 'No signer node is set' }).waitFor();
    const form = mine.getByRole('form', { name: 'Signer node folder' });
    const field = form.getByRole('textbox', { name: /^Node folder/ });
    // Without a node of its own the console cannot ask the others: said in the section, nothing listed.
    const nodes = page.getByRole('region', { name: 'Signer nodes' });
    await nodes.getByRole('button', { name: 'Check signer nodes' }).click();
    await nodes.getByRole('alert').filter({ hasText: "Set your signer node's folder" }).waitFor();
    expect(await nodes.getByRole('table', { name: 'Signer nodes just now' }).count()).toBe(0);
    await check(page);

    const empty = mkdtempSync(path.join(tmpdir(), 'custos-e2e-empty-'));
    try {
      await field.fill(empty);
      await form.getByRole('button', { name: 'Set node folder' }).click();
      const problem = form.getByRole('alert').and(page.locator('[data-field="nodeDir"]'));
      await problem.filter({ hasText: 'holds no signer node keys' }).waitFor();
      expect(await field.getAttribute('aria-invalid')).toBe('true');
      expect(await field.getAttribute('aria-describedby')).toBe(await problem.getAttribute('id'));
      await mine.getByTestId('coordinator-problem').filter({ hasText: 'No signer node is set' }).waitFor();
      await check(page);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }

    // Carol's node, registered on the other console with her device: this console adopts the record, then takes the folder.
    const keys = publicNodeKey(openNodeKeys(carolNode));
    await a.vault.registerNode({ nodeId: keys.nodeId, signingKey: keys.signingKey, hpkeKey: keys.hpkeKey, deviceId: need(a, 'carol') });
    await page.getByRole('table', { name: 'Signer nodes' }).getByRole('row').filter({ hasText: keys.nodeId }).waitFor();
    await field.fill(carolNode);
    await form.getByRole('button', { name: 'Set node folder' }).click();
    await mine.getByTestId('coordinator-user').filter({ hasText: 'Carol' }).waitFor();
    expect(await mine.getByTestId('coordinator-folder').textContent()).toBe(carolNode);
    await mine.getByText(keys.nodeId).waitFor();
    expect(await mine.getByTestId('coordinator-problem').count()).toBe(0);
    expect(await nodes.getByRole('alert').count()).toBe(0);
    await mine.getByRole('button', { name: 'Clear' }).waitFor();
    await check(page);
  });

  it('checks the signer nodes: a registered node with no process running is listed as not online, with why', async () => {
    const { page } = h;
    const nodes = page.getByRole('region', { name: 'Signer nodes' });
    await nodes.getByRole('button', { name: 'Check signer nodes' }).click();
    const answers = nodes.getByRole('table', { name: 'Signer nodes just now' });
    const carol = answers.getByRole('row').filter({ hasText: 'Carol' });
    await carol.getByText('Not online').waitFor();
    await carol.getByText("Carol's signer node did not answer").waitFor();
    await answers.getByRole('row').filter({ hasText: 'Bob' }).getByText('Not online').waitFor();
    await check(page);
    await checkDarkAndNarrow(page);
  });

  it('publishes local records: none when the team log holds every record of this console', async () => {
    const { page } = h;
    await page.getByRole('button', { name: 'Publish local records' }).click();
    await page.getByRole('status').filter({ hasText: 'Published 0 records' }).waitFor();
    await check(page);
    expect(h.consoleErrors).toEqual([]);
  });

  it("clears this console's signer node: it says again that none is set", async () => {
    const { page } = h;
    const mine = page.getByRole('region', { name: 'Your signer node' });
    await mine.getByRole('button', { name: 'Clear' }).click();
    await mine.getByTestId('coordinator-problem').filter({ hasText: 'No signer node is set' }).waitFor();
    expect(await mine.getByTestId('coordinator-folder').count()).toBe(0);
    await check(page);
  });

  it('lists an entry a hostile writer published as refused, with its entry number and reason, after Catch up now', async () => {
    const { page } = h;
    const nc = await connectTeam({ servers: [server.url], user: users.a.user, password: users.a.password });
    let at = 0;
    try {
      const stream = await TeamStream.open(nc, pin.vaultId, { create: false, user: users.a.user });
      const outcome = await stream.append('{"type":"not a record"}', (await stream.describe()).lastSeq);
      if (outcome === 'behind') throw new Error('the stream moved under the test');
      at = outcome.appended;
    } finally {
      await nc.close();
    }
    await page.getByRole('button', { name: 'Catch up now' }).click();
    await page.getByRole('status').filter({ hasText: /^Caught up: / }).waitFor();
    // The console's follower may have refused it first; either way it is listed, and the head did not move.
    const refused = page.getByRole('region', { name: 'Refused entries (1)' });
    await refused.waitFor();
    const row = refused.getByRole('table', { name: 'Refused entries' }).getByRole('row').filter({ has: page.getByRole('cell', { name: String(at), exact: true }) });
    await row.getByText('not a record').waitFor();
    await page.getByRole('region', { name: 'Log head' }).getByLabel(`head fingerprint ${a.vault.logHead()?.fingerprint ?? ''}`).waitFor();
    await check(page);
    await checkDarkAndNarrow(page);
    expect(h.consoleErrors).toEqual([]);
  });

  it("shows the vault's mode from its signed log: a single desk offering the proposal, then team mode once the administrators move it", async () => {
    const { page } = h;
    const mode = page.getByRole('region', { name: "The vault's mode" });
    await mode.getByText('Single desk', { exact: true }).waitFor();
    await mode.getByRole('button', { name: 'Propose team mode' }).waitFor();
    await check(page);
    // The administrators move it on the other console; this one follows the log and says so.
    const p = await a.vault.proposeTeamMode({ deviceId: need(a, 'alice') });
    // A quorum of two besides the proposer.
    await a.vault.approve({ proposalId: p.id, deviceId: need(a, 'bob') });
    await a.vault.approve({ proposalId: p.id, deviceId: need(a, 'carol') });
    const since = a.vault.teamModeRecord();
    expect(since).toEqual(expect.any(Number));
    await mode.getByText(`since record ${since}`, { exact: false }).waitFor();
    expect(await mode.getByRole('button', { name: 'Propose team mode' }).count()).toBe(0);
    await check(page);
    expect(h.consoleErrors).toEqual([]);
  });
});

describe("a team whose server lets the relay through: a custodian's signer node process answers the console's check", () => {
  // Its own server without users: the relay's subjects need permissions the console users above do not have.
  let open: NatsServer;
  let c: TeamConsole;
  let h: Harness;
  let node: NodeProcess | null = null;
  const root = mkdtempSync(path.join(tmpdir(), 'custos-e2e-nodes-'));
  const folder = (who: string) => path.join(root, who);
  beforeAll(async () => {
    open = await startNatsServer();
    c = teamConsole('c', ['alice', 'bob', 'carol']);
    const vault = await foundVault(c);
    await createStream(open, null, vault.vaultId);
    // Bob's node coordinates from the console (no process); Carol's runs as `custos signer start`.
    for (const who of ['bob', 'carol'] as const) {
      mkdirSync(folder(who));
      const keys = publicNodeKey(openNodeKeys(folder(who)));
      await c.vault.registerNode({ nodeId: keys.nodeId, signingKey: keys.signingKey, hpkeKey: keys.hpkeKey, deviceId: need(c, who) });
    }
    await c.join(open, null);
    c.attach();
    const joined = await custos('signer', 'join', '--node-dir', folder('carol'), '--server', open.url, '--vault', vault.vaultId, '--genesis', vault.genesisAddress, '--json');
    expect(joined.code, joined.out + joined.err).toBe(0);
    node = startNode('carol', folder('carol'), PHRASES.carol);
    h = await startHarness();
    const { page } = h;
    await nav(page, 'Team').click();
    const form = page.getByRole('form', { name: 'Join a team' });
    await form.getByRole('textbox', { name: 'Server address' }).fill(open.url);
    await form.getByRole('textbox', { name: 'Vault id' }).fill(vault.vaultId);
    await form.getByRole('textbox', { name: "Genesis administrator's address" }).fill(vault.genesisAddress);
    await form.getByRole('button', { name: 'Join the team' }).click();
    await page.getByRole('region', { name: 'Your signer node' }).waitFor();
    await node.waitFor((e) => e.event === 'ready', 90_000);
  }, 180_000);
  afterAll(async () => {
    await node?.kill();
    await h?.close();
    await c?.close();
    await open?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it("lists Carol's running node as online at the console's head, and Bob's, with no process, as not online", async () => {
    const { page } = h;
    const mine = page.getByRole('region', { name: 'Your signer node' });
    const form = mine.getByRole('form', { name: 'Signer node folder' });
    await form.getByRole('textbox', { name: /^Node folder/ }).fill(folder('bob'));
    await form.getByRole('button', { name: 'Set node folder' }).click();
    await mine.getByTestId('coordinator-user').filter({ hasText: 'Bob' }).waitFor();

    const nodes = page.getByRole('region', { name: 'Signer nodes' });
    await nodes.getByRole('button', { name: 'Check signer nodes' }).click();
    const answers = nodes.getByRole('table', { name: 'Signer nodes just now' });
    const carolRow = answers.getByRole('row').filter({ hasText: 'Carol' });
    await carolRow.getByText('Online', { exact: true }).waitFor();
    await carolRow.getByText(`seq ${(c.vault.logHead()?.count ?? 0) - 1}`).waitFor();
    await carolRow.getByText("None: ready, at this console's head").waitFor();
    await answers.getByRole('row').filter({ hasText: 'Bob' }).getByText('Not online').waitFor();
    await check(page);
    await h.screenshot('team-signer-nodes.png');
    expect(h.consoleErrors).toEqual([]);
  });
});
