import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { internetChecksum, onesSum } from './checksum.js';
import { clampTcpMss, fragmentIpv4, icmpFragNeeded, icmpv6PacketTooBig, ipv4Dst, ipVersion } from './ip.js';
import { formatIpv4 as ipv4ToString, parseIpv4 } from '../config/ipv4.js';
import { ipv4Packet } from './pcap.js';

/** A TCP segment with the given flags and options, checksummed for IPv4 src/dst. */
function tcp(flags: number, options: number[], payload = new Uint8Array()): Uint8Array {
  const hdr = 20 + options.length;
  const t = new Uint8Array(hdr + payload.length);
  t[0] = 0x30; t[1] = 0x39; // sport 12345
  t[2] = 0x00; t[3] = 0x50; // dport 80
  t[7] = 1; // seq 1
  t[12] = (hdr / 4) << 4;
  t[13] = flags;
  t[14] = 0xff; t[15] = 0xff; // window
  t.set(options, 20);
  t.set(payload, hdr);
  return t;
}
function ipv4Tcp(seg: Uint8Array, df = true): Uint8Array {
  const p = ipv4Packet('10.1.0.2', '10.2.0.9', 6, seg, 7);
  if (!df) {
    p[6] = 0;
    p[10] = 0; p[11] = 0;
    const c = internetChecksum(p, 0, 20);
    p[10] = c >>> 8; p[11] = c & 0xff;
  }
  fixTcpChecksum4(p);
  return p;
}
function fixTcpChecksum4(p: Uint8Array): void {
  const t = 20;
  p[t + 16] = 0; p[t + 17] = 0;
  const len = p.length - t;
  let s = onesSum(p, 12, 20);
  s += 6 + len;
  const c = internetChecksum(p, t, p.length, s);
  p[t + 16] = c >>> 8; p[t + 17] = c & 0xff;
}
function tcpChecksumOk4(p: Uint8Array): boolean {
  let s = onesSum(p, 12, 20);
  s += 6 + (p.length - 20);
  return internetChecksum(p, 20, p.length, s) === 0;
}
function ipv6Tcp(seg: Uint8Array): Uint8Array {
  const p = new Uint8Array(40 + seg.length);
  p[0] = 0x60;
  p[4] = seg.length >>> 8; p[5] = seg.length & 0xff;
  p[6] = 6; p[7] = 64;
  p[8] = 0xfd; p[23] = 1; p[24] = 0xfd; p[39] = 2;
  p.set(seg, 40);
  let s = onesSum(p, 8, 40);
  s += seg.length + 6;
  const c = internetChecksum(p, 40, p.length, s);
  p[56] = c >>> 8; p[57] = c & 0xff;
  return p;
}
function tcpChecksumOk6(p: Uint8Array): boolean {
  let s = onesSum(p, 8, 40);
  s += p.length - 40 + 6;
  return internetChecksum(p, 40, p.length, s) === 0;
}
const MSS1460 = [2, 4, 0x05, 0xb4];

test('addresses: version, destination, dotted quads', () => {
  const p = ipv4Tcp(tcp(0x02, MSS1460));
  assert.equal(ipVersion(p), 4);
  assert.equal(ipv4ToString(ipv4Dst(p)), '10.2.0.9');
  assert.equal(parseIpv4('10.2.0.9'), ipv4Dst(p));
  assert.equal(parseIpv4('10.2.0.256'), undefined);
  assert.equal(ipVersion(Uint8Array.of(0x45)), 0);
});

test('MSS clamp: an IPv4 SYN with MSS 1460 is lowered to 1360 and its checksum stays valid', () => {
  const p = ipv4Tcp(tcp(0x02, [1, 1, ...MSS1460, 4, 2, 1, 1]));
  assert.ok(tcpChecksumOk4(p));
  assert.equal(clampTcpMss(p, 1360), true);
  const mssAt = 20 + 20 + 2;
  assert.equal((p[mssAt + 2]! << 8) | p[mssAt + 3]!, 1360);
  assert.ok(tcpChecksumOk4(p), 'incremental checksum update is right');
});

test('MSS clamp: SYN-ACK is clamped too; a smaller MSS, a non-SYN, a SYN without MSS are left alone', () => {
  const synAck = ipv4Tcp(tcp(0x12, MSS1460));
  assert.equal(clampTcpMss(synAck, 1400), true);
  assert.ok(tcpChecksumOk4(synAck));
  const small = ipv4Tcp(tcp(0x02, [2, 4, 0x04, 0x00]));
  assert.equal(clampTcpMss(small, 1400), false);
  const ack = ipv4Tcp(tcp(0x10, MSS1460));
  assert.equal(clampTcpMss(ack, 1000), false);
  const none = ipv4Tcp(tcp(0x02, []));
  assert.equal(clampTcpMss(none, 1000), false);
});

test('MSS clamp: IPv6 SYN', () => {
  const p = ipv6Tcp(tcp(0x02, MSS1460));
  assert.ok(tcpChecksumOk6(p));
  assert.equal(clampTcpMss(p, 1220), true);
  assert.equal((p[62]! << 8) | p[63]!, 1220);
  assert.ok(tcpChecksumOk6(p));
});

test('MSS clamp: any MSS value and clamp target keep the checksum valid (property)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 500, max: 1460 }), fc.uint8Array({ maxLength: 30 }), (mss, target, payload) => {
      const p = ipv4Tcp(tcp(0x02, [2, 4, mss >>> 8, mss & 0xff], payload));
      const changed = clampTcpMss(p, target);
      assert.equal(changed, mss > target);
      assert.ok(tcpChecksumOk4(p));
    }),
  );
});

test('MSS clamp: truncated and garbage packets never throw and are not changed', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
      const copy = bytes.slice();
      clampTcpMss(copy, 1000);
      fragmentIpv4(copy, 576);
      icmpFragNeeded(copy, 1400, 0x0a000001);
    }),
  );
  const p = ipv4Tcp(tcp(0x02, MSS1460));
  assert.equal(clampTcpMss(p.subarray(0, 30), 1000), false);
});

test('ICMP frag-needed: type 3 code 4 with the MTU, quoting the IP header + 8 bytes, valid checksums', () => {
  const orig = ipv4Tcp(tcp(0x10, [], new Uint8Array(1400)));
  const icmp = icmpFragNeeded(orig, 1400, parseIpv4('192.168.99.1')!);
  assert.ok(icmp);
  assert.equal(internetChecksum(icmp, 0, 20), 0);
  assert.equal(internetChecksum(icmp, 20, icmp.length), 0);
  assert.deepEqual([icmp[20], icmp[21], (icmp[26]! << 8) | icmp[27]!], [3, 4, 1400]);
  assert.equal(ipv4ToString(ipv4Dst(icmp)), '10.1.0.2', 'goes back to the sender');
  assert.deepEqual([...icmp.subarray(28)], [...orig.subarray(0, 28)]);
  const again = icmpFragNeeded(icmp, 1300, 1);
  assert.equal(again, undefined, 'never an ICMP error about an ICMP error');
});

test('ICMPv6 packet too big: type 2 with the MTU and a valid checksum', () => {
  const orig = ipv6Tcp(tcp(0x10, [], new Uint8Array(1300)));
  const from = new Uint8Array(16);
  from[0] = 0xfd; from[15] = 9;
  const pkt = icmpv6PacketTooBig(orig, 1280, from);
  assert.ok(pkt);
  assert.ok(pkt.length <= 1280);
  assert.equal(pkt[40], 2);
  assert.equal((pkt[46]! << 8) | pkt[47]!, 1280);
  let s = onesSum(pkt, 8, 40);
  s += pkt.length - 40 + 58;
  assert.equal(internetChecksum(pkt, 40, pkt.length, s), 0);
});

test('fragmentIpv4: a 3000-byte packet without DF becomes fragments ≤ MTU that reassemble to the original', () => {
  const payload = Uint8Array.from({ length: 2960 }, (_, i) => i & 0xff);
  const orig = ipv4Tcp(tcp(0x10, [], payload), false);
  const frags = fragmentIpv4(orig, 1400);
  assert.ok(frags);
  assert.equal(frags.length, 3);
  const data = new Uint8Array(orig.length - 20);
  for (const [i, f] of frags.entries()) {
    assert.ok(f.length <= 1400);
    assert.equal(internetChecksum(f, 0, 20), 0);
    const off = (((f[6]! & 0x1f) << 8) | f[7]!) * 8;
    assert.equal((f[6]! & 0x20) !== 0, i < frags.length - 1, 'MF on all but the last');
    data.set(f.subarray(20), off);
  }
  assert.deepEqual(data, orig.subarray(20));
  assert.equal(fragmentIpv4(ipv4Tcp(tcp(0x10, [], payload)), 1400), undefined, 'DF set: not fragmented');
  assert.equal(fragmentIpv4(orig, 4000)?.length, 1);
});
