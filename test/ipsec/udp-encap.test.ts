/**
 * RFC 3948 classification of UDP 4500 datagrams against real captures (the
 * counts are what tshark reports for the same files) and hostile input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { espSpi } from '../../src/ipsec/esp.js';
import { parseIsakmpMessage } from '../../src/ipsec/isakmp.js';
import { classifyUdp4500, encodeIkeOverUdp4500 } from '../../src/ipsec/udp-encap.js';
import { captureUdp } from './capture-udp.js';


function census(file: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const d of captureUdp(file)) {
    if (d.srcPort !== 4500 && d.dstPort !== 4500) continue;
    const c = classifyUdp4500(d.payload);
    counts[c.kind] = (counts[c.kind] ?? 0) + 1;
    if (c.kind === 'ike') assert.ok(parseIsakmpMessage(c.ike).ok, `frame ${d.frame}`);
    if (c.kind === 'esp') assert.ok(espSpi(c.esp)! > 0);
  }
  return counts;
}

test('flowcontainer L2TP/IPsec NAT-T capture: 596 ESP, 2 IKE (Informational), 2 keepalives — as tshark counts them', () => {
  assert.deepEqual(census('flowcontainer-l2tp-ipsec-natt-first600.pcap'), { esp: 596, ike: 2, keepalive: 2 });
});

test('tcpdump isakmp4500 capture: IKE behind the marker, ESP and keepalives told apart', () => {
  const c = census('tcpdump-isakmp4500.pcap');
  assert.ok(c.ike! >= 5 && c.esp! >= 5 && c.keepalive! >= 3, JSON.stringify(c));
  assert.equal(c.invalid, undefined);
});

test('edge cases: empty, lone marker, short ESP, 0xFF with more bytes is ESP-shaped', () => {
  assert.deepEqual(classifyUdp4500(new Uint8Array(0)), { kind: 'invalid', reason: 'udp4500-empty' });
  assert.deepEqual(classifyUdp4500(new Uint8Array(4)), { kind: 'invalid', reason: 'udp4500-short-ike' });
  assert.deepEqual(classifyUdp4500(Uint8Array.of(1, 2, 3)), { kind: 'invalid', reason: 'udp4500-short-esp' });
  assert.equal(classifyUdp4500(Uint8Array.of(0xff, 0, 0, 1, 0, 0, 0, 1)).kind, 'esp');
  const ike = Uint8Array.of(9, 9, 9, 9, 9);
  const c = classifyUdp4500(encodeIkeOverUdp4500(ike));
  assert.ok(c.kind === 'ike' && c.ike.length === 5);
});

test('property: any datagram classifies without throwing', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
    const c = classifyUdp4500(b);
    assert.ok(['keepalive', 'ike', 'esp', 'invalid'].includes(c.kind));
  }), { numRuns: 1000 });
});
