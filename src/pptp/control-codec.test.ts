import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromHex, toHex } from '../wire/hex.js';
import {
  CONTROL_MESSAGE_LENGTH,
  type ControlMessage,
  controlMessageLength,
  encodeControlMessage,
  parseControlMessage,
  PPTP_MAX_MESSAGE_BYTES,
} from './control-codec.js';

/** `n` zero octets as hex (fixed-size text fields padded with NUL). */
const z = (n: number): string => '00'.repeat(n);
/** ASCII text as hex, NUL-padded to `n` octets. */
const text = (s: string, n: number): string => toHex(new TextEncoder().encode(s)) + z(n - s.length);

/** One fixture, checked in both directions (bytes → struct and struct → bytes). */
interface Golden {
  name: string;
  hex: string;
  msg: ControlMessage;
}

const goldens: Golden[] = [
  {
    // tcpdump-pptp.pcap frame 5: Windows NT SCCRQ.
    name: 'SCCRQ (Windows NT, tcpdump-pptp.pcap frame 5)',
    hex: `
      009c 0001     // Length 156, PPTP Message Type 1 (control)
      1a2b3c4d      // Magic Cookie
      0001 0000     // Control Message Type 1 (SCCRQ), Reserved0
      0100 0000     // Protocol Version 1.0, Reserved1
      00000001      // Framing Capabilities: async
      00000001      // Bearer Capabilities: analog
      0000 0870     // Maximum Channels 0, Firmware Revision 2160
      ${z(64)}      // Host Name: empty
      ${text('Microsoft Windows NT', 64)} // Vendor String`,
    msg: { type: 'SCCRQ', protocolVersion: 0x0100, framingCapabilities: 1, bearerCapabilities: 1, maximumChannels: 0, firmwareRevision: 2160, hostName: '', vendorName: 'Microsoft Windows NT' },
  },
  {
    name: 'SCCRP (pptpd, tcpdump-pptp.pcap frame 8)',
    hex: `
      009c 0001 1a2b3c4d  // Length 156, control, cookie
      0002 0000     // SCCRP, Reserved0
      0100 01 00    // Protocol Version 1.0, Result Code 1 (success), Error Code 0
      00000000      // Framing Capabilities
      00000000      // Bearer Capabilities
      0001 0001     // Maximum Channels 1, Firmware Revision 1
      ${text('local', 64)}      // Host Name
      ${text('MoretonBay', 64)} // Vendor String`,
    msg: { type: 'SCCRP', protocolVersion: 0x0100, resultCode: 1, errorCode: 0, framingCapabilities: 0, bearerCapabilities: 0, maximumChannels: 1, firmwareRevision: 1, hostName: 'local', vendorName: 'MoretonBay' },
  },
  {
    name: 'StopCCRQ',
    hex: `
      0010 0001 1a2b3c4d  // Length 16, control, cookie
      0003 0000     // StopCCRQ, Reserved0
      03 00 0000    // Reason 3 (Stop-Local-Shutdown), Reserved1, Reserved2`,
    msg: { type: 'STOPCCRQ', reason: 3 },
  },
  {
    name: 'StopCCRP',
    hex: `
      0010 0001 1a2b3c4d  // Length 16, control, cookie
      0004 0000     // StopCCRP, Reserved0
      02 04 0000    // Result Code 2 (general error), Error Code 4 (No-Resource), Reserved1`,
    msg: { type: 'STOPCCRP', resultCode: 2, errorCode: 4 },
  },
  {
    name: 'Echo-Request',
    hex: `
      0010 0001 1a2b3c4d  // Length 16, control, cookie
      0005 0000     // ECHORQ, Reserved0
      deadbeef      // Identifier`,
    msg: { type: 'ECHORQ', identifier: 0xdeadbeef },
  },
  {
    name: 'Echo-Reply',
    hex: `
      0014 0001 1a2b3c4d  // Length 20, control, cookie
      0006 0000     // ECHORP, Reserved0
      deadbeef      // Identifier (copied from the request)
      01 00 0000    // Result Code 1 (OK), Error Code 0, Reserved1`,
    msg: { type: 'ECHORP', identifier: 0xdeadbeef, resultCode: 1, errorCode: 0 },
  },
  {
    name: 'OCRQ (Windows, jamesmackerel capture)',
    hex: `
      00a8 0001 1a2b3c4d  // Length 168, control, cookie
      0007 0000     // OCRQ, Reserved0
      44cb 0001     // Call ID 17611, Call Serial Number 1
      0000012c      // Minimum BPS 300
      05f5e100      // Maximum BPS 100000000
      00000003      // Bearer Type 3 (any)
      00000003      // Framing Type 3 (any)
      0040 0000     // Packet Recv. Window Size 64, Packet Processing Delay 0
      0000 0000     // Phone Number Length 0, Reserved1
      ${z(64)}      // Phone Number
      ${z(64)}      // Subaddress`,
    msg: { type: 'OCRQ', callId: 17611, callSerialNumber: 1, minimumBps: 300, maximumBps: 100000000, bearerType: 3, framingType: 3, packetRecvWindowSize: 64, packetProcessingDelay: 0, phoneNumberLength: 0, phoneNumber: '', subaddress: '' },
  },
  {
    name: 'OCRP (pptpd, jamesmackerel capture)',
    hex: `
      0020 0001 1a2b3c4d  // Length 32, control, cookie
      0008 0000     // OCRP, Reserved0
      0000 44cb     // Call ID 0, Peer's Call ID 17611
      01 00 0000    // Result Code 1 (connected), Error Code 0, Cause Code 0
      05f5e100      // Connect Speed 100000000
      0040 0000     // Packet Recv. Window Size 64, Packet Processing Delay 0
      00000000      // Physical Channel ID`,
    msg: { type: 'OCRP', callId: 0, peerCallId: 17611, resultCode: 1, errorCode: 0, causeCode: 0, connectSpeed: 100000000, packetRecvWindowSize: 64, packetProcessingDelay: 0, physicalChannelId: 0 },
  },
  {
    name: 'ICRQ',
    hex: `
      00dc 0001 1a2b3c4d  // Length 220, control, cookie
      0009 0000     // ICRQ, Reserved0
      1234 0007     // Call ID 0x1234, Call Serial Number 7
      00000001      // Call Bearer Type 1 (analog)
      0000002a      // Physical Channel ID 42
      0003 0002     // Dialed Number Length 3, Dialing Number Length 2
      ${text('555', 64)} // Dialed Number
      ${text('12', 64)}  // Dialing Number
      ${text('x', 64)}   // Subaddress`,
    msg: { type: 'ICRQ', callId: 0x1234, callSerialNumber: 7, callBearerType: 1, physicalChannelId: 42, dialedNumberLength: 3, dialingNumberLength: 2, dialedNumber: '555', dialingNumber: '12', subaddress: 'x' },
  },
  {
    name: 'ICRP',
    hex: `
      0018 0001 1a2b3c4d  // Length 24, control, cookie
      000a 0000     // ICRP, Reserved0
      0102 1234     // Call ID 0x0102, Peer's Call ID 0x1234
      01 00 0040    // Result Code 1 (connect), Error Code 0, Packet Recv. Window Size 64
      0005 0000     // Packet Transmit Delay 5, Reserved1`,
    msg: { type: 'ICRP', callId: 0x0102, peerCallId: 0x1234, resultCode: 1, errorCode: 0, packetRecvWindowSize: 64, packetTransmitDelay: 5 },
  },
  {
    name: 'ICCN',
    hex: `
      001c 0001 1a2b3c4d  // Length 28, control, cookie
      000b 0000     // ICCN, Reserved0
      0102 0000     // Peer's Call ID 0x0102, Reserved1
      0000fa00      // Connect Speed 64000
      0010 0001     // Packet Recv. Window Size 16, Packet Transmit Delay 1
      00000002      // Framing Type 2 (sync)`,
    msg: { type: 'ICCN', peerCallId: 0x0102, connectSpeed: 64000, packetRecvWindowSize: 16, packetTransmitDelay: 1, framingType: 2 },
  },
  {
    name: 'CCRQ',
    hex: `
      0010 0001 1a2b3c4d  // Length 16, control, cookie
      000c 0000     // CCRQ, Reserved0
      44cb 0000     // Call ID 17611 (the PNS's), Reserved1`,
    msg: { type: 'CCRQ', callId: 17611 },
  },
  {
    name: 'CDN',
    hex: `
      0094 0001 1a2b3c4d  // Length 148, control, cookie
      000d 0000     // CDN, Reserved0
      beef 04 00    // Call ID 0xbeef (the PAC's), Result Code 4 (request), Error Code 0
      0010 0000     // Cause Code 16, Reserved1
      ${text('rx 10 tx 12', 128)} // Call Statistics`,
    msg: { type: 'CDN', callId: 0xbeef, resultCode: 4, errorCode: 0, causeCode: 16, callStatistics: 'rx 10 tx 12' },
  },
  {
    name: 'WAN-Error-Notify',
    hex: `
      0028 0001 1a2b3c4d  // Length 40, control, cookie
      000e 0000     // WEN, Reserved0
      44cb 0000     // Peer's Call ID 17611, Reserved1
      00000001      // CRC Errors
      00000002      // Framing Errors
      00000003      // Hardware Overruns
      00000004      // Buffer Overruns
      00000005      // Time-out Errors
      00000006      // Alignment Errors`,
    msg: { type: 'WEN', peerCallId: 17611, crcErrors: 1, framingErrors: 2, hardwareOverruns: 3, bufferOverruns: 4, timeoutErrors: 5, alignmentErrors: 6 },
  },
  {
    name: 'Set-Link-Info (Windows, tcpdump-pptp.pcap frame 15)',
    hex: `
      0018 0001 1a2b3c4d  // Length 24, control, cookie
      000f 0000     // SLI, Reserved0
      0000 0000     // Peer's Call ID 0, Reserved1
      ffffffff      // Send ACCM
      ffffffff      // Receive ACCM`,
    msg: { type: 'SLI', peerCallId: 0, sendAccm: 0xffffffff, receiveAccm: 0xffffffff },
  },
  {
    name: 'Set-Link-Info with non-zero Reserved1 (Microsoft PAC, ndpi-pptp.pcap frame 12)',
    hex: `
      0018 0001 1a2b3c4d  // Length 24, control, cookie
      000f 0000     // SLI, Reserved0
      0000 a196     // Peer's Call ID 0, Reserved1 0xa196 (kept for re-encoding)
      00000000      // Send ACCM
      ffffffff      // Receive ACCM`,
    msg: { type: 'SLI', peerCallId: 0, reserved1: 0xa196, sendAccm: 0, receiveAccm: 0xffffffff },
  },
];

for (const g of goldens) {
  test(`golden ${g.name}: bytes → message and message → bytes`, () => {
    const bytes = fromHex(g.hex);
    const parsed = parseControlMessage(bytes);
    assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.error));
    assert.deepEqual(parsed.value, g.msg);
    assert.equal(parsed.bytesRead, bytes.length);
    assert.equal(toHex(encodeControlMessage(g.msg)), toHex(bytes));
    assert.equal(controlMessageLength(g.msg), bytes.length);
  });
}

test('golden fixtures cover every control message type', () => {
  const covered = new Set(goldens.map((g) => g.msg.type));
  assert.deepEqual([...covered].sort(), Object.keys(CONTROL_MESSAGE_LENGTH).sort());
});

test('parse: wrong Magic Cookie → BAD_VALUE at offset 4', () => {
  const b = encodeControlMessage({ type: 'ECHORQ', identifier: 1 });
  b[7] = b[7]! ^ 1;
  const r = parseControlMessage(b);
  assert.deepEqual(r, { ok: false, error: { code: 'BAD_VALUE', offset: 4, field: 'magicCookie' } });
});

test('parse: Length disagreeing with the message type → BAD_LENGTH', () => {
  const b = encodeControlMessage({ type: 'CCRQ', callId: 5 });
  b[1] = 20;
  const r = parseControlMessage(b);
  assert.ok(!r.ok);
  assert.equal(r.error.code, 'BAD_LENGTH');
});

test('parse: unknown control message type and management messages → UNSUPPORTED', () => {
  const b = encodeControlMessage({ type: 'CCRQ', callId: 5 });
  b[9] = 16;
  const r1 = parseControlMessage(b);
  assert.ok(!r1.ok);
  assert.deepEqual(r1.error, { code: 'UNSUPPORTED', offset: 8, field: 'controlMessageType' });
  const m = encodeControlMessage({ type: 'CCRQ', callId: 5 });
  m[3] = 2;
  const r2 = parseControlMessage(m);
  assert.ok(!r2.ok);
  assert.equal(r2.error.field, 'pptpMessageType');
});

test('parse: every truncation of every golden → TRUNCATED, never a throw', () => {
  for (const g of goldens) {
    const bytes = fromHex(g.hex);
    for (let n = 0; n < bytes.length; n++) {
      const r = parseControlMessage(bytes.subarray(0, n));
      assert.ok(!r.ok);
      assert.equal(r.error.code, 'TRUNCATED', `${g.name} cut at ${n}`);
    }
  }
});

test('parse: trailing bytes after the message are left for the next one', () => {
  const a = encodeControlMessage({ type: 'ECHORQ', identifier: 7 });
  const both = new Uint8Array(a.length + 3);
  both.set(a);
  const r = parseControlMessage(both);
  assert.ok(r.ok);
  assert.equal(r.bytesRead, 16);
});

test('encode: text fields longer than their octets are cut, latin1 octets round-trip', () => {
  const long = 'h'.repeat(80);
  const b = encodeControlMessage({ type: 'SCCRQ', protocolVersion: 0x100, framingCapabilities: 1, bearerCapabilities: 1, maximumChannels: 0, firmwareRevision: 0, hostName: long, vendorName: '\u00e9t\u00e9' });
  assert.equal(b.length, 156);
  const r = parseControlMessage(b);
  assert.ok(r.ok && r.value.type === 'SCCRQ');
  assert.equal(r.value.hostName, 'h'.repeat(64));
  assert.equal(r.value.vendorName, '\u00e9t\u00e9');
});

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const str = (n: number) => fc.string({ unit: fc.integer({ min: 1, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: n });

/** Any well-formed control message. */
export const arbControlMessage: fc.Arbitrary<ControlMessage> = fc.oneof(
  fc.record({ type: fc.constant('SCCRQ' as const), protocolVersion: u16, framingCapabilities: u32, bearerCapabilities: u32, maximumChannels: u16, firmwareRevision: u16, hostName: str(64), vendorName: str(64) }),
  fc.record({ type: fc.constant('SCCRP' as const), protocolVersion: u16, resultCode: u8, errorCode: u8, framingCapabilities: u32, bearerCapabilities: u32, maximumChannels: u16, firmwareRevision: u16, hostName: str(64), vendorName: str(64) }),
  fc.record({ type: fc.constant('STOPCCRQ' as const), reason: u8 }),
  fc.record({ type: fc.constant('STOPCCRP' as const), resultCode: u8, errorCode: u8 }),
  fc.record({ type: fc.constant('ECHORQ' as const), identifier: u32 }),
  fc.record({ type: fc.constant('ECHORP' as const), identifier: u32, resultCode: u8, errorCode: u8 }),
  fc.record({ type: fc.constant('OCRQ' as const), callId: u16, callSerialNumber: u16, minimumBps: u32, maximumBps: u32, bearerType: u32, framingType: u32, packetRecvWindowSize: u16, packetProcessingDelay: u16, phoneNumberLength: u16, phoneNumber: str(64), subaddress: str(64) }),
  fc.record({ type: fc.constant('OCRP' as const), callId: u16, peerCallId: u16, resultCode: u8, errorCode: u8, causeCode: u16, connectSpeed: u32, packetRecvWindowSize: u16, packetProcessingDelay: u16, physicalChannelId: u32 }),
  fc.record({ type: fc.constant('ICRQ' as const), callId: u16, callSerialNumber: u16, callBearerType: u32, physicalChannelId: u32, dialedNumberLength: u16, dialingNumberLength: u16, dialedNumber: str(64), dialingNumber: str(64), subaddress: str(64) }),
  fc.record({ type: fc.constant('ICRP' as const), callId: u16, peerCallId: u16, resultCode: u8, errorCode: u8, packetRecvWindowSize: u16, packetTransmitDelay: u16 }),
  fc.record({ type: fc.constant('ICCN' as const), peerCallId: u16, connectSpeed: u32, packetRecvWindowSize: u16, packetTransmitDelay: u16, framingType: u32 }),
  fc.record({ type: fc.constant('CCRQ' as const), callId: u16 }),
  fc.record({ type: fc.constant('CDN' as const), callId: u16, resultCode: u8, errorCode: u8, causeCode: u16, callStatistics: str(128) }),
  fc.record({ type: fc.constant('WEN' as const), peerCallId: u16, crcErrors: u32, framingErrors: u32, hardwareOverruns: u32, bufferOverruns: u32, timeoutErrors: u32, alignmentErrors: u32 }),
  fc.record({ type: fc.constant('SLI' as const), peerCallId: u16, sendAccm: u32, receiveAccm: u32 }),
);

test('property: parse(encode(m)) ≡ m and encode length = controlMessageLength', () => {
  fc.assert(
    fc.property(arbControlMessage, (m) => {
      const b = encodeControlMessage(m);
      assert.equal(b.length, controlMessageLength(m));
      assert.ok(b.length <= PPTP_MAX_MESSAGE_BYTES);
      const r = parseControlMessage(b);
      assert.ok(r.ok);
      assert.deepEqual(r.value, { ...m });
    }),
    { numRuns: 500 },
  );
});

test('property: random bytes never throw and give ok or a WireError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 260 }), (b) => {
      const r = parseControlMessage(b);
      if (r.ok) assert.equal(r.bytesRead, controlMessageLength(r.value));
      else assert.match(r.error.code, /^(TRUNCATED|BAD_LENGTH|BAD_VALUE|UNSUPPORTED)$/);
    }),
    { numRuns: 2000 },
  );
});

test('property: a valid header with random body bytes parses and re-parses to the same message', () => {
  fc.assert(
    fc.property(arbControlMessage, fc.uint8Array({ minLength: 220, maxLength: 220 }), (m, noise) => {
      const b = encodeControlMessage(m);
      b.set(noise.subarray(0, b.length - 12), 12);
      const r = parseControlMessage(b);
      assert.ok(r.ok);
      const again = parseControlMessage(encodeControlMessage(r.value));
      assert.ok(again.ok);
      assert.deepEqual(again.value, r.value);
    }),
    { numRuns: 300 },
  );
});
