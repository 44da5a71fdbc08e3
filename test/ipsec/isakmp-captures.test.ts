/**
 * Real IKEv1 captures through the ISAKMP codec: every datagram parses,
 * cleartext ones encode back to the same bytes, and the fields match what
 * tshark shows for them (test/fixtures/pcaps, sources in SOURCES-ipsec.md).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex } from '../../src/wire/hex.js';
import { EXCHANGE, P1_ATTR, PAYLOAD } from '../../src/ipsec/constants.js';
import { encodeIsakmpMessage, findPayload, findPayloads, parseIsakmpMessage } from '../../src/ipsec/isakmp.js';
import { findAttribute } from '../../src/ipsec/sa-payload.js';
import { captureUdp } from './capture-udp.js';


/** The ISAKMP datagrams of a capture: port 500 as is, port 4500 after the non-ESP marker. */
function isakmpDatagrams(file: string): { frame: number; bytes: Uint8Array }[] {
  const out: { frame: number; bytes: Uint8Array }[] = [];
  for (const d of captureUdp(file)) {
    if (d.srcPort === 500 || d.dstPort === 500) out.push({ frame: d.frame, bytes: d.payload });
    else if ((d.srcPort === 4500 || d.dstPort === 4500) && d.payload.length > 4 && d.payload.subarray(0, 4).every((b) => b === 0)) {
      out.push({ frame: d.frame, bytes: d.payload.subarray(4) });
    }
  }
  return out;
}

for (const file of ['tcpdump-ISAKMP_sa_setup.pcap', 'tcpdump-isakmp4500.pcap', 'flowcontainer-l2tp-ipsec-natt-first600.pcap']) {
  test(`${file}: every ISAKMP datagram parses; cleartext ones encode back byte for byte`, () => {
    const grams = isakmpDatagrams(file);
    assert.ok(grams.length >= 2);
    for (const g of grams) {
      const m = parseIsakmpMessage(g.bytes);
      assert.ok(m.ok, `frame ${g.frame}: ${JSON.stringify(m)}`);
      assert.equal(m.bytesRead, g.bytes.length, `frame ${g.frame}`);
      if (!m.value.encrypted) assert.equal(toHex(encodeIsakmpMessage(m.value)), toHex(g.bytes), `frame ${g.frame}`);
    }
  });
}

test('tcpdump-ISAKMP_sa_setup.pcap: Main Mode 1 offers what tshark shows; the pre-draft NAT-D (15) stays raw', () => {
  const grams = isakmpDatagrams('tcpdump-ISAKMP_sa_setup.pcap');
  const m1 = parseIsakmpMessage(grams[0]!.bytes);
  assert.ok(m1.ok);
  assert.equal(m1.value.header.exchangeType, EXCHANGE.IDENTITY_PROTECTION);
  assert.equal(toHex(m1.value.header.initiatorCookie), 'cf02326f14a95b93');
  const sa = findPayload(m1.value.payloads, 'sa');
  assert.ok(sa);
  assert.ok(sa.sa.proposals[0]!.transforms.length >= 1);
  for (const t of sa.sa.proposals[0]!.transforms) assert.ok(findAttribute(t.attributes, P1_ATTR.ENCRYPTION_ALGORITHM) !== undefined);
  const m3 = parseIsakmpMessage(grams[2]!.bytes);
  assert.ok(m3.ok);
  assert.equal(findPayload(m3.value.payloads, 'ke')!.data.length, 96);
  assert.equal(toHex(findPayload(m3.value.payloads, 'nonce')!.data), '6ea7c7ed3ca3383538801b4b32a5aba161807765');
  assert.deepEqual(findPayloads(m3.value.payloads, 'raw').map((p) => p.type), [15, 15]);
  assert.ok(findPayloads(m3.value.payloads, 'vendor-id').some((v) => toHex(v.data) === 'afcad71368a1f1c96b8696fc77570100'));
});

test('tcpdump-isakmp4500.pcap: RFC 3947 NAT-D pair in Main Mode 3/4, then Quick Mode and Informational on 4500', () => {
  const grams = isakmpDatagrams('tcpdump-isakmp4500.pcap');
  const m3 = parseIsakmpMessage(grams[2]!.bytes);
  assert.ok(m3.ok);
  const natd = findPayloads(m3.value.payloads, 'nat-d');
  assert.equal(natd.length, 2);
  // MD5 was negotiated (tshark: Hash-Algorithm MD5 chosen), so each NAT-D hash is 16 bytes.
  assert.ok(natd.every((n) => !n.draft && n.hash.length === 16));
  assert.equal(toHex(natd[0]!.hash), '6efe12f04af90dfbcfb15d71b841bb9e');
  assert.equal(m3.value.header.nextPayload, PAYLOAD.KE);
  const exchanges = grams.map((g) => {
    const m = parseIsakmpMessage(g.bytes);
    return m.ok ? m.value.header.exchangeType : -1;
  });
  assert.ok(exchanges.includes(EXCHANGE.QUICK_MODE));
  assert.ok(exchanges.includes(EXCHANGE.INFORMATIONAL));
});
