// The move to team mode through the vault service: the device shows what the preview showed, the quorum decides, and a
// console reopened on its data folder (no team.json) reads the mode from its signed log.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { expectError, fillsPreview, foundedVault, harness, preview, type Harness } from './helpers';

const text = (screen: { fields: { value: string }[] }) => screen.fields.map((f) => f.value).join('\n');
let h: Harness;
afterEach(async () => {
  await h?.close();
});

describe('VaultService.proposeTeamMode', () => {
  it('shows the words the preview showed, takes effect with the quorum, one way, and holds after a reopen', async () => {
    h = harness();
    await foundedVault(h);
    const [step] = preview(h, 'settings.proposeTeamMode', { deviceId: h.device.alice });
    expect(step!.screen).toMatch(/Change: TEAM MODE, for good/);
    const proposed = await h.vault.proposeTeamMode({ deviceId: h.device.alice });
    expect(proposed).toMatchObject({ status: 'pending', needed: 2, title: "Move the vault to team mode for good: keys made and used only by the custodians' signer nodes" });
    const shown = text(h.screens.alice.at(-1)!);
    expect(fillsPreview(step!.screen, shown.replaceAll('\n', ' '))).toBe(true);
    expect(shown.replace(/\s+/g, ' ')).toMatch(/Console: its MPC host will refuse to sign and to make or reshare any key/);

    await h.vault.approve({ proposalId: proposed.id, deviceId: h.device.bob });
    expect(h.vault.inTeam()).toBe(false);
    await h.vault.approve({ proposalId: proposed.id, deviceId: h.device.carol });
    const since = h.store.records.all().length - 1;
    expect(h.vault.teamModeRecord()).toBe(since);
    expect(h.vault.inTeam()).toBe(true);
    expect(h.vault.status().vault).toMatchObject({ settings: { teamModeSince: since }, integrity: { status: 'ok' } });

    // One way: a second move is refused before any device is asked.
    const screens = h.screens.bob.length;
    await expectError(h.vault.proposeTeamMode({ deviceId: h.device.bob }), 'RULE_VIOLATION', /already in team mode \(since record \d+\); there is no way back to a single desk/);
    expect(h.screens.bob.length).toBe(screens);

    // A console opened again on the folder, with no team settings at all: the log says team mode.
    expect(existsSync(path.join(h.dir, 'team.json'))).toBe(false);
    h.reopen();
    expect(h.vault.inTeam()).toBe(true);
    expect(h.vault.teamModeRecord()).toBe(since);
    expect(() => h.vault.requireTeamJoined()).toThrow(`This vault is in team mode by record ${since}; its signings and key ceremonies go through the custodians' signer nodes; this console is not joined to its team`);
  });

  it('refuses a proposer who is no administrator, and leaves a single desk as it was', async () => {
    h = harness();
    await foundedVault(h);
    await expectError(h.vault.proposeTeamMode({ deviceId: h.device.dave }), 'NOT_AUTHORISED');
    expect(h.vault.inTeam()).toBe(false);
    expect(() => h.vault.requireTeamJoined()).not.toThrow();
  });
});
