import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromHex, toHex } from '../wire/hex.js';
import { EXCHANGE, FLAG, ID_TYPE, NOTIFY, P1_ATTR, PAYLOAD, PROTO } from './constants.js';
import {
  encodeIsakmpMessage,
  encodePayloads,
  isakmpMessageLength,
  parseIsakmpMessage,
  parsePayloads,
  payloadsLength,
  type IsakmpPayload,
} from './isakmp.js';
import { attributeNumber, encodeSaPayload, parseSaPayload, saAttribute, saPayloadLength, type SaAttribute, type SaPayload } from './sa-payload.js';

// A Main Mode message 1 built by hand from RFC 2408 §3.1-§3.6 and RFC 2409
// Appendix A: one proposal, one transform AES-CBC-256 / SHA1 / PSK / MODP2048
// / 28800 s, then a Vendor ID (RFC 3947's MD5("RFC 3947")).
const MM1_HEX = `
  0011223344556677 0000000000000000   // initiator cookie, responder cookie 0
  01 10 02 00 00000000 0000006c       // next SA, version 1.0, Main Mode, flags 0, M-ID 0, length 108
  0d 00 003c                          // SA: next Vendor ID, length 60
    00000001 00000001                 //   DOI IPsec, SIT_IDENTITY_ONLY
    00 00 0030 01 01 00 01            //   Proposal: last, length 48, #1, PROTO_ISAKMP, SPI size 0, 1 transform
      00 00 0028 01 01 0000           //     Transform: last, length 40, #1, KEY_IKE
        800e 0100                     //       Key Length 256 (TV)
        8001 0007                     //       Encryption AES-CBC (TV)
        8002 0002                     //       Hash SHA1
        8003 0001                     //       Auth pre-shared key
        8004 000e                     //       Group 14
        800b 0001                     //       Life type seconds
        000c 0004 00007080            //       Life duration 28800 (TLV, 4 bytes)
  00 00 0014 4a131c81070358455c5728f20e95452f  // Vendor ID: last, length 20, RFC 3947
`;

const MM1: IsakmpPayload[] = [
  {
    kind: 'sa',
    sa: {
      doi: 1,
      situation: 1,
      proposals: [{
        proposalNumber: 1, protocolId: PROTO.ISAKMP, spi: new Uint8Array(0),
        transforms: [{
          transformNumber: 1, transformId: 1,
          attributes: [
            saAttribute(P1_ATTR.KEY_LENGTH, 256), saAttribute(P1_ATTR.ENCRYPTION_ALGORITHM, 7), saAttribute(P1_ATTR.HASH_ALGORITHM, 2),
            saAttribute(P1_ATTR.AUTHENTICATION_METHOD, 1), saAttribute(P1_ATTR.GROUP_DESCRIPTION, 14), saAttribute(P1_ATTR.LIFE_TYPE, 1),
            { type: P1_ATTR.LIFE_DURATION, format: 'tlv', bytes: fromHex('00007080') },
          ],
        }],
      }],
    },
  },
  { kind: 'vendor-id', data: fromHex('4a131c81070358455c5728f20e95452f') },
];

const HEADER = { initiatorCookie: fromHex('0011223344556677'), responderCookie: new Uint8Array(8), majorVersion: 1, minorVersion: 0, exchangeType: EXCHANGE.IDENTITY_PROTECTION, flags: 0, messageId: 0 };

test('Main Mode message 1: golden bytes parse to the payloads and encode back identically', () => {
  const bytes = fromHex(MM1_HEX);
  const m = parseIsakmpMessage(bytes);
  assert.ok(m.ok, JSON.stringify(m));
  assert.equal(m.bytesRead, 108);
  assert.equal(m.value.header.nextPayload, PAYLOAD.SA);
  assert.equal(m.value.header.length, 108);
  assert.deepEqual(m.value.payloads, MM1);
  assert.equal(toHex(m.value.bodies[1]!), '4a131c81070358455c5728f20e95452f');
  assert.equal(toHex(encodeIsakmpMessage({ header: HEADER, payloads: MM1 })), toHex(bytes));
  assert.equal(isakmpMessageLength({ header: HEADER, payloads: MM1 }), 108);
  const life = (m.value.payloads[0] as Extract<IsakmpPayload, { kind: 'sa' }>).sa.proposals[0]!.transforms[0]!.attributes[6]!;
  assert.equal(attributeNumber(life), 28800);
});

test('saAttribute: values above 16 bits become a 4-byte TLV, attributeNumber reads them back', () => {
  assert.deepEqual(saAttribute(2, 0xffff), { type: 2, format: 'tv', value: 0xffff });
  const a = saAttribute(2, 86400 * 30);
  assert.equal(a.format, 'tlv');
  assert.equal(attributeNumber(a), 86400 * 30);
  assert.equal(attributeNumber({ type: 2, format: 'tlv', bytes: new Uint8Array(7) }), undefined);
});

test('every other payload kind: golden bytes both ways (ID, hash, nonce, notify, delete, NAT-D/NAT-OA RFC and draft, raw)', () => {
  const payloads: IsakmpPayload[] = [
    { kind: 'ke', data: fromHex('0102') },
    { kind: 'nonce', data: fromHex('aabbccdd') },
    { kind: 'id', id: { idType: ID_TYPE.IPV4_ADDR, protocolId: 17, port: 500, data: fromHex('c0a80001') } },
    { kind: 'id', id: { idType: ID_TYPE.FQDN, protocolId: 0, port: 0, data: new TextEncoder().encode('vpn.example') } },
    { kind: 'id', id: { idType: ID_TYPE.USER_FQDN, protocolId: 0, port: 0, data: new TextEncoder().encode('a@b') } },
    { kind: 'hash', data: fromHex('00112233445566778899aabbccddeeff00112233') },
    { kind: 'notify', notify: { doi: 1, protocolId: PROTO.ISAKMP, spi: fromHex('00112233445566778899aabbccddeeff'), notifyType: NOTIFY.R_U_THERE, data: fromHex('00000007') } },
    { kind: 'delete', delete: { doi: 1, protocolId: PROTO.IPSEC_ESP, spiSize: 4, spis: [fromHex('01020304'), fromHex('05060708')] } },
    { kind: 'nat-d', draft: false, hash: fromHex('11'.repeat(20)) },
    { kind: 'nat-d', draft: true, hash: fromHex('22'.repeat(20)) },
    { kind: 'nat-oa', draft: false, idType: ID_TYPE.IPV4_ADDR, address: fromHex('0a000002') },
    { kind: 'nat-oa', draft: true, idType: ID_TYPE.IPV4_ADDR, address: fromHex('0a000003') },
    { kind: 'raw', type: PAYLOAD.SIG, data: fromHex('99') },
  ];
  const expected = fromHex(`
    0a 00 0006 0102                              // KE → Nonce
    05 00 0008 aabbccdd                          // Nonce → ID
    05 00 000c 01 11 01f4 c0a80001               // ID_IPV4_ADDR, UDP, port 500, 192.168.0.1
    05 00 0013 02 00 0000 76706e2e6578616d706c65 // ID_FQDN "vpn.example"
    08 00 000b 03 00 0000 614062                 // ID_USER_FQDN "a@b"
    0b 00 0018 00112233445566778899aabbccddeeff00112233 // HASH
    0c 00 0020 00000001 01 10 8d28 00112233445566778899aabbccddeeff 00000007 // N: ISAKMP, SPI 16, R-U-THERE, seq 7
    14 00 0014 00000001 03 04 0002 01020304 05060708   // D: ESP, 2 SPIs
    82 00 0018 ${'11'.repeat(20)}                // NAT-D (20) → NAT-D draft (130)
    15 00 0018 ${'22'.repeat(20)}                // NAT-D draft → NAT-OA (21)
    83 00 000c 01 000000 0a000002                // NAT-OA RFC 3947 → NAT-OA draft (131)
    09 00 000c 01 000000 0a000003                // NAT-OA draft → SIG (raw)
    00 00 0005 99                                // SIG, last
  `);
  const enc = encodePayloads(payloads);
  assert.equal(toHex(enc), toHex(expected));
  assert.equal(payloadsLength(payloads), enc.length);
  const back = parsePayloads(PAYLOAD.KE, enc);
  assert.ok(back.ok, JSON.stringify(back));
  assert.deepEqual(back.value.payloads, payloads);
});

test('parsePayloads: stops at Next Payload 0 and leaves the CBC padding after it unread', () => {
  const chain = encodePayloads([{ kind: 'hash', data: fromHex('aa') }]);
  const padded = new Uint8Array(chain.length + 11);
  padded.set(chain);
  const r = parsePayloads(PAYLOAD.HASH, padded);
  assert.ok(r.ok);
  assert.equal(r.bytesRead, chain.length);
});

test('malformed inputs fail with the field named, never throw', () => {
  const mm1 = fromHex(MM1_HEX);
  const cases: [string, Uint8Array, string][] = [
    ['short header', mm1.subarray(0, 27), 'isakmp-header'],
    ['IKEv2 version', patch(mm1, 17, 0x20), 'version'],
    ['length below the header', patch(mm1, 27, 0x10), 'length'],
    ['length past the datagram', patch(mm1, 27, 0x80), 'length'],
    ['payload length 3', patch(mm1, 31, 0x03), 'payload-length'],
    ['chain shorter than the header length', concatBytes(patch(mm1, 27, 0x70), new Uint8Array(4)), 'payload-lengths'],
    ['SA with DOI 2', patch(mm1, 35, 2), 'doi'],
    ['SA with secrecy situation', patch(mm1, 39, 3), 'situation'],
    ['transform count 2', patch(mm1, 47, 2), 'transform-count'],
    ['proposal next 5', patch(mm1, 40, 5), 'proposal'],
    ['TLV attribute overrun', patch(mm1, 83, 0x40), 'attribute-length'],
  ];
  for (const [what, bytes, fieldName] of cases) {
    const r = parseIsakmpMessage(bytes);
    assert.ok(!r.ok, what);
    assert.ok(r.error.field?.startsWith(fieldName), `${what}: ${JSON.stringify(r.error)}`);
  }
  const badId = parsePayloads(PAYLOAD.ID, fromHex('00 00 0009 01 00 0000 0a'));
  assert.ok(!badId.ok && badId.error.field === 'id-data');
  const badOa = parsePayloads(PAYLOAD.NAT_OA, fromHex('00 00 000c 02 000000 0a000002'));
  assert.ok(!badOa.ok && badOa.error.field === 'nat-oa-type');
  const badDelete = parsePayloads(PAYLOAD.DELETE, fromHex('00 00 0010 00000001 03 04 0002 01020304'));
  assert.ok(!badDelete.ok && badDelete.error.field === 'delete-spis');
  // SPI size 0 with a count of 65,535 in 12 octets: refused, not 65,535 empty entries.
  const zeroSpiDelete = parsePayloads(PAYLOAD.DELETE, fromHex('00 00 000c 00000001 03 00 ffff'));
  assert.ok(!zeroSpiDelete.ok && zeroSpiDelete.error.field === 'delete-spis');
  const badNotify = parsePayloads(PAYLOAD.NOTIFY, fromHex('00 00 000c 00000001 03 10 0018'));
  assert.ok(!badNotify.ok && badNotify.error.field === 'notify-spi-size');
});

test('encrypted message: header parsed, body returned as ciphertext', () => {
  const bytes = encodeIsakmpMessage({ header: { ...HEADER, flags: FLAG.ENCRYPTION }, payloads: [{ kind: 'hash', data: fromHex('0102') }] });
  const m = parseIsakmpMessage(bytes);
  assert.ok(m.ok);
  assert.equal(m.value.payloads.length, 0);
  assert.equal(toHex(m.value.encrypted!), toHex(bytes.subarray(28)));
});

function patch(b: Uint8Array, at: number, v: number): Uint8Array {
  const c = b.slice();
  c[at] = v;
  return c;
}
function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const c = new Uint8Array(a.length + b.length);
  c.set(a);
  c.set(b, a.length);
  return c;
}

/** fc.record without the null prototype, so deepEqual compares plain objects. */
function rec<T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(model, { noNullPrototype: true }) as fc.Arbitrary<T>;
}
const bytesArb = (max: number) => fc.uint8Array({ maxLength: max });
const attributeArb: fc.Arbitrary<SaAttribute> = fc.oneof(
  rec({ type: fc.nat(0x7fff), format: fc.constant('tv' as const), value: fc.nat(0xffff) }),
  rec({ type: fc.nat(0x7fff), format: fc.constant('tlv' as const), bytes: bytesArb(12) }),
);
const saArb: fc.Arbitrary<SaPayload> = rec({
  doi: fc.constant(1),
  situation: fc.constant(1),
  proposals: fc.array(
    rec({
      proposalNumber: fc.nat(255),
      protocolId: fc.nat(255),
      spi: fc.oneof(fc.constant(new Uint8Array(0)), fc.uint8Array({ minLength: 4, maxLength: 4 })),
      transforms: fc.array(rec({ transformNumber: fc.nat(255), transformId: fc.nat(255), attributes: fc.array(attributeArb, { maxLength: 8 }) }), { maxLength: 4 }),
    }),
    { minLength: 1, maxLength: 3 },
  ),
});
const payloadArb: fc.Arbitrary<IsakmpPayload> = fc.oneof(
  saArb.map((sa) => ({ kind: 'sa' as const, sa })),
  bytesArb(64).map((data) => ({ kind: 'ke' as const, data })),
  bytesArb(32).map((data) => ({ kind: 'hash' as const, data })),
  bytesArb(32).map((data) => ({ kind: 'nonce' as const, data })),
  bytesArb(20).map((data) => ({ kind: 'vendor-id' as const, data })),
  rec({ draft: fc.boolean(), hash: bytesArb(32) }).map((p) => ({ kind: 'nat-d' as const, ...p })),
  rec({ draft: fc.boolean(), address: fc.uint8Array({ minLength: 4, maxLength: 4 }) }).map((p) => ({ kind: 'nat-oa' as const, idType: ID_TYPE.IPV4_ADDR, ...p })),
  rec({ idType: fc.constantFrom(2, 3, 9, 11), protocolId: fc.nat(255), port: fc.nat(0xffff), data: bytesArb(30) }).map((id) => ({ kind: 'id' as const, id })),
  rec({ doi: fc.nat(), protocolId: fc.nat(255), spi: bytesArb(16), notifyType: fc.nat(0xffff), data: bytesArb(16) }).map((notify) => ({ kind: 'notify' as const, notify })),
  rec({ doi: fc.nat(), protocolId: fc.nat(255), spiSize: fc.constantFrom(4, 16) }).chain((d) =>
    fc.array(fc.uint8Array({ minLength: d.spiSize, maxLength: d.spiSize }), { maxLength: 4 }).map((spis) => ({ kind: 'delete' as const, delete: { ...d, spis } }))),
  rec({ type: fc.constantFrom(6, 7, 9, 15, 200), data: bytesArb(20) }).map((p) => ({ kind: 'raw' as const, ...p })),
);

test('property: parse(encode(message)) ≡ message and the length function agrees', () => {
  fc.assert(
    fc.property(fc.array(payloadArb, { maxLength: 8 }), fc.nat(), fc.nat(255), (payloads, messageId, exchangeType) => {
      const fields = { header: { ...HEADER, messageId, exchangeType }, payloads };
      const bytes = encodeIsakmpMessage(fields);
      assert.equal(bytes.length, isakmpMessageLength(fields));
      const m = parseIsakmpMessage(bytes);
      assert.ok(m.ok, JSON.stringify(m));
      assert.deepEqual(m.value.payloads, payloads);
      assert.equal(m.value.header.messageId, messageId);
      assert.equal(toHex(encodeIsakmpMessage(m.value)), toHex(bytes));
    }),
    { numRuns: 300 },
  );
});

test('property: SA payload encode/parse round trip', () => {
  fc.assert(
    fc.property(saArb, (sa) => {
      const bytes = encodeSaPayload(sa);
      assert.equal(bytes.length, saPayloadLength(sa));
      const back = parseSaPayload(bytes);
      assert.ok(back.ok, JSON.stringify(back));
      assert.deepEqual(back.value, sa);
    }),
    { numRuns: 300 },
  );
});

test('property: random bytes never throw, always ok or a WireError', () => {
  const codes = new Set(['TRUNCATED', 'BAD_LENGTH', 'BAD_VALUE', 'UNSUPPORTED']);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(255), (bytes, first) => {
      for (const r of [parseIsakmpMessage(bytes), parsePayloads(first, bytes), parseSaPayload(bytes)]) {
        if (!r.ok) assert.ok(codes.has(r.error.code));
      }
      // Also with a valid header in front, so the payload parsers see the bytes.
      const withHeader = new Uint8Array(28 + bytes.length);
      withHeader.set(fromHex(MM1_HEX).subarray(0, 28));
      withHeader.set(bytes, 28);
      withHeader[16] = first;
      withHeader.set([0, 0, (withHeader.length >> 8) & 0xff, withHeader.length & 0xff], 24);
      const r = parseIsakmpMessage(withHeader);
      if (!r.ok) assert.ok(codes.has(r.error.code));
    }),
    { numRuns: 2000 },
  );
});

test('property: mutated real messages never throw', () => {
  const mm1 = fromHex(MM1_HEX);
  fc.assert(
    fc.property(fc.nat(mm1.length - 1), fc.nat(255), fc.nat(mm1.length), (at, v, cut) => {
      const b = patch(mm1, at, v).subarray(0, cut);
      parseIsakmpMessage(b);
    }),
    { numRuns: 2000 },
  );
});
