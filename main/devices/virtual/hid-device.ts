// A node-hid `HID` object in software: Ledger's USB-HID framing both ways over a VirtualLedger, with fault injection.
//
// It offers exactly what @ledgerhq/hw-transport-node-hid-noevents (lib/TransportNodeHid.js) calls: getDeviceInfo(),
// write(number[]) with a leading report id, read(cb) once per 64-byte packet, close(). Failures look like
// node-hid's own (src/HID.cc, nodehid.js): write throws, read calls back with an error and no data.
import type { VirtualLedger } from './ethereum-app';

const PACKET_SIZE = 64;
const HEADER_SIZE = 5; // channel (2) ‖ tag (1) ‖ sequence (2)
const TAG_APDU = 0x05;
const TAG_PING = 0x02;
/** Status word for a fault inside the emulator itself (never expected): "technical problem". */
const SW_TECHNICAL_PROBLEM = Uint8Array.of(0x6f, 0x00);

export type ReadCallback = (error: Error | null, data?: Buffer) => void;

/** Faults a test can switch on; they stay on until switched off. */
export interface VirtualHidFaults {
  /**
   * The device vanishes once a request has fully arrived: 'before-answer' sends nothing back, 'mid-answer' sends
   * every response packet but the last (nothing when the response fits in one packet).
   */
  dieMidExchange?: false | 'before-answer' | 'mid-answer';
  /** The request is accepted (writes succeed) and no answer ever comes: the device hangs. */
  neverAnswer?: boolean;
  /**
   * The first response packet is corrupted: another channel, another tag, sequence 1 instead of 0, or cut to
   * 6 bytes (the length field incomplete).
   */
  malformedResponse?: false | 'wrong-channel' | 'wrong-tag' | 'wrong-sequence' | 'truncated';
}

export interface VirtualHidDeviceOptions {
  /** USB product string; @ledgerhq/devices identifies the model from it. Default 'Nano S Plus'. */
  product?: string;
  serialNumber?: string;
}

/** What node-hid's getDeviceInfo() returns. */
export interface HidDeviceInfo {
  manufacturer: string;
  product: string;
  serialNumber: string;
}

interface IncomingApdu {
  channel: number;
  length: number;
  data: Uint8Array;
  received: number;
  nextSequence: number;
}

export class VirtualHidDevice {
  readonly faults: VirtualHidFaults = {};

  private readonly info: HidDeviceInfo;
  private unplugged = false;
  private closed = false;
  private incoming: IncomingApdu | null = null;
  /** An APDU handed to the ledger whose answer has not come back yet. */
  private inFlight = false;
  private readonly outbox: Uint8Array[] = [];
  private readonly readers: ReadCallback[] = [];

  constructor(
    private readonly ledger: VirtualLedger,
    opts: VirtualHidDeviceOptions = {},
  ) {
    this.info = { manufacturer: 'Ledger', product: opts.product ?? 'Nano S Plus', serialNumber: opts.serialNumber ?? '0001' };
  }

  get isUnplugged(): boolean {
    return this.unplugged;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  getDeviceInfo(): HidDeviceInfo {
    return { ...this.info };
  }

  /** One output report: report id (0x00, stripped as hidapi does) then one 64-byte packet. Returns bytes written. */
  write(report: number[] | Uint8Array): number {
    if (this.closed) throw new TypeError('Cannot write to closed device');
    if (this.unplugged) throw new TypeError('Cannot write to hid device');
    const bytes = Uint8Array.from(report);
    const packet = new Uint8Array(PACKET_SIZE);
    packet.set(bytes.subarray(1, 1 + PACKET_SIZE));
    this.receivePacket(packet);
    return bytes.length;
  }

  /** Calls back with the next 64-byte input packet, when there is one. */
  read(callback: ReadCallback): void {
    if (this.closed) throw new Error('Unable to read from a closed HID device');
    this.readers.push(callback);
    this.pump();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    // node-hid's pending read worker ends with an error once the handle is gone.
    this.failReaders();
  }

  /** The cable is pulled: reads in progress and to come fail, writes throw, the review on screen goes away. */
  unplug(): void {
    if (this.unplugged) return;
    this.unplugged = true;
    this.outbox.length = 0;
    this.incoming = null;
    if (this.inFlight) this.ledger.interrupt();
    this.failReaders();
  }

  // ---------------------------------------------------------------------------------------------------------

  /** Device side of the framing (SDK protocol/src/ledger_protocol.c). */
  private receivePacket(packet: Uint8Array): void {
    const channel = ((packet[0] ?? 0) << 8) | (packet[1] ?? 0);
    const tag = packet[2];
    const sequence = ((packet[3] ?? 0) << 8) | (packet[4] ?? 0);
    if (tag === TAG_PING) {
      this.send([packet.slice()]);
      return;
    }
    // Tags 00/01/08 (version, channel allocation, MTU) are not used by the JS transport and are not emulated.
    if (tag !== TAG_APDU) return;
    if (sequence === 0) {
      const length = ((packet[5] ?? 0) << 8) | (packet[6] ?? 0);
      this.incoming = { channel, length, data: new Uint8Array(length), received: 0, nextSequence: 0 };
    }
    const incoming = this.incoming;
    // A packet out of order or on another channel ends the APDU being received, as the device drops it.
    if (!incoming || incoming.channel !== channel || incoming.nextSequence !== sequence) {
      this.incoming = null;
      return;
    }
    const piece = packet.subarray(sequence === 0 ? HEADER_SIZE + 2 : HEADER_SIZE);
    const take = Math.min(piece.length, incoming.length - incoming.received);
    incoming.data.set(piece.subarray(0, take), incoming.received);
    incoming.received += take;
    incoming.nextSequence += 1;
    if (incoming.received === incoming.length) {
      this.incoming = null;
      this.dispatch(channel, incoming.data);
    }
  }

  private dispatch(channel: number, apdu: Uint8Array): void {
    if (this.faults.neverAnswer) return;
    if (this.faults.dieMidExchange === 'before-answer') {
      this.unplug();
      return;
    }
    this.inFlight = true;
    this.ledger.exchange(apdu).then(
      (response) => this.answer(channel, response),
      () => this.answer(channel, SW_TECHNICAL_PROBLEM),
    );
  }

  private answer(channel: number, response: Uint8Array): void {
    this.inFlight = false;
    if (this.unplugged || this.closed) return;
    const packets = frameResponse(channel, response);
    const first = packets[0];
    const corruption = this.faults.malformedResponse;
    if (first && corruption) {
      if (corruption === 'wrong-channel') {
        const other = (channel + 1) & 0xffff;
        first[0] = other >> 8;
        first[1] = other & 0xff;
      } else if (corruption === 'wrong-tag') {
        first[2] = 0x06;
      } else if (corruption === 'wrong-sequence') {
        first[4] = 0x01;
      } else {
        packets[0] = first.slice(0, HEADER_SIZE + 1);
      }
    }
    if (this.faults.dieMidExchange === 'mid-answer') {
      this.send(packets.slice(0, -1));
      this.unplug();
      return;
    }
    this.send(packets);
  }

  private send(packets: Uint8Array[]): void {
    this.outbox.push(...packets);
    this.pump();
  }

  private pump(): void {
    if (this.unplugged || this.closed) {
      this.failReaders();
      return;
    }
    while (this.readers.length > 0 && this.outbox.length > 0) {
      const reader = this.readers.shift()!;
      const packet = this.outbox.shift()!;
      // node-hid calls back from its worker thread, never synchronously, with a Buffer copy of the report.
      setImmediate(() => reader(null, Buffer.from(packet)));
    }
  }

  private failReaders(): void {
    const readers = this.readers.splice(0);
    for (const reader of readers) setImmediate(() => reader(new Error('could not read from HID device')));
  }
}

/** Host side's framing mirrored: uint16 length ‖ response, in 59-byte pieces behind 5-byte headers, zero-padded. */
export function frameResponse(channel: number, response: Uint8Array): Uint8Array[] {
  const payload = new Uint8Array(2 + response.length);
  payload[0] = (response.length >> 8) & 0xff;
  payload[1] = response.length & 0xff;
  payload.set(response, 2);
  const pieceSize = PACKET_SIZE - HEADER_SIZE;
  const packets: Uint8Array[] = [];
  for (let sequence = 0; sequence * pieceSize < payload.length; sequence++) {
    const packet = new Uint8Array(PACKET_SIZE);
    packet[0] = (channel >> 8) & 0xff;
    packet[1] = channel & 0xff;
    packet[2] = TAG_APDU;
    packet[3] = (sequence >> 8) & 0xff;
    packet[4] = sequence & 0xff;
    packet.set(payload.subarray(sequence * pieceSize, (sequence + 1) * pieceSize), HEADER_SIZE);
    packets.push(packet);
  }
  return packets;
}
