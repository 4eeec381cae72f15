// Turns what a Ledger exchange throws (status words, transport failures) into clear CustosErrors.
import { CustosError } from '../errors';

/** What the manager was doing when the failure happened, so the message can say what to do next. */
export type OperationKind = 'probe' | 'identity' | 'sign' | 'encryption-key' | 'shared-secret';

const hex = (sw: number) => '0x' + sw.toString(16).padStart(4, '0');

/** Status words that mean "the Ethereum app is not what is open": the dashboard, or another app. */
const WRONG_APP_STATUS = new Set([0x6e00, 0x6e01, 0x6d00, 0x6d02, 0x6511, 0x650e, 0x650f, 0x6510]);

export function errorFromStatusWord(statusCode: number, operation: OperationKind): CustosError {
  const details = { statusWord: hex(statusCode) };
  if (statusCode === 0x5515 || statusCode === 0x6982) {
    return new CustosError('DEVICE_LOCKED', 'Your Ledger is locked. Unlock your Ledger with its PIN, then try again.', details);
  }
  if (WRONG_APP_STATUS.has(statusCode)) {
    return new CustosError(
      'WRONG_APP',
      'The Ethereum app is not open on your Ledger. Open the Ethereum app on the device, then try again.',
      details,
    );
  }
  if (statusCode === 0x6985) {
    return new CustosError('REJECTED_ON_DEVICE', 'The request was rejected on the device. Nothing was signed.', details);
  }
  if (statusCode === 0x6a80 && operation === 'sign') {
    return new CustosError(
      'BLIND_SIGNING_REQUIRED',
      'The Ethereum app refused to sign this data (0x6a80). If the device asks for it, enable "Blind signing" in the ' +
        "Ethereum app's settings; otherwise check the derivation path.",
      details,
    );
  }
  if (statusCode === 0x6a80) {
    return new CustosError('DEVICE_ERROR', 'The Ethereum app refused the request as incorrect data (0x6a80). Check the derivation path.', details);
  }
  if (statusCode === 0x6980) {
    return new CustosError('DEVICE_BUSY', 'The Ethereum app was busy with another signature and reset it. Try again.', details);
  }
  if (statusCode === 0x6a84) {
    return new CustosError('DEVICE_ERROR', 'The message is too large for the device to show (0x6a84).', details);
  }
  return new CustosError('DEVICE_ERROR', `The device answered with an error (status ${hex(statusCode)}).`, details);
}

interface LedgerLikeError {
  name?: string;
  message?: string;
  statusCode?: number;
  id?: string;
}

/** Maps any failure of an exchange to a CustosError; CustosErrors pass through untouched. */
export function deviceErrorFrom(err: unknown, operation: OperationKind): CustosError {
  if (err instanceof CustosError) return err;
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as LedgerLikeError;
  if (typeof e.statusCode === 'number') return errorFromStatusWord(e.statusCode, operation);
  const name = e.name ?? '';
  const message = e.message ?? '';
  if (name === 'DisconnectedDevice' || name === 'DisconnectedDeviceDuringOperation' || /disconnected|could not read from hid|cannot write to hid/i.test(message)) {
    return new CustosError(
      'DEVICE_DISCONNECTED',
      'The Ledger was disconnected during the exchange. Reconnect it, unlock it, open the Ethereum app, then try again.',
    );
  }
  if (name === 'TransportRaceCondition') {
    return new CustosError('DEVICE_BUSY', 'The device is busy with another request. Finish or cancel it on the device first.');
  }
  if (name === 'TransportError' && /^Invalid(Channel|Tag|Sequence)$/.test(e.id ?? '')) {
    return new CustosError('DEVICE_BAD_RESPONSE', `The device sent a malformed response (${e.id}). Reconnect it and try again.`);
  }
  if (/cannot open device|could not open|access denied|permission denied|LIBUSB_ERROR_ACCESS|LIBUSB_ERROR_BUSY/i.test(message)) {
    return new CustosError(
      'DEVICE_IN_USE',
      'Custos could not open the Ledger: another program (Ledger Live, a browser wallet) may be holding it, or on Linux the ' +
        'udev rules may be missing. Close the other program and try again.',
    );
  }
  return new CustosError('DEVICE_ERROR', 'The exchange with the device failed unexpectedly. Reconnect the device and try again.', {
    cause: name || 'unknown',
  });
}
