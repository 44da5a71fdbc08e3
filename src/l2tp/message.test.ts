import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { fromHex, toHex } from '../wire/hex.js';
import { parseCapture } from '../wire/pcap.js';
import { PCAPS_URL } from '../../test/helpers/fixtures.js';
import { AVP, MSG, STOPCCN_RESULT } from './constants.js';
import { encodeL2tp, parseL2tpHeader } from './header.js';
import { encodeAvps, parseAvps } from './avp.js';
import { encodeL2tpMessage, parseL2tpMessage, type L2tpMessage } from './message.js';

// An SCCRQ built by hand from RFC 2661 §3.1 and §4.4 (per-field comments).
const SCCRQ_HEX = `
  c802 003f 0000 0000 0000 0000   // T L S ver 2, length 63, tunnel 0, session 0, Ns 0, Nr 0
  8008 0000 0000 0001             // M, len 8: Message Type = 1 (SCCRQ)
  8008 0000 0002 0100             // M, len 8: Protocol Version 1.0
  800a 0000 0003 0000 0003        // M, len 10: Framing Capabilities sync|async
  8009 0000 0007 6c6e 73          // M, len 9: Host Name "lns"
  8008 0000 0009 1234             // M, len 8: Assigned Tunnel ID 0x1234
  8008 0000 000a 0004             // M, len 8: Receive Window Size 4
`;

test('control header + SCCRQ: golden bytes parse to the fields and encode back identically', () => {
  const bytes = fromHex(SCCRQ_HEX);
  const frame = parseL2tpHeader(bytes);
  assert.ok(frame.ok);
  const { header, payloadStart, payloadEnd } = frame.value;
  assert.deepEqual(header, { isControl: true, tunnelId: 0, sessionId: 0, length: 63, ns: 0, nr: 0, priority: false });
  const msg = parseL2tpMessage(bytes.subarray(payloadStart, payloadEnd));
  assert.ok(msg.ok);
  const expected: L2tpMessage = {
    messageType: MSG.SCCRQ,
    protocolVersion: { version: 1, revision: 0 },
    framingCapabilities: 3,
    hostName: 'lns',
    assignedTunnelId: 0x1234,
    receiveWindowSize: 4,
  };
  assert.deepEqual(msg.value, expected);
  const again = encodeL2tp({ isControl: true, tunnelId: 0, sessionId: 0, ns: 0, nr: 0, priority: false }, encodeL2tpMessage(expected));
  assert.equal(toHex(again), toHex(bytes));
});

test('ZLB: an empty body is an ack, type 0 in an AVP is not', () => {
  const zlb = encodeL2tp({ isControl: true, tunnelId: 5, sessionId: 0, ns: 3, nr: 7, priority: false }, new Uint8Array());
  assert.equal(toHex(zlb), 'c802000c0005000000030007');
  const f = parseL2tpHeader(zlb);
  assert.ok(f.ok);
  const m = parseL2tpMessage(zlb.subarray(f.value.payloadStart));
  assert.ok(m.ok && m.value.messageType === MSG.ZLB);
  const bad = parseL2tpMessage(fromHex('8008 0000 0000 0000'));
  assert.ok(!bad.ok && bad.error.field === 'message-type');
});

test('message: an unknown AVP with the M bit fails the parse; without it, it is kept', () => {
  const body = encodeAvps([
    { mandatory: true, hidden: false, vendorId: 0, type: AVP.MESSAGE_TYPE, value: fromHex('0006') },
    { mandatory: false, hidden: false, vendorId: 311, type: 99, value: fromHex('aa') },
  ]);
  const m = parseL2tpMessage(body);
  assert.ok(m.ok);
  assert.equal(m.value.unknown?.[0]?.vendorId, 311);
  const mandatory = encodeAvps([
    { mandatory: true, hidden: false, vendorId: 0, type: AVP.MESSAGE_TYPE, value: fromHex('0006') },
    { mandatory: true, hidden: false, vendorId: 0, type: 200, value: fromHex('aa') },
  ]);
  const r = parseL2tpMessage(mandatory);
  assert.deepEqual(r, { ok: false, error: { code: 'UNSUPPORTED', offset: 0, field: 'mandatory-avp:0:200' } });
});

test('message: Message Type must be the first AVP', () => {
  const body = encodeAvps([{ mandatory: true, hidden: false, vendorId: 0, type: AVP.HOST_NAME, value: fromHex('61') }]);
  const r = parseL2tpMessage(body);
  assert.ok(!r.ok && r.error.field === 'message-type-first');
});

test('hidden AVPs: a hidden Challenge Response and Result Code round-trip with the secret, fail without it', () => {
  const secret = new TextEncoder().encode('tunnel-secret');
  const msg: L2tpMessage = {
    messageType: MSG.STOPCCN,
    randomVector: fromHex('0102030405060708090a0b0c0d0e0f10'),
    assignedTunnelId: 7,
    resultCode: { result: STOPCCN_RESULT.GENERAL_ERROR, error: 8, message: 'unknown mandatory AVP, and a long text to span chunks' },
  };
  const body = encodeL2tpMessage(msg, { secret, types: new Set([AVP.RESULT_CODE, AVP.ASSIGNED_TUNNEL_ID]), padding: fromHex('55aa55') });
  assert.ok(!toHex(body).includes(toHex(new TextEncoder().encode('unknown mandatory'))), 'the text is not in the clear');
  const back = parseL2tpMessage(body, secret);
  assert.ok(back.ok);
  assert.deepEqual(back.value.resultCode, msg.resultCode);
  assert.equal(back.value.assignedTunnelId, 7);
  assert.deepEqual(back.value.hiddenTypes?.sort(), [AVP.RESULT_CODE, AVP.ASSIGNED_TUNNEL_ID].sort());
  const noSecret = parseL2tpMessage(body);
  assert.ok(!noSecret.ok && noSecret.error.field === 'hidden-avp');
  const wrong = parseL2tpMessage(body, new TextEncoder().encode('other'));
  assert.ok(!wrong.ok || wrong.value.assignedTunnelId !== 7, 'a wrong secret does not give the clear values');
});

test('every known AVP kind round-trips through encode and parse', () => {
  const msg: L2tpMessage = {
    messageType: MSG.ICCN,
    resultCode: { result: 1 },
    txConnectSpeed: 100_000_000,
    framingType: 1,
    proxyAuthenType: 2,
    proxyAuthenName: 'alice',
    proxyAuthenId: 9,
    proxyAuthenChallenge: fromHex('00112233'),
    lastSentLcpConfreq: fromHex('0104 05dc'),
    accm: { sendAccm: 0, receiveAccm: 0xffffffff },
    callErrors: { crcErrors: 1, framingErrors: 2, hardwareOverruns: 3, bufferOverruns: 4, timeoutErrors: 5, alignmentErrors: 6 },
    q931CauseCode: { cause: 16, msg: 1, advisory: 'normal' },
    sequencingRequired: true,
    rxConnectSpeed: 42,
    privateGroupId: fromHex('01'),
    physicalChannelId: 3,
  };
  const back = parseL2tpMessage(encodeL2tpMessage(msg));
  assert.ok(back.ok);
  assert.deepEqual(back.value, msg);
});

test('data header: length, sequence and offset fields are optional and honoured', () => {
  const payload = fromHex('ff03c021 0901000c 01020304');
  for (const h of [
    { isControl: false, tunnelId: 1, sessionId: 2, priority: false },
    { isControl: false, tunnelId: 1, sessionId: 2, priority: true, length: 0 },
    { isControl: false, tunnelId: 1, sessionId: 2, priority: false, ns: 5, nr: 0 },
    { isControl: false, tunnelId: 1, sessionId: 2, priority: false, offsetSize: 3, length: 0, ns: 1, nr: 2 },
  ]) {
    const bytes = encodeL2tp(h, payload);
    const f = parseL2tpHeader(bytes);
    assert.ok(f.ok, JSON.stringify(h));
    assert.equal(toHex(bytes.subarray(f.value.payloadStart, f.value.payloadEnd)), toHex(payload));
    assert.equal(f.value.header.ns, h.ns);
    assert.equal(f.value.header.offsetSize, h.offsetSize);
  }
});

test('header: bad version, control without L/S, impossible lengths are rejected', () => {
  assert.deepEqual(parseL2tpHeader(fromHex('0003 0001 0002')), { ok: false, error: { code: 'UNSUPPORTED', offset: 1, field: 'version' } });
  assert.equal(parseL2tpHeader(fromHex('8002 0001 0002 0000 0000')).ok, false);
  const r = parseL2tpHeader(fromHex('c802 00ff 0001 0002 0000 0000'));
  assert.ok(!r.ok && r.error.code === 'TRUNCATED');
  const short = parseL2tpHeader(fromHex('c802 0004 0001 0002 0000 0000'));
  assert.ok(!short.ok && short.error.code === 'BAD_LENGTH');
  const off = parseL2tpHeader(fromHex('0202 0001 0002 00ff'));
  assert.ok(!off.ok && off.error.field === 'offset-size');
});

const pcapDir = PCAPS_URL;

/** Finds UDP port 1701 payloads in IPv4 frames (any link layer) by scanning for the IPv4 header. */
function l2tpPayloads(file: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const p of parseCapture(readFileSync(new URL(file, pcapDir))) ?? []) {
    const b = p.bytes;
    for (let i = 0; i + 28 <= b.length; i++) {
      if (b[i] !== 0x45 || b[i + 9] !== 17) continue;
      const udp = i + 20;
      const sport = (b[udp]! << 8) | b[udp + 1]!;
      const dport = (b[udp + 2]! << 8) | b[udp + 3]!;
      if (sport === 1701 || dport === 1701) {
        out.push(b.subarray(udp + 8));
        break;
      }
    }
  }
  return out;
}

test('capture packetnet-l2tp.pcap: the data message carries an LCP Echo-Request and re-encodes identically', () => {
  const [msg] = l2tpPayloads('packetnet-l2tp.pcap');
  assert.ok(msg);
  const f = parseL2tpHeader(msg);
  assert.ok(f.ok);
  assert.equal(f.value.header.isControl, false);
  const ppp = msg.subarray(f.value.payloadStart, f.value.payloadEnd);
  assert.equal(toHex(ppp.subarray(0, 5)), 'ff03c02109', 'PPP LCP Echo-Request');
  const again = encodeL2tp(f.value.header, ppp);
  assert.equal(toHex(again), toHex(msg.subarray(0, f.value.payloadEnd)));
});

test('capture tcpdump-l2tp-avp-overflow.pcap: malformed control messages are rejected without throwing', () => {
  const msgs = l2tpPayloads('tcpdump-l2tp-avp-overflow.pcap');
  assert.ok(msgs.length > 0);
  let rejected = 0;
  for (const m of msgs) {
    const f = parseL2tpHeader(m);
    if (!f.ok) {
      rejected++;
      continue;
    }
    const r = parseL2tpMessage(m.subarray(f.value.payloadStart, f.value.payloadEnd));
    if (!r.ok) rejected++;
  }
  assert.equal(rejected, msgs.length, 'every fuzzed message is rejected');
});

test('property: random bytes never throw in the header, AVP or message parsers', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.option(fc.uint8Array({ minLength: 1, maxLength: 8 }), { nil: undefined }), (bytes, secret) => {
      parseL2tpHeader(bytes);
      parseAvps(bytes, secret);
      parseL2tpMessage(bytes, secret);
    }),
    { numRuns: 3000 },
  );
});

test('property: messages built from random field values round-trip', () => {
  fc.assert(
    fc.property(
      fc.record({ tunnel: fc.nat(0xffff), window: fc.nat(0xffff), host: fc.string({ maxLength: 40 }).map((s) => s.replace(/[^\x20-\x7e]/g, '')), serial: fc.nat(0xffffffff) }),
      ({ tunnel, window, host, serial }) => {
        const msg: L2tpMessage = { messageType: MSG.SCCRP, assignedTunnelId: tunnel, receiveWindowSize: window, hostName: host, callSerialNumber: serial };
        const back = parseL2tpMessage(encodeL2tpMessage(msg));
        assert.ok(back.ok);
        assert.deepEqual(back.value, msg);
      },
    ),
  );
});
