import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromHex } from '../../wire/hex.js';
import {
  CHAP_CODE, PAP_CODE, chapPacketLength, encodeChapPacket, encodePapPacket, papPacketLength, parseChapPacket, parsePapPacket,
  type ChapPacket, type PapPacket,
} from './packets.js';
import { formatMsChapFailure, parseMsChapFailure, parseMsChapV2Success } from './mschap-message.js';
import { loadVector, type ChapcrackVectors } from '../../../test/fixtures/vectors/vectors.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

// The chapcrack pptp.cap handshake (frames 1-3), rebuilt from the extracted fields.
const cc = loadVector<ChapcrackVectors>('pcap-chapcrack-mschapv2.json');
const h = cc.handshakes[0]!;

test('CHAP Challenge: golden bytes ↔ struct', () => {
  const bytes = fromHex(`
    01 b0 001a                           // Challenge, Identifier 176, Length 26
    10 258d4fc024f111512d0b61f9c375aee1  // Value-Size 16, Value
    7070747064                           // Name "pptpd"
  `);
  const p: ChapPacket = { code: CHAP_CODE.CHALLENGE, identifier: h.chap_identifier, value: fromHex(h.AuthenticatorChallenge), name: ascii('pptpd') };
  assert.deepEqual(encodeChapPacket(p), bytes);
  assert.equal(chapPacketLength(p), bytes.length);
  assert.deepEqual(parseChapPacket(bytes), { ok: true, value: p, bytesRead: 26 });
});

test('CHAP Response (MS-CHAPv2): golden bytes ↔ struct, trailing padding ignored', () => {
  const bytes = fromHex(`02 b0 003b 31 ${h.ResponseValue} 6d6f786965 0000`); // + 2 octets of padding
  const r = parseChapPacket(bytes);
  assert.ok(r.ok);
  assert.equal(r.bytesRead, 59);
  assert.ok('value' in r.value);
  assert.equal(r.value.value.length, 49);
  assert.equal(new TextDecoder().decode(r.value.name), 'moxie');
  assert.deepEqual(encodeChapPacket(r.value), bytes.subarray(0, 59));
});

test('CHAP Success/Failure: golden bytes ↔ struct', () => {
  const p: ChapPacket = { code: CHAP_CODE.SUCCESS, identifier: 176, message: ascii(h.SuccessMessage) };
  const bytes = encodeChapPacket(p);
  assert.deepEqual([...bytes.subarray(0, 4)], [3, 176, 0, 4 + h.SuccessMessage.length]);
  assert.deepEqual(parseChapPacket(bytes), { ok: true, value: p, bytesRead: bytes.length });
});

test('PAP Authenticate-Request and Ack: golden bytes ↔ struct', () => {
  const req = fromHex('01 07 000f 05 616c696365 04 70617373'); // id 7, "alice", "pass"
  const p: PapPacket = { code: PAP_CODE.AUTHENTICATE_REQUEST, identifier: 7, peerId: ascii('alice'), password: ascii('pass') };
  assert.deepEqual(encodePapPacket(p), req);
  assert.equal(papPacketLength(p), 15);
  assert.deepEqual(parsePapPacket(req), { ok: true, value: p, bytesRead: 15 });
  const ack = fromHex('02 07 0007 02 6f6b');
  assert.deepEqual(parsePapPacket(ack), { ok: true, value: { code: 2, identifier: 7, message: ascii('ok') }, bytesRead: 7 });
  assert.deepEqual(encodePapPacket({ code: 2, identifier: 7, message: ascii('ok') }), ack);
});

test('PAP Ack without Msg-Length (Length 4) → empty message', () => {
  assert.deepEqual(parsePapPacket(fromHex('02 01 0004')), { ok: true, value: { code: 2, identifier: 1, message: new Uint8Array(0) }, bytesRead: 4 });
});

test('parsers: Length beyond the data, Length < 4, short header or bad sizes → WireError', () => {
  assert.deepEqual(parseChapPacket(fromHex('01 01 00')), { ok: false, error: { code: 'TRUNCATED', offset: 3, field: 'header' } });
  assert.equal(parseChapPacket(fromHex('01 01 0010 00')).ok, false);
  assert.equal(parseChapPacket(fromHex('01 01 0003')).ok, false);
  assert.equal(parseChapPacket(fromHex('01 01 0006 05 00')).ok, false, 'Value-Size past Length');
  assert.equal(parseChapPacket(fromHex('01 01 0005 00')).ok, false, 'Value-Size 0');
  assert.equal(parsePapPacket(fromHex('01 01 0007 05 6161')).ok, false, 'Peer-ID past Length');
  assert.equal(parsePapPacket(fromHex('01 01 0008 01 61 05 62')).ok, false, 'Password past Length');
  assert.equal(parsePapPacket(fromHex('02 01 0006 05 62')).ok, false, 'Msg-Length past Length');
});

const chapArb: fc.Arbitrary<ChapPacket> = fc.oneof(
  fc.record({ code: fc.constantFrom(1 as const, 2 as const), identifier: fc.nat(255), value: fc.uint8Array({ minLength: 1, maxLength: 255 }), name: fc.uint8Array({ maxLength: 40 }) }),
  fc.record({ code: fc.constantFrom(3 as const, 4 as const), identifier: fc.nat(255), message: fc.uint8Array({ maxLength: 80 }) }),
  fc.record({ code: fc.constantFrom(5, 6, 7, 200), identifier: fc.nat(255), data: fc.uint8Array({ maxLength: 80 }), other: fc.constant(true as const) }),
).map((x) => ({ ...x }));
const papArb: fc.Arbitrary<PapPacket> = fc.oneof(
  fc.record({ code: fc.constant(1 as const), identifier: fc.nat(255), peerId: fc.uint8Array({ maxLength: 255 }), password: fc.uint8Array({ maxLength: 255 }) }),
  fc.record({ code: fc.constantFrom(2 as const, 3 as const), identifier: fc.nat(255), message: fc.uint8Array({ maxLength: 255 }) }),
  fc.record({ code: fc.constantFrom(4, 9), identifier: fc.nat(255), data: fc.uint8Array({ maxLength: 80 }), other: fc.constant(true as const) }),
).map((x) => ({ ...x }));

test('CHAP/PAP: parse(encode(x)) ≡ x and encode length = xLength(x)', () => {
  fc.assert(fc.property(chapArb, (p) => {
    const b = encodeChapPacket(p);
    assert.equal(b.length, chapPacketLength(p));
    assert.deepEqual(parseChapPacket(b), { ok: true, value: p, bytesRead: b.length });
  }));
  fc.assert(fc.property(papArb, (p) => {
    const b = encodePapPacket(p);
    assert.equal(b.length, papPacketLength(p));
    assert.deepEqual(parsePapPacket(b), { ok: true, value: p, bytesRead: b.length });
  }));
});

test('CHAP/PAP parsers: random bytes → ok or a WireError, never a throw', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
    for (const r of [parseChapPacket(b), parsePapPacket(b)]) {
      if (r.ok) assert.ok(r.bytesRead <= b.length && r.bytesRead >= 4);
      else assert.ok(['TRUNCATED', 'BAD_LENGTH'].includes(r.error.code));
    }
  }));
});

test('MS-CHAP messages: Windows-style Failure text ↔ fields', () => {
  const text = 'E=691 R=1 C=00112233445566778899AABBCCDDEEFF V=3 M=Authentication failed';
  const f = parseMsChapFailure(text);
  assert.equal(f.code, 691);
  assert.equal(f.retry, true);
  assert.deepEqual(f.challenge, fromHex('00112233445566778899AABBCCDDEEFF'));
  assert.equal(f.version, 3);
  assert.equal(f.message, 'Authentication failed');
  assert.equal(formatMsChapFailure({ code: 691, retry: true, challenge: f.challenge!, version: 3, message: 'Authentication failed' }), text);
  // M= text may itself contain "R=1": it is not a field.
  assert.equal(parseMsChapFailure('E=649 R=0 V=3 M=set R=1 here').retry, false);
  // Odd-length or non-hex C= → no challenge.
  assert.equal(parseMsChapFailure('E=691 R=1 C=ABC V=2').challenge, undefined);
  assert.deepEqual(parseMsChapFailure(''), { code: undefined, retry: false, challenge: undefined, version: undefined, message: undefined });
});

test('MS-CHAPv2 Success text → S= and M= (captured message)', () => {
  assert.deepEqual(parseMsChapV2Success(h.SuccessMessage), { authenticatorResponse: h.AuthenticatorResponse, message: 'Access granted' });
  assert.deepEqual(parseMsChapV2Success('S=1234'), { authenticatorResponse: undefined, message: undefined });
});
