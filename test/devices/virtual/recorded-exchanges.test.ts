// Ledger's recorded exchanges (real devices, unknown seeds) replayed against the virtual Ledger: same requests, same answer formats.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { recoverMessageAddress } from 'viem';
import { describe, expect, it } from 'vitest';
import { checksumAddress } from '../../../main/devices/virtual';
import { abandonLedger, connect, raw, textHex } from './helpers';

// Small hand-written fixtures. Sources:
//  - LedgerHQ/ledger-live libs/ledgerjs/packages/hw-app-eth/tests/Eth.unit.test.ts (tests "signPersonalMessage",
//    "getEIP1024PublicEncryptionKey", "getEIP1024SharedSecret");
//  - an earlier revision of hw-app-eth's unit tests (tests "getAppConfiguration", "getAddress"), the same
//    recordings also replayed by other ledgerjs packages' tests.
// Their seeds are unknown, so the emulator's answers can only match them in format; the vectors of the reference
// (abandon seed) check bytes exactly in ethereum-app.test.ts.
const RECORDED = {
  getAppConfiguration: { path: null, request: 'e006000000', response: '010101069000' },
  getAddress: {
    path: "44'/60'/0'/0'/0",
    request: 'e002000015058000002c8000003c800000008000000000000000',
    response:
      '4104df00ad3869baad7ce54f4d560ba7f268d542df8f2679a5898d78a690c3db8f9833d2973671cb14b088e91bdf7c0ab00029a576473c0e12f84d252e630bb3809b2843624139383336326531393963343145313836344430393233414639363436643341363438343531' +
      '9000',
  },
  signPersonalMessage: {
    path: "44'/60'/0'/0'/0",
    request: 'e00800001d058000002c8000003c8000000080000000000000000000000474657374',
    response:
      '1b8beafdd56521af1213d6d668a2aed262cc840e7174b642215aec013a1c88b2bd3a407b9125f1bfc015df6983ae8b87a34d54be367b4275834c3039622a73ee009000',
  },
  encryptionKey: {
    path: "44'/60'/0'/0/0",
    request: 'e018000015058000002c8000003c800000000000000000000000',
    response: '2f720080750797da95a41b052cf5694be1be81c0a662d449cd15f946f376e76d9000',
  },
  sharedSecret: {
    path: "44'/60'/0'/0/0",
    remoteKey: '9ee8bf81321bc2a9e74de286621e13c013b5e4187b1c2fe42b686000672c6f33',
    request: 'e018000135058000002c8000003c8000000000000000000000009ee8bf81321bc2a9e74de286621e13c013b5e4187b1c2fe42b686000672c6f33',
    response: '241dc9af8ecae08df6cf899a73a750b43117b50a7f1470405b5ff10adcf49f769000',
  },
};

/** The recorded device's getAddress answer, decoded. */
function recordedIdentity(): { publicKey: Uint8Array; ascii: string } {
  const bytes = Buffer.from(RECORDED.getAddress.response, 'hex');
  const keyLength = bytes[0]!;
  const publicKey = Uint8Array.from(bytes.subarray(1, 1 + keyLength));
  const addressLength = bytes[1 + keyLength]!;
  return { publicKey, ascii: bytes.subarray(2 + keyLength, 2 + keyLength + addressLength).toString('ascii') };
}

/** The shape of a getAddress answer: 41 ‖ 04 X Y ‖ 28 ‖ 40 ASCII hex chars ‖ [32 bytes] ‖ 9000. */
function addressAnswerShape(responseHex: string) {
  const b = Buffer.from(responseHex, 'hex');
  return {
    length: b.length,
    keyLength: b[0],
    keyPrefix: b[1],
    addressLength: b[66],
    addressIsHex: /^[0-9a-fA-F]{40}$/.test(b.subarray(67, 107).toString('ascii')),
    sw: b.subarray(-2).toString('hex'),
  };
}

describe("Ledger's recorded exchanges", () => {
  it('hw-app-eth sends the recorded requests to the emulator, byte for byte', async () => {
    const ledger = abandonLedger();
    ledger.screen.setResponder(() => 'approve');
    const { eth, sent } = await connect(ledger);
    await eth.getAppConfiguration();
    await eth.getAddress(RECORDED.getAddress.path);
    await eth.signPersonalMessage(RECORDED.signPersonalMessage.path, textHex('test'));
    await eth.getEIP1024PublicEncryptionKey(RECORDED.encryptionKey.path);
    await eth.getEIP1024SharedSecret(RECORDED.sharedSecret.path, RECORDED.sharedSecret.remoteKey);
    expect(sent).toEqual([
      RECORDED.getAppConfiguration.request,
      RECORDED.getAddress.request,
      RECORDED.signPersonalMessage.request,
      RECORDED.encryptionKey.request,
      RECORDED.sharedSecret.request,
    ]);
  });

  it('answers each recorded request in the recorded format (lengths, structure, status word)', async () => {
    const ledger = abandonLedger();
    ledger.screen.setResponder(() => 'approve');
    const { transport } = await connect(ledger);
    for (const fixture of Object.values(RECORDED)) {
      const answer = await raw(transport, fixture.request);
      expect(answer.length, fixture.request).toBe(fixture.response.length);
      expect(answer.slice(-4)).toBe('9000');
    }
    expect(addressAnswerShape(await raw(transport, RECORDED.getAddress.request))).toEqual(
      addressAnswerShape(RECORDED.getAddress.response),
    );
    const signature = await raw(transport, RECORDED.signPersonalMessage.request);
    expect(['1b', '1c']).toContain(signature.slice(0, 2));
    expect(['1b', '1c']).toContain(RECORDED.signPersonalMessage.response.slice(0, 2));
  });

  it("derives the recorded device's EIP-55 address from its recorded public key exactly as the device did", () => {
    const { publicKey, ascii } = recordedIdentity();
    expect(secp256k1.Point.fromBytes(publicKey).toBytes(false)).toEqual(publicKey); // a valid curve point
    expect(checksumAddress(publicKey)).toBe(ascii);
    expect(ascii).toBe('CbA98362e199c41E1864D0923AF9646d3A648451');
  });

  it('shares the recorded signature\'s conventions: v = 27 + parity (recoverable), low-S, as the emulator signs', async () => {
    // The recorded signature and address come from different recordings (they do not recover to one another),
    // so only the conventions can be compared.
    const r = RECORDED.signPersonalMessage.response;
    const s = BigInt(`0x${r.slice(66, 130)}`);
    expect(s <= secp256k1.Point.CURVE().n / 2n).toBe(true);
    const signature = `0x${r.slice(2, 130)}${r.slice(0, 2)}` as const;
    expect(await recoverMessageAddress({ message: 'test', signature })).toMatch(/^0x[0-9a-fA-F]{40}$/);
  });
});
