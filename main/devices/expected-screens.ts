// What a real Ledger's Ethereum app will show for each operation, so the console can say it before it starts.
import type { ScreenContent } from './types';

/** The Nano shows every whitespace character of a text message as a space. */
const asShown = (text: string) => text.replace(/[\t\n\v\f\r]/g, ' ');

export const expectedScreens = {
  verifyAddress: (address: string): ScreenContent => ({
    operation: 'verify-address',
    title: 'Verify Ethereum address',
    fields: [{ label: 'Address', value: address }],
  }),
  signMessage: (text: string): ScreenContent => ({
    operation: 'sign-message',
    title: 'Review message',
    fields: [{ label: 'Message', value: asShown(text) }],
  }),
  encryptionKey: (address: string): ScreenContent => ({
    operation: 'encryption-key',
    title: 'Provide public privacy key',
    fields: [{ label: 'Address', value: address }],
  }),
  sharedSecret: (address: string): ScreenContent => ({
    operation: 'shared-secret',
    title: 'Provide public secret key',
    fields: [{ label: 'Address', value: address }],
  }),
};

/** What the person should do, in plain words. */
export function instructionFor(kind: 'usb' | 'virtual', operation: ScreenContent['operation']): string {
  const verb = operation === 'sign-message' ? 'sign' : operation === 'verify-address' ? 'confirm the address' : 'approve';
  return kind === 'usb'
    ? `Check the screen of your Ledger, then ${verb} on the device (or reject it there).`
    : `This is the screen of a virtual Ledger (not secure). Read it, then Approve or Reject.`;
}

/**
 * What of a screen may leave main. The Ethereum app shows an EIP-1024 shared secret itself on its review screen;
 * on a real device that stays on the device, so the console's copy of a virtual screen must not carry it either.
 */
export function screenForConsole(content: ScreenContent): ScreenContent {
  if (content.operation !== 'shared-secret') return content;
  return {
    ...content,
    fields: content.fields.map((f) =>
      f.label === 'Key' ? { label: 'Key', value: '(the shared secret: shown only on the device)' } : f,
    ),
  };
}
