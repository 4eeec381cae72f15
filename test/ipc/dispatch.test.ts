// The IPC dispatcher: every input is validated against the contract; bad calls get clear errors, never a crash.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CHANNELS, type Channel } from '../../preload/contract';
import { dispatch, type Handlers } from '../../main/ipc/dispatch';
import { CustosError } from '../../main/errors';
import { silentLogger } from '../../main/log';

/** A handler table whose handlers echo their parsed input, so the tests see what validation let through. */
function echoHandlers(): Handlers {
  const table: Record<string, (input: unknown) => unknown> = {};
  for (const channel of CHANNELS) table[channel] = (input) => ({ channel, input });
  return table as unknown as Handlers;
}

describe('IPC dispatch', () => {
  it('refuses a channel the contract does not name', async () => {
    const result = await dispatch(echoHandlers(), 'fs.readFile', {}, silentLogger);
    expect(result).toEqual({ ok: false, error: { code: 'UNKNOWN_CHANNEL', message: expect.stringContaining('fs.readFile') } });
  });

  it('refuses prototype names as channels', async () => {
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const result = await dispatch(echoHandlers(), name, {}, silentLogger);
      expect(result.ok).toBe(false);
    }
  });

  it('answers bad input with BAD_INPUT naming the field and the rule', async () => {
    const result = await dispatch(echoHandlers(), 'devices.identity', { deviceId: 'virtual:1', path: "m/44'/0'/0'" }, silentLogger);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('BAD_INPUT');
    expect(result.error.message).toMatch(/path/);
    expect(result.error.message).toMatch(/44'\/60'/);
  });

  it('refuses unknown fields (strict schemas)', async () => {
    const result = await dispatch(echoHandlers(), 'devices.list', { sneaky: true }, silentLogger);
    expect(result.ok).toBe(false);
  });

  it('refuses statements a device cannot show faithfully', async () => {
    const base = { deviceId: 'virtual:1', path: "m/44'/60'/0'/0/0" };
    for (const text of ['', 'tab\there', 'caf\u00e9', 'x'.repeat(4001), 'null\u0000byte']) {
      const result = await dispatch(echoHandlers(), 'devices.signStatement', { ...base, text }, silentLogger);
      expect(result.ok, JSON.stringify(text.slice(0, 20))).toBe(false);
    }
    const ok = await dispatch(echoHandlers(), 'devices.signStatement', { ...base, text: 'Custos\nline two' }, silentLogger);
    expect(ok.ok).toBe(true);
  });

  it('passes a CustosError through as data and hides the text of unexpected errors', async () => {
    const handlers = echoHandlers();
    handlers['devices.list'] = () => {
      throw new CustosError('DEVICE_LOCKED', 'Unlock your Ledger.');
    };
    handlers['devices.refresh'] = () => {
      throw new Error('secret stack detail 0xdeadbeef');
    };
    expect(await dispatch(handlers, 'devices.list', {}, silentLogger)).toEqual({
      ok: false,
      error: { code: 'DEVICE_LOCKED', message: 'Unlock your Ledger.' },
    });
    const hidden = await dispatch(handlers, 'devices.refresh', {}, silentLogger);
    expect(hidden.ok).toBe(false);
    expect(JSON.stringify(hidden)).not.toContain('deadbeef');
  });

  it('never throws, whatever arrives', async () => {
    const handlers = echoHandlers();
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.constantFrom<Channel | string>(...CHANNELS), fc.string()), fc.anything(), async (channel, input) => {
        const result = await dispatch(handlers, channel, input, silentLogger);
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 300 },
    );
  });

  it('accepts only derivation paths under the Ethereum app\'s roots, with levels below 2^31', async () => {
    const call = (path: string) => dispatch(echoHandlers(), 'devices.identity', { deviceId: 'd', path }, silentLogger);
    expect((await call("m/44'/60'/0'/0/0")).ok).toBe(true);
    expect((await call("m/45'/1/2")).ok).toBe(true);
    expect((await call("m/44'/60'/2147483648'/0")).ok).toBe(false);
    expect((await call("44'/60'/0'/0/0")).ok).toBe(false);
    expect((await call("m/44h/60h/0h")).ok).toBe(false);
    expect((await call("m/44'/60'/0/0/0/0/0/0/0/0/0")).ok).toBe(false);
  });
});

describe('refused inputs in words, with their field', () => {
  it('names the field of the first problem and says it without the validator’s words', async () => {
    const input = { walletId: 'w-1', destination: 'bc1q', amount: '100', feeRate: 2, deviceId: 'virtual:1' };
    const result = await dispatch(echoHandlers(), 'transfers.create', input, silentLogger);
    expect(result).toEqual({ ok: false, error: { code: 'BAD_INPUT', field: 'destination', message: 'The destination address is too short (at least 14 characters).' } });
  });

  it('keeps a schema’s own words for a format, and names a missing field', async () => {
    const base = { walletId: 'w-1', destination: 'bcrt1qexampleexample', feeRate: 2, deviceId: 'virtual:1' };
    const amount = await dispatch(echoHandlers(), 'transfers.create', { ...base, amount: '0.5' }, silentLogger);
    expect(amount).toEqual({ ok: false, error: { code: 'BAD_INPUT', field: 'amount', message: 'The amount must be an amount in sats: a whole number, no leading zeros.' } });
    const fee = await dispatch(echoHandlers(), 'transfers.create', { ...base, amount: '100', feeRate: 0 }, silentLogger);
    expect(fee).toEqual({ ok: false, error: { code: 'BAD_INPUT', field: 'feeRate', message: 'The fee rate must be at least 1.' } });
    const missing = await dispatch(echoHandlers(), 'transfers.importPsbt', { walletId: 'w-1', deviceId: 'virtual:1' }, silentLogger);
    expect(missing).toEqual({ ok: false, error: { code: 'BAD_INPUT', field: 'psbt', message: 'The PSBT is missing.' } });
  });

  it('passes the field of a CustosError thrown by a handler', async () => {
    const handlers = echoHandlers();
    handlers['groups.proposeCreate'] = () => {
      throw new CustosError('RULE_VIOLATION', 'A group is already named Ops: choose another name.', undefined, 'name');
    };
    const result = await dispatch(handlers, 'groups.proposeCreate', { name: 'Ops', memberIds: [], deviceId: 'virtual:1' }, silentLogger);
    expect(result).toEqual({ ok: false, error: { code: 'RULE_VIOLATION', field: 'name', message: 'A group is already named Ops: choose another name.' } });
  });
});
