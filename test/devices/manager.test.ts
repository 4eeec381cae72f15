// The device manager over virtual Ledgers behind the real HID framing and Ledger client libraries: operations,
// screens, every failure's clear error, and a manager that stays usable after each.
import { afterEach, describe, expect, it } from 'vitest';
import { verifyMessage } from 'viem';
import type { DevicePrompt } from '../../preload/contract';
import { DeviceManager } from '../../main/devices/manager';
import { deviceErrorFrom } from '../../main/devices/device-errors';
import { nodeHidDiscovery } from '../../main/devices/usb';
import { VirtualLedger, type VirtualHidDevice } from '../../main/devices/virtual';
import { CustosError } from '../../main/errors';

const ABANDON = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
const PATH = "m/44'/60'/0'/0/0";
const ABANDON_ADDRESS = '0x9858EfFD232B4033E47d90003D41EC34EcaEda94';

const managers: DeviceManager[] = [];
function newManager(options: ConstructorParameters<typeof DeviceManager>[0] = {}): DeviceManager {
  const manager = new DeviceManager(options);
  managers.push(manager);
  return manager;
}
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.close()));
});

/** Answers the next prompt the manager shows, the way a person at the console would. */
function answerNextPrompt(manager: DeviceManager, decision: 'approve' | 'reject'): Promise<DevicePrompt> {
  return new Promise((resolve) => {
    manager.once('prompt', (prompt) => {
      manager.respond(prompt.promptId, decision);
      resolve(prompt);
    });
  });
}

async function expectCode(promise: Promise<unknown>, code: CustosError['code']): Promise<CustosError> {
  const error = await promise.then(
    () => {
      throw new Error(`expected ${code}, but it succeeded`);
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CustosError);
  expect((error as CustosError).code).toBe(code);
  return error as CustosError;
}

describe('device manager with a virtual Ledger', () => {
  it('reads the identity a real Ledger gives for the same mnemonic', async () => {
    const manager = newManager();
    const { device } = manager.addVirtual({ mnemonic: ABANDON });
    expect(device).toMatchObject({ kind: 'virtual', secure: false, model: 'Virtual Ledger' });
    const identity = await manager.identity(device.id, PATH);
    expect(identity.address).toBe(ABANDON_ADDRESS);
    expect(identity.publicKey).toBe(
      '0x0437b0bb7a8288d38ed49a524b5dc98cff3eb5ca824c9f9dc0dfdb3d9cd600f299a6179912b7451c09896c4098eca7ce6b2e58330672795e847c4d6af44e024230',
    );
    expect(manager.list()[0]).toMatchObject({ state: 'ready', app: { name: 'Ethereum', version: '1.22.0' }, hint: null });
  });

  it('signs a statement after its screen was shown and approved; viem verifies the signature', async () => {
    const manager = newManager();
    const { device } = manager.addVirtual({ mnemonic: ABANDON });
    const text = 'Custos test statement\nVault: Example\nSeq: 1';
    const shown = answerNextPrompt(manager, 'approve');
    const signed = await manager.signStatement(device.id, PATH, text);
    const prompt = await shown;
    expect(prompt).toMatchObject({ kind: 'virtual', operation: 'sign-message', deviceId: device.id });
    expect(prompt.fields.map((f) => f.value).join('')).toContain('Custos test statement');
    expect(signed.signature).toMatch(/^0x[0-9a-f]{130}$/);
    expect(await verifyMessage({ address: ABANDON_ADDRESS, message: text, signature: signed.signature as `0x${string}` })).toBe(true);
    expect(manager.prompts()).toEqual([]);
  });

  it('asks to confirm the address on the screen when told to', async () => {
    const manager = newManager();
    const { device } = manager.addVirtual({ mnemonic: ABANDON });
    const shown = answerNextPrompt(manager, 'approve');
    await manager.identity(device.id, PATH, true);
    const prompt = await shown;
    expect(prompt.operation).toBe('verify-address');
    expect(JSON.stringify(prompt.fields)).toContain(ABANDON_ADDRESS);
  });

  it('a rejection on the screen is a clear error and the device stays usable', async () => {
    const manager = newManager();
    const { device } = manager.addVirtual({ mnemonic: ABANDON });
    void answerNextPrompt(manager, 'reject');
    const error = await expectCode(manager.signStatement(device.id, PATH, 'no'), 'REJECTED_ON_DEVICE');
    expect(error.message).toMatch(/rejected on the device/);
    void answerNextPrompt(manager, 'approve');
    await expect(manager.signStatement(device.id, PATH, 'yes')).resolves.toMatchObject({ address: ABANDON_ADDRESS });
  });

  it('gives the EIP-1024 encryption key and shared secret the Ethereum app computes', async () => {
    const manager = newManager();
    const { device } = manager.addVirtual({ mnemonic: ABANDON });
    const key = await manager.encryptionKey(device.id, PATH);
    expect(key.publicKey).toBe('0x2b19c3869cc20428f6df3f1970cafffb6ca26d45546bff3bc12fbbbb0e7d7726');
    const remote = Uint8Array.from(Buffer.from('87020e80af6e07a6e4697f091eacadb9e7e6629cb7e5a8a371689a3ed53b3d64', 'hex'));
    const shown = answerNextPrompt(manager, 'approve');
    const secret = await manager.sharedSecret(device.id, PATH, remote, 'Opens your key share of Cold BTC for request R-1.');
    expect(Buffer.from(secret).toString('hex')).toBe('c6e2bb3e59ac84e47a6739fa39e7887a633ebc1d5a3af7160de72908866ed32c');
    const prompt = await shown;
    expect(prompt.operation).toBe('shared-secret');
    // The device shows the secret on its own screen; the console (and so the renderer) never receives it.
    expect(JSON.stringify(prompt).toLowerCase()).not.toContain('c6e2bb3e59ac84e47a6739fa39e7887a633ebc1d5a3af7160de72908866ed32c');
    expect(prompt.fields.find((f) => f.label === 'Address')?.value).toBe(ABANDON_ADDRESS);
    // The device's screen cannot say what the secret is for: the console says it beside the screen.
    expect(prompt.instruction).toMatch(/^Opens your key share of Cold BTC for request R-1\. /);
  });

  it('a locked device says to unlock it, and works once unlocked', async () => {
    const manager = newManager();
    const ledger = new VirtualLedger({ mnemonic: ABANDON, locked: true });
    const device = manager.attachVirtual(ledger);
    const error = await expectCode(manager.identity(device.id, PATH), 'DEVICE_LOCKED');
    expect(error.message).toMatch(/Unlock your Ledger/);
    expect(manager.list()[0]).toMatchObject({ state: 'locked', hint: expect.stringMatching(/Unlock/) });
    ledger.unlock();
    await expect(manager.identity(device.id, PATH)).resolves.toMatchObject({ address: ABANDON_ADDRESS });
    expect(manager.list()[0]?.state).toBe('ready');
  });

  it('the dashboard or another app open says to open the Ethereum app', async () => {
    const manager = newManager();
    const ledger = new VirtualLedger({ mnemonic: ABANDON, appName: 'BOLOS' });
    const device = manager.attachVirtual(ledger);
    const onDashboard = await expectCode(manager.identity(device.id, PATH), 'WRONG_APP');
    expect(onDashboard.message).toMatch(/Open the Ethereum app.*dashboard/);
    ledger.openApp('Bitcoin', '2.1.0');
    const otherApp = await expectCode(manager.identity(device.id, PATH), 'WRONG_APP');
    expect(otherApp.message).toMatch(/Bitcoin app is open/);
    expect(manager.list()[0]).toMatchObject({ state: 'wrong-app', app: { name: 'Bitcoin' } });
    ledger.openApp('Ethereum', '1.22.0');
    await expect(manager.identity(device.id, PATH)).resolves.toMatchObject({ address: ABANDON_ADDRESS });
  });

  it('an Ethereum app older than Custos supports says to update it', async () => {
    const manager = newManager();
    const device = manager.attachVirtual(new VirtualLedger({ mnemonic: ABANDON, appVersion: '1.9.20' }));
    const error = await expectCode(manager.identity(device.id, PATH), 'APP_TOO_OLD');
    expect(error.message).toMatch(/1\.9\.20.*1\.10\.0/);
    expect(manager.list()[0]?.state).toBe('app-too-old');
  });

  it('a device unplugged while its screen waits gives DEVICE_DISCONNECTED; plugged back, it works', async () => {
    const manager = newManager();
    const opened: VirtualHidDevice[] = [];
    const device = manager.attachVirtual(new VirtualLedger({ mnemonic: ABANDON }), { onOpen: (d) => opened.push(d) });
    manager.once('prompt', () => opened.at(-1)?.unplug());
    const error = await expectCode(manager.signStatement(device.id, PATH, 'pulled'), 'DEVICE_DISCONNECTED');
    expect(error.message).toMatch(/Reconnect/);
    expect(manager.list()[0]?.state).toBe('disconnected');
    void answerNextPrompt(manager, 'approve');
    await expect(manager.signStatement(device.id, PATH, 'back')).resolves.toMatchObject({ address: ABANDON_ADDRESS });
    expect(opened.length).toBe(2);
  });

  it('a device that dies mid-exchange gives a clear error and the next exchange reopens it', async () => {
    const manager = newManager();
    let first = true;
    const device = manager.attachVirtual(new VirtualLedger({ mnemonic: ABANDON }), {
      onOpen: (d) => {
        if (first) d.faults.dieMidExchange = 'before-answer';
        first = false;
      },
    });
    await expectCode(manager.identity(device.id, PATH), 'DEVICE_DISCONNECTED');
    await expect(manager.identity(device.id, PATH)).resolves.toMatchObject({ address: ABANDON_ADDRESS });
  });

  it.each(['wrong-channel', 'wrong-tag', 'wrong-sequence'] as const)('a malformed response (%s) is refused and the device stays usable', async (fault) => {
    const manager = newManager();
    let first = true;
    const device = manager.attachVirtual(new VirtualLedger({ mnemonic: ABANDON }), {
      onOpen: (d) => {
        if (first) d.faults.malformedResponse = fault;
        first = false;
      },
    });
    await expectCode(manager.identity(device.id, PATH), 'DEVICE_BAD_RESPONSE');
    await expect(manager.identity(device.id, PATH)).resolves.toMatchObject({ address: ABANDON_ADDRESS });
  });

  it('an exchange that never answers times out and leaves the manager usable', async () => {
    const manager = newManager({ exchangeTimeoutMs: 400 });
    let first = true;
    const device = manager.attachVirtual(new VirtualLedger({ mnemonic: ABANDON }), {
      onOpen: (d) => {
        if (first) d.faults.neverAnswer = true;
        first = false;
      },
    });
    const error = await expectCode(manager.identity(device.id, PATH), 'DEVICE_TIMEOUT');
    expect(error.message).toMatch(/did not answer in time/);
    await expect(manager.identity(device.id, PATH)).resolves.toMatchObject({ address: ABANDON_ADDRESS });
  });

  it('nobody confirming in time cancels the screen and says nothing was signed', async () => {
    const manager = newManager({ confirmationTimeoutMs: 300 });
    const { device } = manager.addVirtual({ mnemonic: ABANDON });
    const ended: string[] = [];
    manager.on('promptEnded', (e) => ended.push(e.outcome));
    const error = await expectCode(manager.signStatement(device.id, PATH, 'slow'), 'DEVICE_TIMEOUT');
    expect(error.message).toMatch(/Nothing was signed/);
    expect(ended).toEqual(['cancelled']);
    expect(manager.prompts()).toEqual([]);
    void answerNextPrompt(manager, 'approve');
    await expect(manager.signStatement(device.id, PATH, 'now')).resolves.toMatchObject({ address: ABANDON_ADDRESS });
  });

  it('runs one exchange at a time per device: a second statement waits for the first screen', async () => {
    const manager = newManager();
    const { device } = manager.addVirtual({ mnemonic: ABANDON });
    const seen: string[] = [];
    manager.on('prompt', (prompt) => {
      seen.push(prompt.fields.map((f) => f.value).join(''));
      expect(manager.prompts()).toHaveLength(1);
      setTimeout(() => manager.respond(prompt.promptId, 'approve'), 20);
    });
    const [a, b] = await Promise.all([manager.signStatement(device.id, PATH, 'first'), manager.signStatement(device.id, PATH, 'second')]);
    expect([a.text, b.text]).toEqual(['first', 'second']);
    expect(seen).toEqual(['first', 'second']);
  });

  it('keeps two devices independent', async () => {
    const manager = newManager();
    const a = manager.addVirtual({ mnemonic: ABANDON }).device;
    const b = manager.addVirtual().device;
    const [ia, ib] = await Promise.all([manager.identity(a.id, PATH), manager.identity(b.id, PATH)]);
    expect(ia.address).toBe(ABANDON_ADDRESS);
    expect(ib.address).not.toBe(ABANDON_ADDRESS);
  });

  it('refuses a bad mnemonic, an unknown device, and an answer to a prompt that is gone', async () => {
    const manager = newManager();
    expect(() => manager.addVirtual({ mnemonic: 'abandon '.repeat(12).trim() })).toThrow(/not a valid BIP-39/);
    await expectCode(manager.identity('virtual:99', PATH), 'DEVICE_NOT_FOUND');
    expect(() => manager.respond('no-such-prompt', 'approve')).toThrow(/no longer waiting/);
  });

  it('removing a device cancels its waiting screen', async () => {
    const manager = newManager();
    const { device } = manager.addVirtual({ mnemonic: ABANDON });
    manager.once('prompt', () => manager.remove(device.id));
    await expect(manager.signStatement(device.id, PATH, 'gone')).rejects.toBeInstanceOf(CustosError);
    expect(manager.list()).toEqual([]);
    expect(manager.prompts()).toEqual([]);
  });

  it('announces every change of the device list', async () => {
    const manager = newManager();
    const lists: number[] = [];
    manager.on('changed', (list) => lists.push(list.length));
    const { device } = manager.addVirtual();
    await manager.refresh();
    manager.remove(device.id);
    expect(lists[0]).toBe(1);
    expect(lists.at(-1)).toBe(0);
  });
});

describe('USB Ledgers', () => {
  it('a USB device that cannot be opened is reported as held by another program (real node-hid)', async () => {
    const endpoint = nodeHidDiscovery().endpoint('/dev/custos-no-such-hidraw', 'Nano X');
    const error = await endpoint.open().then(
      () => null,
      (e: unknown) => deviceErrorFrom(e, 'probe'),
    );
    expect(error?.code).toBe('DEVICE_IN_USE');
    expect(error?.message).toMatch(/another program/);
  });
});
