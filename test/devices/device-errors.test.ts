// Status words and transport failures become errors that tell the person what to do.
import { describe, expect, it } from 'vitest';
import { TransportError, TransportStatusError, DisconnectedDeviceDuringOperation, TransportRaceCondition } from '@ledgerhq/errors';
import { deviceErrorFrom, errorFromStatusWord } from '../../main/devices/device-errors';
import { CustosError } from '../../main/errors';

describe('device errors', () => {
  it.each([
    [0x5515, 'DEVICE_LOCKED', /Unlock your Ledger/],
    [0x6e00, 'WRONG_APP', /Open the Ethereum app/],
    [0x6e01, 'WRONG_APP', /Open the Ethereum app/],
    [0x6d00, 'WRONG_APP', /Open the Ethereum app/],
    [0x6511, 'WRONG_APP', /Open the Ethereum app/],
    [0x6d02, 'WRONG_APP', /Open the Ethereum app/],
    [0x6985, 'REJECTED_ON_DEVICE', /rejected on the device/],
  ] as const)('status word %s → %s', (sw, code, message) => {
    const error = errorFromStatusWord(sw, 'identity');
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
    expect(error.details?.statusWord).toBe('0x' + sw.toString(16).padStart(4, '0'));
  });

  it('0x6a80 while signing asks for blind signing; elsewhere it points at the path', () => {
    expect(errorFromStatusWord(0x6a80, 'sign').code).toBe('BLIND_SIGNING_REQUIRED');
    expect(errorFromStatusWord(0x6a80, 'identity').message).toMatch(/derivation path/);
  });

  it('an unknown status word is reported with its value', () => {
    const error = errorFromStatusWord(0x6f42, 'probe');
    expect(error.code).toBe('DEVICE_ERROR');
    expect(error.message).toContain('0x6f42');
  });

  it("maps the Ledger libraries' own errors", () => {
    expect(deviceErrorFrom(new TransportStatusError(0x5515), 'sign').code).toBe('DEVICE_LOCKED');
    expect(deviceErrorFrom(new DisconnectedDeviceDuringOperation('gone'), 'sign').code).toBe('DEVICE_DISCONNECTED');
    expect(deviceErrorFrom(new TransportRaceCondition('busy'), 'sign').code).toBe('DEVICE_BUSY');
    expect(deviceErrorFrom(new TransportError('Invalid channel', 'InvalidChannel'), 'sign').code).toBe('DEVICE_BAD_RESPONSE');
    expect(deviceErrorFrom(new Error('cannot open device with path /dev/hidraw3'), 'probe').code).toBe('DEVICE_IN_USE');
    const unknown = deviceErrorFrom(new Error('weird'), 'probe');
    expect(unknown.code).toBe('DEVICE_ERROR');
    expect(unknown.message).not.toContain('weird');
  });

  it('passes CustosErrors through', () => {
    const original = new CustosError('APP_TOO_OLD', 'old');
    expect(deviceErrorFrom(original, 'probe')).toBe(original);
  });
});
