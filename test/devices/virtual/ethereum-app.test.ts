// The virtual Ledger's Ethereum app, driven by the real hw-app-eth over the real HID transport: vectors, screens, status words.
import { x25519 } from '@noble/curves/ed25519.js';
import { recoverMessageAddress, verifyMessage } from 'viem';
import { describe, expect, it } from 'vitest';
import { VirtualLedger } from '../../../main/devices/virtual';
import { ABANDON, PATH, abandonLedger, connect, hex, raw, statusOf, textHex } from './helpers';

// Vectors: /work/shared/reference/ledger-ethereum-app.md §3–§5 (abandon seed, m/44'/60'/0'/0/0).
const VECTOR = {
  publicKey:
    '0437b0bb7a8288d38ed49a524b5dc98cff3eb5ca824c9f9dc0dfdb3d9cd600f299a6179912b7451c09896c4098eca7ce6b2e58330672795e847c4d6af44e024230',
  address: '0x9858EfFD232B4033E47d90003D41EC34EcaEda94',
  chainCode: '736094f4f24b67e838a4b3d23d31d229ca03e00c9bb99ce95da6d86e8b3847b5',
  testSignature: {
    v: 0x1c,
    r: '1bc639199849d4afd5d3a32de9c5dffa236529245166baf00b1df871b55693b7',
    s: '1c0d5c609c01714bcc0042ccca287b2e4ca1b79f5e89d6a9f8496726a5fddb96',
  },
  encryptionKey: '2b19c3869cc20428f6df3f1970cafffb6ca26d45546bff3bc12fbbbb0e7d7726',
  remoteKey: '87020e80af6e07a6e4697f091eacadb9e7e6629cb7e5a8a371689a3ed53b3d64',
  sharedSecret: 'c6e2bb3e59ac84e47a6739fa39e7887a633ebc1d5a3af7160de72908866ed32c',
};
const PATH_HEX = '058000002c8000003c800000000000000000000000';

const approveAll = (ledger: VirtualLedger) => ledger.screen.setResponder(() => 'approve');
const signatureHex = (sig: { v: number; r: string; s: string }) => `0x${sig.r}${sig.s}${sig.v.toString(16)}` as const;

describe('VirtualLedger construction', () => {
  it('generates a fresh 24-word mnemonic when none is given', () => {
    const a = new VirtualLedger();
    const b = new VirtualLedger();
    expect(a.mnemonic.split(' ')).toHaveLength(24);
    expect(a.mnemonic).not.toBe(b.mnemonic);
    expect(a.label).toBe('Virtual Ledger');
  });

  it('refuses an invalid mnemonic without repeating its words', () => {
    expect(() => new VirtualLedger({ mnemonic: 'abandon abandon secretword' })).toThrow(/not a valid BIP-39/);
    try {
      new VirtualLedger({ mnemonic: 'abandon abandon secretword' });
    } catch (err) {
      expect((err as Error).message).not.toContain('secretword');
    }
  });
});

describe('OS and configuration commands', () => {
  it('answers B0 01 with the app name, version and flags, byte for byte', async () => {
    const { transport } = await connect();
    // 01 ‖ 08 "Ethereum" ‖ 06 "1.22.0" ‖ 01 flags(02) ‖ 9000 (reference §1).
    expect(await raw(transport, 'b001000000')).toBe('0108457468657265756d06312e32322e3001029000');
  });

  it('answers E0 06 with flags 02 and the version, and sets bit 01 when blind signing is on', async () => {
    expect(await raw((await connect()).transport, 'e006000000')).toBe('020116009000');
    expect(await raw((await connect(abandonLedger({ blindSigning: true }))).transport, 'e006000000')).toBe('030116009000');
    const { eth } = await connect(abandonLedger({ appVersion: '1.10.3' }));
    expect(await eth.getAppConfiguration()).toMatchObject({ arbitraryDataEnabled: 0, erc20ProvisioningNecessary: 2, version: '1.10.3' });
  });

  it('refuses unknown instructions, classes and malformed APDUs with the app status words', async () => {
    const { transport } = await connect();
    expect(await raw(transport, 'e004000000')).toBe('6d00'); // INS not emulated / unknown
    expect(await raw(transport, 'e102000000')).toBe('6e00'); // CLA not E0
    expect(await raw(transport, 'b001010000')).toBe('6e00'); // B0 with P1 ≠ 0
    expect(await raw(transport, 'b055000000')).toBe('6e00'); // unknown B0 INS
    expect(await raw(transport, 'e0060000020000ff')).toBe('6a87'); // Lc ≠ data length
  });

  it('leaves the app for the dashboard on B0 A7 (quit app)', async () => {
    const { transport, ledger } = await connect();
    expect(await raw(transport, 'b0a7000000')).toBe('9000');
    expect(ledger.appName).toBe('BOLOS');
    expect(await raw(transport, 'b001000000')).toBe('0105424f4c4f5305322e302e309000');
  });
});

describe('E0 02 get address', () => {
  it('returns the vector public key, EIP-55 address and chain code for the abandon seed', async () => {
    const { eth } = await connect();
    expect(await eth.getAddress(PATH, false, true)).toEqual({
      publicKey: VECTOR.publicKey,
      address: VECTOR.address,
      chainCode: VECTOR.chainCode,
    });
  });

  it('lays out 41 ‖ key ‖ 28 ‖ ASCII address ‖ 9000 byte for byte', async () => {
    const { transport } = await connect();
    const expected = `41${VECTOR.publicKey}28${textHex(VECTOR.address.slice(2))}9000`;
    expect(await raw(transport, `e0020000 15 ${PATH_HEX}`)).toBe(expected);
    // A chain id (8 bytes) is accepted and changes nothing in the answer.
    expect(await raw(transport, `e0020000 1d ${PATH_HEX} 0000000000000089`)).toBe(expected);
  });

  it('shows the address for confirmation and answers only once it is approved', async () => {
    const { eth, ledger } = await connect();
    const pending = eth.getAddress(PATH, true);
    const review = await ledger.screen.nextReview();
    expect(review).toEqual({
      operation: 'verify-address',
      title: 'Verify Ethereum address',
      fields: [{ label: 'Address', value: VECTOR.address }],
    });
    expect(ledger.screen.current).toEqual(review);
    ledger.screen.approve();
    expect((await pending).address).toBe(VECTOR.address);
    expect(ledger.screen.current).toBeNull();
    expect(ledger.screen.history.map((h) => h.outcome)).toEqual(['approved']);
  });

  it('titles the review with the network of a known chain id, and without one for an unknown chain', async () => {
    const ledger = abandonLedger();
    approveAll(ledger);
    const { eth } = await connect(ledger);
    await eth.getAddress(PATH, true, false, '137');
    await eth.getAddress(PATH, true, false, '1');
    await eth.getAddress(PATH, true, false, '987654321');
    expect(ledger.screen.history.map((h) => h.content.title)).toEqual([
      'Verify Polygon address',
      'Verify Ethereum address',
      'Verify address',
    ]);
  });

  it('answers 6985 when the address is rejected on the screen', async () => {
    const ledger = abandonLedger();
    ledger.screen.setResponder(() => 'reject');
    const { eth } = await connect(ledger);
    expect(await statusOf(eth.getAddress(PATH, true))).toBe(0x6985);
    expect(ledger.screen.history[0]?.outcome).toBe('rejected');
  });

  it('derives only under 44\'/60\' and 45\', refusing other paths with 6A80', async () => {
    const { eth, transport } = await connect();
    expect(await statusOf(eth.getAddress("44'/0'/0'/0/0"))).toBe(0x6a80);
    expect(await statusOf(eth.getAddress("44'"))).toBe(0x6a80);
    expect(await statusOf(eth.getAddress("49'/60'/0'/0/0"))).toBe(0x6a80);
    expect((await eth.getAddress("45'/1/2")).address).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(await raw(transport, 'e002000000')).toBe('6a80'); // no path
    expect(await raw(transport, `e0020000 2d 0b${'8000002c'.repeat(11)}`)).toBe('6a80'); // 11 levels
    expect(await raw(transport, 'e002000005 058000002c')).toBe('6a80'); // too few bytes
    expect(await raw(transport, `e0020000 16 ${PATH_HEX} 00`)).toBe('6a80'); // leftover byte
    expect(await raw(transport, `e0020200 15 ${PATH_HEX}`)).toBe('6b00');
    expect(await raw(transport, `e0020002 15 ${PATH_HEX}`)).toBe('6b00');
  });
});

describe('E0 08 sign personal message', () => {
  it('signs "test" to the reference vector (RFC 6979, low-S, v = 27 + parity)', async () => {
    const ledger = abandonLedger();
    approveAll(ledger);
    const { transport, eth } = await connect(ledger);
    const { v, r, s } = VECTOR.testSignature;
    expect(await raw(transport, `e0080000 1d ${PATH_HEX} 00000004 74657374`)).toBe(`${v.toString(16)}${r}${s}9000`);
    expect(await eth.signPersonalMessage(PATH, textHex('test'))).toEqual({ v, r, s });
  });

  it('produces signatures that viem verifies and that recover the address getAddress returned', async () => {
    const ledger = new VirtualLedger();
    approveAll(ledger);
    const { eth } = await connect(ledger);
    const { address } = await eth.getAddress(PATH);
    const message = 'Custos approval: send 0.5 BTC to bc1q… (request 42)';
    const signature = signatureHex(await eth.signPersonalMessage(PATH, textHex(message)));
    expect(await recoverMessageAddress({ message, signature })).toBe(address);
    expect(await verifyMessage({ address: address as `0x${string}`, message, signature })).toBe(true);
  });

  it('shows the text under "Review message", each whitespace character as a space', async () => {
    const ledger = abandonLedger();
    approveAll(ledger);
    const { eth } = await connect(ledger);
    await eth.signPersonalMessage(PATH, textHex('Approve\nwithdrawal\t#7'));
    expect(ledger.screen.history[0]?.content).toEqual({
      operation: 'sign-message',
      title: 'Review message',
      fields: [{ label: 'Message', value: 'Approve withdrawal #7' }],
    });
  });

  it('shows a message with any non-printable byte as 0x-hex, and still signs its bytes', async () => {
    const ledger = abandonLedger();
    approveAll(ledger);
    const { eth } = await connect(ledger);
    const bytes = Uint8Array.of(0x48, 0x69, 0x00, 0xff, 0x7f);
    const sig = await eth.signPersonalMessage(PATH, hex(bytes));
    expect(ledger.screen.history[0]?.content.fields).toEqual([{ label: 'Message', value: '0x486900ff7f' }]);
    expect(await recoverMessageAddress({ message: { raw: bytes }, signature: signatureHex(sig) })).toBe(VECTOR.address);
  });

  it('receives a 1000-character statement in chunks (125 then 150 bytes), acknowledging each with a bare 9000', async () => {
    const ledger = abandonLedger();
    approveAll(ledger);
    const { eth, sent, transport } = await connect(ledger);
    const statement = Array.from({ length: 1000 }, (_, i) => String.fromCharCode(0x21 + (i % 90))).join('');
    const sig = await eth.signPersonalMessage(PATH, textHex(statement));
    expect(sent).toHaveLength(7);
    expect(sent[0]?.slice(0, 10)).toBe('e008000096'); // 21 path+length bytes + 125 message bytes = 0x96
    expect(sent.slice(1).every((a) => a.startsWith('e0088000'))).toBe(true);
    expect(ledger.screen.history[0]?.content.fields[0]?.value).toBe(statement);
    expect(await recoverMessageAddress({ message: statement, signature: signatureHex(sig) })).toBe(VECTOR.address);
    // Intermediate chunks answer 9000 with no data.
    expect(await raw(transport, `e0080000 19 ${PATH_HEX} 00000002`)).toBe('9000');
    expect(await raw(transport, 'e008800001 41')).toBe('9000');
  });

  it('answers 6985 when the message is rejected, and signs the next one normally', async () => {
    const ledger = abandonLedger();
    const { eth } = await connect(ledger);
    ledger.screen.setResponder(() => 'reject');
    expect(await statusOf(eth.signPersonalMessage(PATH, textHex('no')))).toBe(0x6985);
    approveAll(ledger);
    expect(await eth.signPersonalMessage(PATH, textHex('test'))).toEqual(VECTOR.testSignature);
    expect(ledger.screen.history.map((h) => h.outcome)).toEqual(['rejected', 'approved']);
  });

  it('enforces the chunk state machine: 6A80 without a first chunk, 6980 on restart, 6B00 on a bad P1', async () => {
    const { transport } = await connect();
    expect(await raw(transport, 'e008800001 41')).toBe('6a80');
    expect(await raw(transport, `e0080000 1a ${PATH_HEX} 00000005 41`)).toBe('9000');
    expect(await raw(transport, `e0080000 1a ${PATH_HEX} 00000005 41`)).toBe('6980'); // restart while busy…
    expect(await raw(transport, 'e008800001 41')).toBe('6a80'); // …resets the state
    expect(await raw(transport, `e0080000 1a ${PATH_HEX} 00000002 41`)).toBe('9000');
    expect(await raw(transport, 'e008800002 4142')).toBe('6a80'); // more bytes than declared
    expect(await raw(transport, `e0080000 1a ${PATH_HEX} 00000002 41`)).toBe('9000');
    expect(await raw(transport, `e0020000 15 ${PATH_HEX}`)).toMatch(/9000$/); // E0 02 resets the app context
    expect(await raw(transport, 'e008800001 42')).toBe('6a80');
    expect(await raw(transport, 'e008010000')).toBe('6b00');
    expect(await raw(transport, `e0080000 17 ${PATH_HEX} 0000`)).toBe('6a80'); // fewer than 4 length bytes
    expect(await raw(transport, 'e0080000 1a 05 8000002c 80000000 80000000 00000000 00000000 00000001 41')).toBe('6a80'); // 44'/0'
  });

  it('runs out of its 16 KiB heap on very long messages (6A84), as estimated in the reference', async () => {
    const ledger = abandonLedger();
    approveAll(ledger);
    const { eth } = await connect(ledger);
    expect(await statusOf(eth.signPersonalMessage(PATH, textHex('a'.repeat(9000))))).toBe(0x6a84);
    expect(await statusOf(eth.signPersonalMessage(PATH, 'ff'.repeat(6000)))).toBe(0x6a84);
    const long = await eth.signPersonalMessage(PATH, textHex('b'.repeat(7000)));
    expect(await recoverMessageAddress({ message: 'b'.repeat(7000), signature: signatureHex(long) })).toBe(VECTOR.address);
    expect(ledger.screen.history).toHaveLength(1);
  });
});

describe('E0 18 EIP-1024 privacy operations', () => {
  it('returns the X25519 public encryption key of the vector', async () => {
    const { eth, transport } = await connect();
    expect(await eth.getEIP1024PublicEncryptionKey(PATH)).toEqual({ publicKey: VECTOR.encryptionKey });
    expect(await raw(transport, `e0180000 17 ${PATH_HEX} ffff`)).toBe(`${VECTOR.encryptionKey}9000`); // trailing bytes ignored
  });

  it('returns the raw X25519 shared secret of the vector (no HSalsa20)', async () => {
    const { eth } = await connect();
    expect(await eth.getEIP1024SharedSecret(PATH, VECTOR.remoteKey)).toEqual({ sharedSecret: VECTOR.sharedSecret });
  });

  it('agrees with a host that seals to its encryption key (ECDH both ways)', async () => {
    const { eth } = await connect(new VirtualLedger());
    const devicePublic = Buffer.from((await eth.getEIP1024PublicEncryptionKey(PATH)).publicKey, 'hex');
    const ephemeral = x25519.utils.randomSecretKey();
    const hostSide = x25519.getSharedSecret(ephemeral, devicePublic);
    const { sharedSecret } = await eth.getEIP1024SharedSecret(PATH, hex(x25519.getPublicKey(ephemeral)));
    expect(sharedSecret).toBe(hex(hostSide));
  });

  it('asks for confirmation with the address and the key in uppercase hex', async () => {
    const ledger = abandonLedger();
    approveAll(ledger);
    const { eth } = await connect(ledger);
    await eth.getEIP1024PublicEncryptionKey(PATH, true);
    await eth.getEIP1024SharedSecret(PATH, VECTOR.remoteKey, true);
    expect(ledger.screen.history.map((h) => h.content)).toEqual([
      {
        operation: 'encryption-key',
        title: 'Provide public privacy key',
        fields: [
          { label: 'Address', value: VECTOR.address },
          { label: 'Key', value: VECTOR.encryptionKey.toUpperCase() },
        ],
      },
      {
        operation: 'shared-secret',
        title: 'Provide public secret key',
        fields: [
          { label: 'Address', value: VECTOR.address },
          { label: 'Key', value: VECTOR.sharedSecret.toUpperCase() },
        ],
      },
    ]);
  });

  it('answers 6985 when the operation is rejected on the screen', async () => {
    const ledger = abandonLedger();
    ledger.screen.setResponder(() => 'reject');
    const { eth } = await connect(ledger);
    expect(await statusOf(eth.getEIP1024SharedSecret(PATH, VECTOR.remoteKey, true))).toBe(0x6985);
    expect(await statusOf(eth.getEIP1024PublicEncryptionKey(PATH, true))).toBe(0x6985);
  });

  it('checks parameters: 6B00 for P1/P2, 6A87 for a short remote key, 6A80 for a path outside the app', async () => {
    const { transport } = await connect();
    expect(await raw(transport, `e0180200 15 ${PATH_HEX}`)).toBe('6b00');
    expect(await raw(transport, `e0180002 15 ${PATH_HEX}`)).toBe('6b00');
    expect(await raw(transport, `e0180001 16 ${PATH_HEX} 87`)).toBe('6a87');
    expect(await raw(transport, 'e0180000 15 05 8000002c 80000000 80000000 00000000 00000000')).toBe('6a80'); // 44'/0'
  });

  it('can refuse an unconfirmed shared secret (6985), as a later upstream change does', async () => {
    const { eth } = await connect(abandonLedger({ sharedSecretNeedsConfirmation: true }));
    expect(await statusOf(eth.getEIP1024SharedSecret(PATH, VECTOR.remoteKey))).toBe(0x6985);
    expect((await eth.getEIP1024PublicEncryptionKey(PATH)).publicKey).toBe(VECTOR.encryptionKey);
  });
});

describe('lock, dashboard and other apps', () => {
  it('answers 5515 to everything while locked, B0 01 included, and works again once unlocked', async () => {
    const { eth, transport, ledger } = await connect(abandonLedger({ locked: true }));
    for (const apdu of ['b001000000', 'e006000000', `e0020000 15 ${PATH_HEX}`, 'e004000000', 'ff00000000', '00']) {
      expect(await raw(transport, apdu)).toBe('5515');
    }
    expect(await statusOf(eth.getAddress(PATH))).toBe(0x5515);
    ledger.unlock();
    expect((await eth.getAddress(PATH)).address).toBe(VECTOR.address);
  });

  it('answers 5515 to a review that the PIN lock interrupted', async () => {
    const { eth, ledger } = await connect();
    const pending = statusOf(eth.signPersonalMessage(PATH, textHex('locking soon')));
    await ledger.screen.nextReview();
    ledger.lock();
    expect(await pending).toBe(0x5515);
    expect(ledger.screen.history[0]?.outcome).toBe('cancelled');
  });

  it('answers like the dashboard when no app is open: BOLOS, 6511/650F for E0 02, 6D02, 6E01', async () => {
    const { eth, transport } = await connect(abandonLedger({ appName: 'BOLOS' }));
    // Same bytes as the recorded dashboard reply in the reference (§1): 01 05 "BOLOS" 05 "2.0.0" 9000.
    expect(await raw(transport, 'b001000000')).toBe('0105424f4c4f5305322e302e309000');
    expect(await statusOf(eth.getAddress(PATH))).toBe(0x6511);
    expect(await statusOf(eth.getAddress(PATH, false, true))).toBe(0x650f);
    expect(await statusOf(eth.getAddress(PATH, true))).toBe(0x650e);
    expect(await statusOf(eth.getAppConfiguration())).toBe(0x6d02);
    expect(await statusOf(eth.signPersonalMessage(PATH, textHex('test')))).toBe(0x6d02);
    expect(await statusOf(eth.getEIP1024PublicEncryptionKey(PATH))).toBe(0x6d02);
    expect(await statusOf(eth.getEIP1024SharedSecret(PATH, VECTOR.remoteKey))).toBe(0x6d02);
    expect(await raw(transport, 'e100000000')).toBe('6e01');
  });

  it('answers like a foreign app (6E00 to CLA E0) when another app is open, and tells its name on B0 01', async () => {
    const { eth, transport, ledger } = await connect(abandonLedger({ appName: 'Bitcoin', appVersion: '2.1.0' }));
    expect(await raw(transport, 'b001000000')).toBe(`0107${textHex('Bitcoin')}05${textHex('2.1.0')}01029000`);
    expect(await statusOf(eth.getAddress(PATH))).toBe(0x6e00);
    expect(await statusOf(eth.getAppConfiguration())).toBe(0x6e00);
    ledger.openApp('Ethereum');
    expect(await eth.getAppConfiguration()).toMatchObject({ version: '1.22.0' });
    ledger.openApp('BOLOS');
    expect(await statusOf(eth.getAppConfiguration())).toBe(0x6d02);
  });

  it('cancels the review on screen when another app is opened', async () => {
    const { eth, ledger } = await connect();
    const pending = statusOf(eth.getAddress(PATH, true));
    await ledger.screen.nextReview();
    ledger.openApp('BOLOS');
    expect(await pending).toBe(0x6985);
    expect(ledger.screen.history[0]?.outcome).toBe('cancelled');
  });
});

describe('VirtualScreen', () => {
  it('waits for an asynchronous responder and records each outcome in order', async () => {
    const ledger = abandonLedger();
    const seen: string[] = [];
    ledger.screen.setResponder(async (content) => {
      seen.push(content.title);
      await new Promise((r) => setTimeout(r, 5));
      return content.operation === 'verify-address' ? 'approve' : 'reject';
    });
    const { eth } = await connect(ledger);
    await eth.getAddress(PATH, true);
    expect(await statusOf(eth.signPersonalMessage(PATH, textHex('x')))).toBe(0x6985);
    expect(seen).toEqual(['Verify Ethereum address', 'Review message']);
    expect(ledger.screen.history.map((h) => [h.content.operation, h.outcome])).toEqual([
      ['verify-address', 'approved'],
      ['sign-message', 'rejected'],
    ]);
  });

  it('treats a responder that throws as a rejection, never as consent', async () => {
    const ledger = abandonLedger();
    ledger.screen.setResponder(() => {
      throw new Error('UI crashed');
    });
    const { eth } = await connect(ledger);
    expect(await statusOf(eth.getAddress(PATH, true))).toBe(0x6985);
  });

  it('hands a waiting review to a responder installed late, and refuses approve() with nothing shown', async () => {
    const { eth, ledger } = await connect();
    expect(() => ledger.screen.approve()).toThrow(/no review/);
    const pending = eth.getEIP1024PublicEncryptionKey(PATH, true);
    await ledger.screen.nextReview();
    approveAll(ledger);
    expect((await pending).publicKey).toBe(VECTOR.encryptionKey);
  });

  it('keeps history entries as copies that callers cannot alter', async () => {
    const ledger = abandonLedger();
    approveAll(ledger);
    const { eth } = await connect(ledger);
    await eth.getAddress(PATH, true);
    const first = ledger.screen.history[0]!;
    first.content.fields[0]!.value = 'tampered';
    expect(ledger.screen.history[0]?.content.fields[0]?.value).toBe(VECTOR.address);
  });
});

// Keeps the seed constant referenced for readers comparing vectors with the reference.
void ABANDON;
