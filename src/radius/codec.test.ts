import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { fromHex, toHex } from '../wire/hex.js';
import {
  ATTR,
  MS_ATTR,
  RADIUS_CODE,
  VENDOR_MICROSOFT,
  attrInt,
  attrIpv4,
  attrText,
  decryptMppeKey,
  encodeRadiusPacket,
  encodeVendorSpecific,
  encryptMppeKey,
  findAttr,
  findMsAttr,
  hidePassword,
  intAttr,
  messageAuthenticatorPlaceholder,
  parseRadiusPacket,
  parseVendorSpecific,
  radiusPacketLength,
  signRequest,
  signResponse,
  textAttr,
  unhidePassword,
  verifyRequest,
  verifyResponse,
  type RadiusPacket,
} from './codec.js';

const SECRET = 'xyzzy5461';

// RFC 2865 §7.1: Access-Request for nemo / "arctangent" on port 3.
const RFC_7_1_REQUEST = fromHex(
  '01 00 0038' + // Code Access-Request, ID 0, Length 56
    '0f403f9473978057bd83d5cb98f4227a' + // Request Authenticator
    '0106 6e656d6f' + // User-Name "nemo"
    '0212 0dbe708d93d413ce3196e43f782a0aee' + // User-Password (hidden)
    '0406 c0a80110' + // NAS-IP-Address 192.168.1.16
    '0506 00000003', // NAS-Port 3
);
// RFC 2865 §7.1: the Access-Accept answering it.
const RFC_7_1_ACCEPT = fromHex(
  '02 00 0026' + // Access-Accept, ID 0, Length 38
    '86fe220e7624ba2a1005f6bf9b55e0b2' + // Response Authenticator
    '0606 00000001' + // Service-Type Login
    '0f06 00000000' + // Login-Service Telnet
    '0e06 c0a80103', // Login-IP-Host 192.168.1.3
);
// RFC 2865 §7.2: CHAP Access-Request for flopsy and its Access-Accept.
const RFC_7_2_REQUEST = fromHex(
  '01 01 0047 2aee86f08d0d55969ca5978e0d3367a2' +
    '0108 666c6f707379' + // User-Name "flopsy"
    '0313 16 e97557c316185895f293ff63440772 75' + // CHAP-Password: CHAP ID 22 + 16-octet response
    '0406 c0a80110 0506 00000014 0606 00000002 0706 00000001',
);
const RFC_7_2_ACCEPT = fromHex(
  '02 01 0038 15efbc7dab26cfa3dc34d9c03c8601a4' +
    '0606 00000002 0706 00000001 0806 fffffffe 0a06 00000002 0d06 00000001 0c06 000005dc',
);

test('RFC 2865 §7.1: Access-Request bytes → fields, and fields → the same bytes', () => {
  const r = parseRadiusPacket(RFC_7_1_REQUEST);
  assert.ok(r.ok);
  const p = r.value;
  assert.equal(p.code, RADIUS_CODE.ACCESS_REQUEST);
  assert.equal(p.identifier, 0);
  assert.equal(r.bytesRead, 56);
  assert.equal(attrText(findAttr(p, ATTR.USER_NAME)!), 'nemo');
  assert.equal(attrIpv4(findAttr(p, ATTR.NAS_IP_ADDRESS)), '192.168.1.16');
  assert.equal(attrInt(findAttr(p, ATTR.NAS_PORT)), 3);
  const pw = unhidePassword(findAttr(p, ATTR.USER_PASSWORD)!, SECRET, p.authenticator);
  assert.ok(pw.ok);
  assert.equal(new TextDecoder().decode(pw.value), 'arctangent');
  // Encode from fields, hiding the password ourselves.
  const rebuilt: RadiusPacket = {
    code: RADIUS_CODE.ACCESS_REQUEST,
    identifier: 0,
    authenticator: p.authenticator,
    attributes: [
      textAttr(ATTR.USER_NAME, 'nemo'),
      { type: ATTR.USER_PASSWORD, value: hidePassword(new TextEncoder().encode('arctangent'), SECRET, p.authenticator) },
      { type: ATTR.NAS_IP_ADDRESS, value: fromHex('c0a80110') },
      intAttr(ATTR.NAS_PORT, 3),
    ],
  };
  assert.equal(toHex(encodeRadiusPacket(rebuilt)), toHex(RFC_7_1_REQUEST));
  assert.equal(radiusPacketLength(rebuilt), 56);
});

test('RFC 2865 §7.1/§7.2: Access-Accept → Response Authenticator verifies with the request authenticator', () => {
  const req1 = parseRadiusPacket(RFC_7_1_REQUEST);
  const req2 = parseRadiusPacket(RFC_7_2_REQUEST);
  assert.ok(req1.ok && req2.ok);
  assert.deepEqual(verifyResponse(RFC_7_1_ACCEPT, req1.value.authenticator, SECRET), { ok: true, messageAuthenticator: false });
  assert.deepEqual(verifyResponse(RFC_7_2_ACCEPT, req2.value.authenticator, SECRET), { ok: true, messageAuthenticator: false });
  // Wrong secret or wrong request → bad-authenticator.
  assert.deepEqual(verifyResponse(RFC_7_1_ACCEPT, req1.value.authenticator, 'xyzzy5462'), { ok: false, reason: 'bad-authenticator' });
  assert.deepEqual(verifyResponse(RFC_7_1_ACCEPT, req2.value.authenticator, SECRET), { ok: false, reason: 'bad-authenticator' });
  // signResponse re-creates the RFC's Response Authenticator from the fields.
  const accept = parseRadiusPacket(RFC_7_2_ACCEPT);
  assert.ok(accept.ok);
  assert.equal(attrIpv4(findAttr(accept.value, ATTR.FRAMED_IP_ADDRESS)), '255.255.255.254');
  const bytes = encodeRadiusPacket({ ...accept.value, authenticator: new Uint8Array(16) });
  assert.equal(toHex(signResponse(bytes, req2.value.authenticator, SECRET)), toHex(RFC_7_2_ACCEPT));
});

test('RFC 2865 §7.2: CHAP-Password → CHAP ID and response', () => {
  const r = parseRadiusPacket(RFC_7_2_REQUEST);
  assert.ok(r.ok);
  const cp = findAttr(r.value, ATTR.CHAP_PASSWORD)!;
  assert.equal(cp.length, 17);
  assert.equal(cp[0], 22);
  assert.equal(attrText(findAttr(r.value, ATTR.USER_NAME)!), 'flopsy');
});

test('User-Password: passwords of 1..128 octets hide and unhide; length rounds up to 16', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 128 }).filter((a) => a[a.length - 1] !== 0), fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.string({ minLength: 1 }), (pw, auth, secret) => {
      const h = hidePassword(pw, secret, auth);
      assert.equal(h.length, Math.max(16, Math.ceil(pw.length / 16) * 16));
      const u = unhidePassword(h, secret, auth);
      assert.ok(u.ok);
      assert.deepEqual(u.value, pw);
    }),
  );
});

test('MS-MPPE-Send-Key: encrypt → decrypt gives the key; wrong authenticator → error or other key', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 0xffff }), (key, auth, salt) => {
      const v = encryptMppeKey(key, 'secret', auth, salt);
      assert.equal((v[0]! & 0x80), 0x80);
      assert.equal((v.length - 2) % 16, 0);
      const d = decryptMppeKey(v, 'secret', auth);
      assert.ok(d.ok);
      assert.deepEqual(d.value, key);
      const other = auth.slice();
      other[0]! ^= 1;
      const w = decryptMppeKey(v, 'secret', other);
      assert.ok(!w.ok || toHex(w.value) !== toHex(key));
    }),
  );
});

test('MS-MPPE-Recv-Key: RFC 2548 §2.4.3 block chaining matches a naive reference', () => {
  const auth = fromHex('00112233445566778899aabbccddeeff');
  const key = fromHex('0102030405060708090a0b0c0d0e0f10');
  const v = encryptMppeKey(key, 's3cret', auth, 0x8123);
  // Reference: P = len | key | pad to 32; b1 = MD5(S|R|A), b2 = MD5(S|c1).
  const p = new Uint8Array(32);
  p[0] = 16;
  p.set(key, 1);
  const b1 = createHash('md5').update('s3cret').update(auth).update(fromHex('8123')).digest();
  const c1 = p.subarray(0, 16).map((x, i) => x ^ b1[i]!);
  const b2 = createHash('md5').update('s3cret').update(c1).digest();
  const c2 = p.subarray(16, 32).map((x, i) => x ^ b2[i]!);
  assert.equal(toHex(v), '8123' + toHex(c1) + toHex(c2));
  assert.deepEqual(decryptMppeKey(fromHex('0123' + toHex(c1) + toHex(c2)), 's3cret', auth), { ok: false, error: { code: 'BAD_VALUE', offset: 0, field: 'salt' } });
});

test('Access-Request with Message-Authenticator: signRequest → HMAC-MD5 over the packet as RFC 2869 §5.14 says', () => {
  const auth = fromHex('0f403f9473978057bd83d5cb98f4227a');
  const bytes = encodeRadiusPacket({
    code: RADIUS_CODE.ACCESS_REQUEST,
    identifier: 7,
    authenticator: auth,
    attributes: [messageAuthenticatorPlaceholder(), textAttr(ATTR.USER_NAME, 'nemo')],
  });
  const unsigned = bytes.slice();
  signRequest(bytes, SECRET);
  const want = createHmac('md5', SECRET).update(unsigned).digest();
  assert.equal(toHex(bytes.subarray(22, 38)), toHex(want));
  assert.equal(toHex(bytes.subarray(4, 20)), toHex(auth), 'Access-Request keeps its random authenticator');
  assert.deepEqual(verifyRequest(bytes, SECRET), { ok: true, messageAuthenticator: true });
  bytes[30]! ^= 1;
  assert.deepEqual(verifyRequest(bytes, SECRET), { ok: false, reason: 'bad-message-authenticator' });
});

test('Accounting-Request: signRequest → MD5(packet with zero authenticator | secret) (RFC 2866 §3)', () => {
  const bytes = encodeRadiusPacket({
    code: RADIUS_CODE.ACCOUNTING_REQUEST,
    identifier: 9,
    authenticator: new Uint8Array(16),
    attributes: [intAttr(ATTR.ACCT_STATUS_TYPE, 1), textAttr(ATTR.ACCT_SESSION_ID, 'abc')],
  });
  const want = createHash('md5').update(bytes).update(SECRET).digest();
  signRequest(bytes, SECRET);
  assert.equal(toHex(bytes.subarray(4, 20)), toHex(want));
  assert.deepEqual(verifyRequest(bytes, SECRET), { ok: true, messageAuthenticator: false });
  assert.deepEqual(verifyRequest(bytes, 'other'), { ok: false, reason: 'bad-authenticator' });
});

test('Disconnect-Request with Message-Authenticator: sign → verify; ACK signed with its authenticator verifies', () => {
  const bytes = encodeRadiusPacket({
    code: RADIUS_CODE.DISCONNECT_REQUEST,
    identifier: 1,
    authenticator: new Uint8Array(16),
    attributes: [textAttr(ATTR.ACCT_SESSION_ID, 'x'), messageAuthenticatorPlaceholder()],
  });
  signRequest(bytes, 'k');
  assert.deepEqual(verifyRequest(bytes, 'k'), { ok: true, messageAuthenticator: true });
  const ack = encodeRadiusPacket({ code: RADIUS_CODE.DISCONNECT_ACK, identifier: 1, authenticator: new Uint8Array(16), attributes: [messageAuthenticatorPlaceholder()] });
  signResponse(ack, bytes.subarray(4, 20), 'k');
  assert.deepEqual(verifyResponse(ack, bytes.subarray(4, 20), 'k'), { ok: true, messageAuthenticator: true });
});

test('Vendor-Specific: Microsoft attribute encodes and parses back', () => {
  const a = encodeVendorSpecific({ vendorId: VENDOR_MICROSOFT, vendorType: MS_ATTR.MS_CHAP2_SUCCESS, value: fromHex('01 533d') });
  assert.equal(toHex(a.value), '00000137' + '1a05' + '01533d');
  const p: RadiusPacket = { code: 2, identifier: 0, authenticator: new Uint8Array(16), attributes: [a] };
  const back = parseRadiusPacket(encodeRadiusPacket(p));
  assert.ok(back.ok);
  assert.equal(toHex(findMsAttr(back.value, MS_ATTR.MS_CHAP2_SUCCESS)!), '01533d');
  assert.deepEqual(parseVendorSpecific(fromHex('00000137 1a01')), { ok: false, error: { code: 'BAD_LENGTH', offset: 5, field: 'vendor-length' } });
});

test('malformed packets → WireError: short header, Length past the datagram, attribute overrun, zero attribute length', () => {
  assert.equal(parseRadiusPacket(new Uint8Array(19)).ok, false);
  const good = RFC_7_1_REQUEST;
  const longLen = good.slice();
  longLen[3] = 57;
  assert.deepEqual(parseRadiusPacket(longLen), { ok: false, error: { code: 'TRUNCATED', offset: 56, field: 'length' } });
  const overrun = good.slice();
  overrun[51] = 7; // NAS-Port length 7 runs past Length
  assert.equal(parseRadiusPacket(overrun).ok, false);
  const zero = good.slice();
  zero[21] = 0;
  assert.equal(parseRadiusPacket(zero).ok, false);
  // Padding beyond Length is ignored (RFC 2865 §3).
  const padded = new Uint8Array(good.length + 10);
  padded.set(good);
  const r = parseRadiusPacket(padded);
  assert.ok(r.ok);
  assert.equal(r.bytesRead, 56);
});

const attribute = fc.record({ type: fc.integer({ min: 1, max: 255 }), value: fc.uint8Array({ maxLength: 40 }) });
const packet = fc.record({
  code: fc.integer({ min: 0, max: 255 }),
  identifier: fc.integer({ min: 0, max: 255 }),
  authenticator: fc.uint8Array({ minLength: 16, maxLength: 16 }),
  attributes: fc.array(attribute, { maxLength: 20 }),
});

test('property: parse(encode(p)) ≡ p and encode length = radiusPacketLength', () => {
  fc.assert(
    fc.property(packet, (p) => {
      const bytes = encodeRadiusPacket(p);
      assert.equal(bytes.length, radiusPacketLength(p));
      const r = parseRadiusPacket(bytes);
      assert.ok(r.ok);
      // fc.record builds null-prototype objects; compare plain copies.
      assert.deepEqual(r.value, { ...p, attributes: p.attributes.map((a) => ({ type: a.type, value: a.value })) });
    }),
  );
});

test('property: random bytes never throw (packet, vendor, hidden values, authenticator checks)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes, auth) => {
      const r = parseRadiusPacket(bytes);
      if (r.ok) {
        verifyResponse(bytes, auth, 's');
        verifyRequest(bytes, 's');
        for (const a of r.value.attributes) parseVendorSpecific(a.value);
      } else {
        assert.ok(['TRUNCATED', 'BAD_LENGTH', 'BAD_VALUE', 'UNSUPPORTED'].includes(r.error.code));
      }
      parseVendorSpecific(bytes);
      unhidePassword(bytes, 's', auth);
      decryptMppeKey(bytes, 's', auth);
    }),
    { numRuns: 2000 },
  );
});

test('property: a valid header with random attribute bytes never throws', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (tail) => {
      const b = new Uint8Array(20 + tail.length);
      b[0] = 2;
      b[2] = b.length >> 8;
      b[3] = b.length & 0xff;
      b.set(tail, 20);
      const r = parseRadiusPacket(b);
      if (r.ok) verifyResponse(b, new Uint8Array(16), 'x');
    }),
    { numRuns: 2000 },
  );
});

test('textAttr: text over 253 octets → cut to 253 at a character boundary, never a throw at encode', () => {
  const a = textAttr(ATTR.USER_NAME, 'x'.repeat(300));
  assert.equal(a.value.length, 253);
  // 'é' is 2 octets: 127 of them are 254 octets; the cut must not split the last one.
  const b = textAttr(ATTR.USER_NAME, 'é'.repeat(127));
  assert.equal(b.value.length, 252);
  assert.equal(new TextDecoder('utf-8', { fatal: true }).decode(b.value), 'é'.repeat(126));
  assert.doesNotThrow(() => encodeRadiusPacket({ code: RADIUS_CODE.ACCOUNTING_REQUEST, identifier: 1, authenticator: new Uint8Array(16), attributes: [a, b] }));
});
