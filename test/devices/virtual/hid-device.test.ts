// The virtual HID device: Ledger's USB framing byte for byte, and faults seen through the real node-hid transport.
import { describe, expect, it } from 'vitest';
import { VirtualHidDevice, VirtualLedger, frameResponse, virtualEndpoint } from '../../../main/devices/virtual';
import { PATH, abandonLedger, connect, hex, textHex } from './helpers';

/** Reads one packet from the device as hex (resolves with the node-hid callback's arguments). */
function readPacket(device: VirtualHidDevice): Promise<string> {
  return new Promise((resolve, reject) => device.read((err, data) => (err || !data ? reject(err) : resolve(hex(data)))));
}

/** Runs a promise against a short window: 'pending' if it neither resolved nor rejected meanwhile. */
async function settledWithin(promise: Promise<unknown>, ms: number): Promise<'resolved' | 'rejected' | 'pending'> {
  let timer: NodeJS.Timeout | undefined;
  const window = new Promise<'pending'>((resolve) => (timer = setTimeout(() => resolve('pending'), ms)));
  const outcome = promise.then(
    () => 'resolved' as const,
    () => 'rejected' as const,
  );
  const result = await Promise.race([outcome, window]);
  clearTimeout(timer);
  return result;
}

/** The rejection of a promise that must fail. */
async function failure(promise: Promise<unknown>): Promise<{ name?: string; id?: string; message?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as { name?: string; id?: string; message?: string };
  }
  throw new Error('expected a failure');
}

describe('HID framing', () => {
  it('answers the reference example byte for byte: E0 06 on channel 0x1234', async () => {
    const device = new VirtualHidDevice(abandonLedger());
    // Host report: report id 00 ‖ 1234 05 0000 0005 e006000000 ‖ zero padding (reference §7).
    const report = [0x00, ...Buffer.from('1234050000' + '0005' + 'e006000000', 'hex')];
    const written = device.write([...report, ...new Array(65 - report.length).fill(0)]);
    expect(written).toBe(65);
    // Device report: 1234 05 0000 0006 02011600 9000 ‖ zero padding to 64 bytes.
    expect(await readPacket(device)).toBe('1234050000' + '0006' + '020116009000' + '00'.repeat(64 - 13));
  });

  it('reassembles a request spread over several packets and answers over several packets in sequence', async () => {
    const ledger = abandonLedger();
    const device = new VirtualHidDevice(ledger);
    // getAddress with chain code and a chain id: a 34-byte APDU in one packet, a 141-byte answer in three.
    const apdu = Buffer.from(`e00200011d058000002c8000003c800000000000000000000000${'00'.repeat(7)}01`, 'hex');
    const payload = Buffer.concat([Buffer.from([0, apdu.length]), apdu]);
    device.write([0x00, 0xab, 0xcd, 0x05, 0x00, 0x00, ...payload, ...new Array(59 - payload.length).fill(0)]);
    const packets = [await readPacket(device), await readPacket(device), await readPacket(device)];
    expect(packets.map((p) => p.slice(0, 10))).toEqual(['abcd050000', 'abcd050001', 'abcd050002']);
    const length = parseInt(packets[0]!.slice(10, 14), 16);
    const body = (packets[0]!.slice(14) + packets[1]!.slice(10) + packets[2]!.slice(10)).slice(0, length * 2);
    expect(length).toBe(1 + 65 + 1 + 40 + 32 + 2);
    expect(body.endsWith('9000')).toBe(true);
    // A long APDU (the first chunk of a message signature) travels in three packets.
    ledger.screen.setResponder(() => 'approve');
    const { eth, sent } = await connect(ledger);
    await eth.signPersonalMessage(PATH, textHex('x'.repeat(125)));
    expect(sent[0]!.length / 2).toBe(155);
  });

  it('frames responses as the host expects: 2-byte length, 57 then 59 bytes per packet, zero padding', () => {
    const response = Uint8Array.from({ length: 120 }, (_, i) => i);
    const packets = frameResponse(0x0101, response);
    expect(packets).toHaveLength(3);
    expect(packets.every((p) => p.length === 64)).toBe(true);
    expect(hex(packets[0]!.subarray(0, 9))).toBe('010105000000780001');
    expect(hex(packets[2]!.subarray(0, 5))).toBe('0101050002');
    expect(packets[2]![5 + (122 - 118) - 1]).toBe(119);
    expect(packets[2]!.subarray(5 + 4).every((b) => b === 0)).toBe(true);
  });

  it('echoes a ping packet and ignores packets with unknown tags or out of sequence', async () => {
    const device = new VirtualHidDevice(abandonLedger());
    const ping = [0x00, 0x01, 0x01, 0x02, ...new Array(61).fill(0)];
    device.write(ping);
    expect(await readPacket(device)).toBe(hex(Uint8Array.from(ping.slice(1))));
    device.write([0x00, 0x01, 0x01, 0x05, 0x00, 0x01, ...new Array(59).fill(0)]); // sequence 1 with no sequence 0
    device.write([0x00, 0x01, 0x01, 0x08, ...new Array(61).fill(0)]); // MTU request: not emulated
    const apdu = [0x00, 0x01, 0x01, 0x05, 0x00, 0x00, 0x00, 0x05, 0xe0, 0x06, 0x00, 0x00, 0x00];
    device.write([...apdu, ...new Array(65 - apdu.length).fill(0)]);
    expect((await readPacket(device)).slice(0, 26)).toBe('01010500000006020116009000');
  });

  it('reports a Nano S Plus to the transport, which identifies the model from the product string', async () => {
    const { transport, device } = await connect();
    expect(device.getDeviceInfo()).toEqual({ manufacturer: 'Ledger', product: 'Nano S Plus', serialNumber: '0001' });
    expect((transport as unknown as { deviceModel?: { id?: string } }).deviceModel?.id).toBe('nanoSP');
  });

  it('gives each open a fresh HID device sharing the same ledger, and closes it with the transport', async () => {
    const ledger = abandonLedger();
    const devices: VirtualHidDevice[] = [];
    const endpoint = virtualEndpoint(ledger, 'virtual:1', { onOpen: (d) => devices.push(d) });
    expect(endpoint).toMatchObject({ id: 'virtual:1', kind: 'virtual', model: 'Virtual Ledger', label: 'Virtual Ledger', secure: false });
    const a = await endpoint.open();
    const b = await endpoint.open();
    expect(devices).toHaveLength(2);
    expect(devices[0]).not.toBe(devices[1]);
    await a.close();
    expect(devices[0]!.isClosed).toBe(true);
    expect(() => devices[0]!.write([0, 1])).toThrow('Cannot write to closed device');
    expect(() => devices[0]!.read(() => {})).toThrow('Unable to read from a closed HID device');
    expect(Buffer.from(await b.exchange(Buffer.from('e006000000', 'hex'))).toString('hex')).toBe('020116009000');
  });
});

describe('faults through the real transport', () => {
  it('rejects a pending exchange with DisconnectedDevice when the device is unplugged mid-review', async () => {
    const ledger = abandonLedger();
    const { eth, device, transport } = await connect(ledger);
    const pending = failure(eth.getAddress(PATH, true));
    await ledger.screen.nextReview();
    device.unplug();
    expect((await pending).name).toBe('DisconnectedDevice');
    // The review vanished with the device.
    expect(ledger.screen.current).toBeNull();
    expect(ledger.screen.history[0]?.outcome).toBe('cancelled');
    // Writes now throw, which the transport maps to DisconnectedDeviceDuringOperation.
    expect((await failure(transport.exchange(Buffer.from('e006000000', 'hex')))).name).toBe('DisconnectedDeviceDuringOperation');
    // Plugging in again (a new open) reaches the same ledger, unlocked, app still open.
    const again = await connect(ledger);
    expect((await again.eth.getAddress(PATH)).address).toMatch(/^0x9858EfFD/);
  });

  it('rejects when the device dies after the request arrived, before answering', async () => {
    const { eth, device } = await connect();
    device.faults.dieMidExchange = 'before-answer';
    expect((await failure(eth.getAppConfiguration())).name).toBe('DisconnectedDevice');
    expect(device.isUnplugged).toBe(true);
  });

  it('rejects when the device dies halfway through a multi-packet answer', async () => {
    const { eth, device } = await connect();
    device.faults.dieMidExchange = 'mid-answer';
    expect((await failure(eth.getAddress(PATH, false, true))).name).toBe('DisconnectedDevice');
  });

  it('leaves the exchange pending when the device never answers, until it is unplugged', async () => {
    const { eth, device } = await connect();
    device.faults.neverAnswer = true;
    const pending = eth.getAppConfiguration();
    expect(await settledWithin(pending, 150)).toBe('pending');
    device.unplug();
    expect((await failure(pending)).name).toBe('DisconnectedDevice');
  });

  it.each([
    ['wrong-channel', 'InvalidChannel'],
    ['wrong-tag', 'InvalidTag'],
    ['wrong-sequence', 'InvalidSequence'],
  ] as const)('rejects a response with a %s through the framing (%s)', async (fault, id) => {
    const { eth, device } = await connect();
    device.faults.malformedResponse = fault;
    const err = await failure(eth.getAppConfiguration());
    expect(err.name).toBe('TransportError');
    expect(err.id).toBe(id);
  });

  it('rejects a truncated response packet', async () => {
    const { eth, device } = await connect();
    device.faults.malformedResponse = 'truncated';
    const err = await failure(eth.getAppConfiguration());
    expect(err.message).toMatch(/out of range|outside buffer bounds/i);
  });

  it('keeps one exchange at a time per transport, as the real libraries do (TransportLocked, TransportRaceCondition)', async () => {
    const ledger = abandonLedger();
    const { eth, transport } = await connect(ledger);
    const first = eth.getAddress(PATH, true);
    await ledger.screen.nextReview();
    expect((await failure(eth.getAppConfiguration())).id).toBe('TransportLocked');
    expect((await failure(transport.exchange(Buffer.from('e006000000', 'hex')))).name).toBe('TransportRaceCondition');
    ledger.screen.approve();
    await first;
  });

  it('serialises APDUs from two transports on one ledger: the second waits for the review to end', async () => {
    const ledger = new VirtualLedger();
    const one = await connect(ledger);
    const two = await connect(ledger);
    const review = one.eth.getAddress(PATH, true);
    await ledger.screen.nextReview();
    const config = two.eth.getAppConfiguration();
    expect(await settledWithin(config, 50)).toBe('pending');
    ledger.screen.approve();
    await review;
    expect((await config).version).toBe('1.22.0');
  });
});
