/**
 * Our ISAKMP encodings dissected by tshark: Main Mode 1/3 (SA with Phase 1
 * attributes, vendor IDs, KE, nonce, NAT-D under the RFC 3947 and the
 * draft-02/03 numbers), a cleartext Quick Mode body (ESP proposal, IDs,
 * NAT-OA) and informational messages (DPD notify, delete). No malformed
 * packet, no warning.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex } from '../../src/wire/hex.js';
import { LINKTYPE, udpIpv4Packet } from '../../src/wire/pcap.js';
import { ENCAPSULATION, ESP_TRANSFORM, EXCHANGE, ID_TYPE, LIFE_TYPE, NOTIFY, P1_ATTR, P2_ATTR, P2_AUTH, PROTO } from '../../src/ipsec/constants.js';
import { encodeIsakmpMessage, type IsakmpHeaderFields, type IsakmpPayload } from '../../src/ipsec/isakmp.js';
import { saAttribute } from '../../src/ipsec/sa-payload.js';
import { dissect, fields, tsharkSkipReason, type TsharkLayers } from '../helpers/tshark.js';

/** Every value of a field in a frame, arrays from --no-duplicate-keys flattened. */
function all(frame: TsharkLayers, name: string): unknown[] {
  return fields(frame, name).flat(3);
}

const header = (exchangeType: number, messageId = 0): IsakmpHeaderFields => ({
  initiatorCookie: fromHex('0102030405060708'), responderCookie: fromHex('1112131415161718'),
  majorVersion: 1, minorVersion: 0, exchangeType, flags: 0, messageId,
});

test('tshark: our Main Mode, Quick Mode and informational payloads decode cleanly', { skip: tsharkSkipReason() }, () => {
  const p1: IsakmpPayload = {
    kind: 'sa',
    sa: { doi: 1, situation: 1, proposals: [{ proposalNumber: 1, protocolId: PROTO.ISAKMP, spi: new Uint8Array(0), transforms: [
      { transformNumber: 1, transformId: 1, attributes: [saAttribute(P1_ATTR.ENCRYPTION_ALGORITHM, 7), saAttribute(P1_ATTR.KEY_LENGTH, 256), saAttribute(P1_ATTR.HASH_ALGORITHM, 2), saAttribute(P1_ATTR.AUTHENTICATION_METHOD, 1), saAttribute(P1_ATTR.GROUP_DESCRIPTION, 20), saAttribute(P1_ATTR.LIFE_TYPE, 1), saAttribute(P1_ATTR.LIFE_DURATION, 28800)] },
      { transformNumber: 2, transformId: 1, attributes: [saAttribute(P1_ATTR.ENCRYPTION_ALGORITHM, 5), saAttribute(P1_ATTR.HASH_ALGORITHM, 2), saAttribute(P1_ATTR.AUTHENTICATION_METHOD, 1), saAttribute(P1_ATTR.GROUP_DESCRIPTION, 2), saAttribute(P1_ATTR.LIFE_TYPE, 1), saAttribute(P1_ATTR.LIFE_DURATION, 86400 * 30)] },
    ] }] },
  };
  const p2: IsakmpPayload = {
    kind: 'sa',
    sa: { doi: 1, situation: 1, proposals: [{ proposalNumber: 1, protocolId: PROTO.IPSEC_ESP, spi: fromHex('c0ffee01'), transforms: [
      { transformNumber: 1, transformId: ESP_TRANSFORM.AES_CBC, attributes: [saAttribute(P2_ATTR.KEY_LENGTH, 128), saAttribute(P2_ATTR.AUTHENTICATION_ALGORITHM, P2_AUTH.HMAC_SHA1), saAttribute(P2_ATTR.ENCAPSULATION_MODE, ENCAPSULATION.UDP_TRANSPORT), saAttribute(P2_ATTR.SA_LIFE_TYPE, LIFE_TYPE.SECONDS), saAttribute(P2_ATTR.SA_LIFE_DURATION, 3600)] },
      { transformNumber: 2, transformId: ESP_TRANSFORM.AES_GCM_16, attributes: [saAttribute(P2_ATTR.KEY_LENGTH, 128), saAttribute(P2_ATTR.ENCAPSULATION_MODE, ENCAPSULATION.UDP_TRANSPORT_DRAFT)] },
    ] }] },
  };
  const messages: { exchange: number; messageId?: number; payloads: IsakmpPayload[] }[] = [
    { exchange: EXCHANGE.IDENTITY_PROTECTION, payloads: [p1, { kind: 'vendor-id', data: fromHex('4a131c81070358455c5728f20e95452f') }, { kind: 'vendor-id', data: fromHex('afcad71368a1f1c96b8696fc77570100') }] },
    { exchange: EXCHANGE.IDENTITY_PROTECTION, payloads: [{ kind: 'ke', data: new Uint8Array(96).fill(7) }, { kind: 'nonce', data: new Uint8Array(32).fill(9) }, { kind: 'nat-d', draft: false, hash: new Uint8Array(20).fill(1) }, { kind: 'nat-d', draft: false, hash: new Uint8Array(20).fill(2) }] },
    { exchange: EXCHANGE.IDENTITY_PROTECTION, payloads: [{ kind: 'ke', data: new Uint8Array(96).fill(7) }, { kind: 'nonce', data: new Uint8Array(32).fill(9) }, { kind: 'nat-d', draft: true, hash: new Uint8Array(20).fill(3) }, { kind: 'nat-d', draft: true, hash: new Uint8Array(20).fill(4) }] },
    { exchange: EXCHANGE.IDENTITY_PROTECTION, payloads: [{ kind: 'id', id: { idType: ID_TYPE.IPV4_ADDR, protocolId: 17, port: 500, data: fromHex('0a000002') } }, { kind: 'hash', data: new Uint8Array(20).fill(5) }] },
    { exchange: EXCHANGE.IDENTITY_PROTECTION, payloads: [{ kind: 'id', id: { idType: ID_TYPE.FQDN, protocolId: 0, port: 0, data: new TextEncoder().encode('vpn.example.net') } }, { kind: 'hash', data: new Uint8Array(20).fill(5) }] },
    { exchange: EXCHANGE.QUICK_MODE, messageId: 0x01020304, payloads: [
      { kind: 'hash', data: new Uint8Array(20).fill(6) }, p2, { kind: 'nonce', data: new Uint8Array(16).fill(8) },
      { kind: 'id', id: { idType: ID_TYPE.IPV4_ADDR, protocolId: 17, port: 1701, data: fromHex('0a000002') } },
      { kind: 'id', id: { idType: ID_TYPE.IPV4_ADDR, protocolId: 17, port: 1701, data: fromHex('0a000001') } },
      { kind: 'nat-oa', draft: false, idType: ID_TYPE.IPV4_ADDR, address: fromHex('c0a80102') },
      { kind: 'nat-oa', draft: true, idType: ID_TYPE.IPV4_ADDR, address: fromHex('c0a80103') },
    ] },
    { exchange: EXCHANGE.INFORMATIONAL, messageId: 7, payloads: [{ kind: 'hash', data: new Uint8Array(20).fill(6) }, { kind: 'notify', notify: { doi: 1, protocolId: PROTO.ISAKMP, spi: fromHex('01020304050607081112131415161718'), notifyType: NOTIFY.R_U_THERE, data: fromHex('0000002a') } }] },
    { exchange: EXCHANGE.INFORMATIONAL, messageId: 8, payloads: [{ kind: 'hash', data: new Uint8Array(20).fill(6) }, { kind: 'delete', delete: { doi: 1, protocolId: PROTO.IPSEC_ESP, spiSize: 4, spis: [fromHex('c0ffee01')] } }] },
  ];
  const records = messages.map((m, i) => ({ timeMs: i, bytes: udpIpv4Packet('10.0.0.2', '10.0.0.1', 500, 500, encodeIsakmpMessage({ header: header(m.exchange, m.messageId), payloads: m.payloads })) }));
  // Duplicate keys (several attributes in one transform) become arrays instead of overwriting each other.
  const { frames, problems } = dissect(LINKTYPE.RAW, records, ['--no-duplicate-keys']);
  assert.deepEqual(problems, []);
  assert.equal(frames.length, messages.length);
  assert.deepEqual(all(frames[0]!, 'isakmp.ike.attr.encryption_algorithm').map(Number), [7, 5]);
  assert.deepEqual(all(frames[0]!, 'isakmp.ike.attr.life_duration').map(Number), [28800, 86400 * 30]);
  assert.deepEqual(all(frames[0]!, 'isakmp.vid_string'), ['RFC 3947 Negotiation of NAT-Traversal in the IKE', 'RFC 3706 DPD (Dead Peer Detection)']);
  assert.equal(all(frames[1]!, 'isakmp.ike.nat_hash').length, 2);
  assert.equal(all(frames[2]!, 'isakmp.ike.nat_hash').length, 2);
  assert.deepEqual(all(frames[3]!, 'isakmp.id.type').map(Number), [ID_TYPE.IPV4_ADDR]);
  assert.deepEqual(all(frames[4]!, 'isakmp.id.data.fqdn'), ['vpn.example.net']);
  assert.deepEqual(all(frames[5]!, 'isakmp.id.port').map(Number), [1701, 1701]);
  assert.deepEqual(all(frames[5]!, 'isakmp.ipsec.attr.encap_mode').map(Number), [ENCAPSULATION.UDP_TRANSPORT, ENCAPSULATION.UDP_TRANSPORT_DRAFT]);
  assert.deepEqual(all(frames[6]!, 'isakmp.notify.msgtype').map(Number), [NOTIFY.R_U_THERE]);
  assert.deepEqual(all(frames[6]!, 'isakmp.notify.data.dpd.are_you_there').map(Number), [42]);
  assert.deepEqual(all(frames[7]!, 'isakmp.delete.spi'), ['c0:ff:ee:01']);
  assert.deepEqual(all(frames[5]!, 'isakmp.ike.nat_original_address_ipv4'), ['192.168.1.2', '192.168.1.3']);
});
