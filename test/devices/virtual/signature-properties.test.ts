// Property tests: whatever the statement, the virtual Ledger's signature recovers its own address and the screen shows it.
import fc from 'fast-check';
import { recoverMessageAddress } from 'viem';
import { describe, expect, it } from 'vitest';
import { VirtualLedger, displayedMessage } from '../../../main/devices/virtual';
import { PATH, connect, hex, textHex } from './helpers';

const printableAscii = fc
  .array(fc.integer({ min: 0x20, max: 0x7e }), { minLength: 1, maxLength: 2000, size: 'max' })
  .map((codes) => String.fromCharCode(...codes));

describe('signature properties', () => {
  it('signs any printable ASCII message of 1..2000 characters so that it recovers the device address', async () => {
    const ledger = new VirtualLedger();
    ledger.screen.setResponder(() => 'approve');
    const { eth } = await connect(ledger);
    const { address } = await eth.getAddress(PATH);
    await fc.assert(
      fc.asyncProperty(printableAscii, async (message) => {
        const { v, r, s } = await eth.signPersonalMessage(PATH, textHex(message));
        expect([27, 28]).toContain(v);
        const recovered = await recoverMessageAddress({ message, signature: `0x${r}${s}${v.toString(16)}` });
        expect(recovered).toBe(address);
        expect(ledger.screen.history.at(-1)?.content.fields[0]?.value).toBe(message);
      }),
      { numRuns: 40 },
    );
    // The generator must really reach long, multi-chunk statements.
    expect(Math.max(...ledger.screen.history.map((h) => h.content.fields[0]?.value.length ?? 0))).toBeGreaterThan(500);
  });

  it('signs arbitrary bytes, showing them as 0x-hex exactly when a byte is neither printable nor whitespace', async () => {
    const ledger = new VirtualLedger();
    ledger.screen.setResponder(() => 'approve');
    const { eth } = await connect(ledger);
    const { address } = await eth.getAddress(PATH);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 600, size: 'max' }), async (bytes) => {
        const { v, r, s } = await eth.signPersonalMessage(PATH, hex(bytes));
        const recovered = await recoverMessageAddress({ message: { raw: bytes }, signature: `0x${r}${s}${v.toString(16)}` });
        expect(recovered).toBe(address);
        const textual = bytes.every((b) => (b >= 0x20 && b <= 0x7e) || (b >= 0x09 && b <= 0x0d));
        const asText = String.fromCharCode(...bytes.map((b) => (b >= 0x09 && b <= 0x0d ? 0x20 : b)));
        const shown = ledger.screen.history.at(-1)?.content.fields[0]?.value;
        expect(shown).toBe(textual ? asText : `0x${hex(bytes)}`);
        expect(displayedMessage(bytes)).toBe(shown);
      }),
      { numRuns: 30 },
    );
  });
});
