import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { onesSum } from './checksum.js';
import { patternBytes, tcpSegment } from '../../test/helpers/tcp-segment.js';
import {
  Coalescer,
  GSO_TCPV4,
  VNET_HDR_LEN,
  VNET_NEEDS_CSUM,
  forEachSegment,
  onesSum32,
  tcpV4ChecksumOk,
  type CoalesceArena,
} from './tcp-offload.js';

const segment = tcpSegment;
const bytes = patternBytes;

/** A TUN read: virtio header (GSO TCPv4, gso_size) + one super-segment of `payload`. */
function superPacket(payload: Uint8Array, gsoSize: number, flags = 0x18): Uint8Array {
  const s = segment({ seq: 0xfffff000, payload, flags, id: 0xfffe });
  // gso packets from Linux carry the pseudo-header sum, not a full checksum; forEachSegment recomputes anyway.
  s[36] = 0x12;
  s[37] = 0x34;
  const b = new Uint8Array(VNET_HDR_LEN + s.length + 3);
  b[0] = VNET_NEEDS_CSUM;
  b[1] = GSO_TCPV4;
  b[2] = 52;
  b[4] = gsoSize & 0xff;
  b[5] = gsoSize >> 8;
  b[6] = 20;
  b[8] = 16;
  b.set(s, VNET_HDR_LEN);
  return b.subarray(0, VNET_HDR_LEN + s.length);
}

function ipOk(p: Uint8Array): boolean {
  return onesSum(p, 0, 20) === 0xffff;
}

test('onesSum32: any bytes, offsets and initial value → the same sum as the 16-bit reference', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 3000 }), fc.nat(3000), fc.nat(3000), fc.nat(0x1ffff), (b, x, y, init) => {
      const s = Math.min(x, y, b.length);
      const e = Math.min(Math.max(x, y), b.length);
      assert.equal(onesSum32(b, s, e, init), onesSum(b, s, e, init));
    }),
    { numRuns: 500 },
  );
  // Views at every byte offset of a larger buffer (the word reads go through the whole ArrayBuffer).
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 8, maxLength: 600 }), fc.nat(7), fc.nat(600), fc.nat(600), (raw, shift, x, y) => {
      const v = raw.subarray(Math.min(shift, raw.length));
      const s = Math.min(x, y, v.length);
      const e = Math.min(Math.max(x, y), v.length);
      assert.equal(onesSum32(v, s, e), onesSum(v, s, e));
    }),
    { numRuns: 1000 },
  );
});

test('forEachSegment: 10,000-octet GSO TCPv4 read, gso_size 1400 → 8 valid segments, seq/ID/flags/lengths right, payload intact', () => {
  const payload = bytes(10000, 1);
  const read = superPacket(payload, 1400, 0x19); // ACK|PSH|FIN on the super-packet
  const got: Uint8Array[] = [];
  const r = forEachSegment(read, 0, read.length, 65535, (p) => got.push(p.slice()));
  assert.equal(r, 'segmented');
  assert.equal(got.length, 8);
  let off = 0;
  got.forEach((p, k) => {
    const dv = new DataView(p.buffer);
    const pl = p.length - 52;
    assert.equal(pl, k < 7 ? 1400 : 10000 - 7 * 1400);
    assert.equal(dv.getUint16(2), p.length);
    assert.equal(dv.getUint16(4), (0xfffe + k) & 0xffff, 'IP ID increments (wrapping)');
    assert.equal(dv.getUint32(24), (0xfffff000 + off) >>> 0, 'sequence number (wrapping)');
    assert.equal(p[33], k < 7 ? 0x10 : 0x19, 'FIN/PSH on the last segment only');
    assert.ok(ipOk(p), `IP checksum of ${k}`);
    assert.ok(tcpV4ChecksumOk(p, 0, p.length), `TCP checksum of ${k}`);
    assert.deepEqual(p.subarray(52), payload.subarray(off, off + pl));
    off += pl;
  });
});

test('forEachSegment: a link MTU below the segment size → segments cut to fit the MTU', () => {
  const payload = bytes(4000, 2);
  const read = superPacket(payload, 1448);
  const sizes: number[] = [];
  forEachSegment(read, 0, read.length, 1052, (p) => {
    assert.ok(tcpV4ChecksumOk(p, 0, p.length));
    sizes.push(p.length - 52);
  });
  assert.deepEqual(sizes, [1000, 1000, 1000, 1000]);
});

test('forEachSegment: single packet with NEEDS_CSUM → checksum completed (TCP and UDP), packet emitted once', () => {
  const s = segment({ seq: 5, payload: bytes(333, 3) });
  const want = s.slice();
  // As the kernel hands it over: the TCP field holds the folded pseudo-header sum.
  const pseudo = onesSum(s, 12, 20, 6 + s.length - 20);
  s[36] = pseudo >> 8;
  s[37] = pseudo & 0xff;
  const read = new Uint8Array(VNET_HDR_LEN + s.length);
  read.set([VNET_NEEDS_CSUM, 0, 0, 0, 0, 0, 20, 0, 16, 0]);
  read.set(s, VNET_HDR_LEN);
  const out: Uint8Array[] = [];
  assert.equal(forEachSegment(read, 0, read.length, 1500, (p) => out.push(p.slice())), 'single');
  assert.deepEqual(out, [want]);
  // UDP whose checksum comes out 0 is sent as 0xFFFF.
  const u = new Uint8Array(VNET_HDR_LEN + 28);
  u.set([VNET_NEEDS_CSUM, 0, 0, 0, 0, 0, 20, 0, 6, 0]);
  u.set([0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17], VNET_HDR_LEN);
  u.set([0xff, 0xf7, 0, 0, 0, 8, 0, 0], VNET_HDR_LEN + 20); // 0xFFF7 + 8 = 0xFFFF → complement 0
  forEachSegment(u, 0, u.length, 1500, () => {});
  assert.deepEqual([...u.subarray(VNET_HDR_LEN + 26, VNET_HDR_LEN + 28)], [0xff, 0xff]);
});

test('forEachSegment: GSO UDP, short or inconsistent headers, random bytes → "malformed" or delivered, never a throw', () => {
  const read = superPacket(bytes(3000, 4), 1400);
  read[1] = 3; // GSO UDP: never asked for
  assert.equal(forEachSegment(read, 0, read.length, 1500, () => assert.fail('emitted')), 'malformed');
  assert.equal(forEachSegment(read, 0, 15, 1500, () => assert.fail('emitted')), 'malformed');
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 200 }), fc.constantFrom(0, 1, 0x81), fc.nat(1500), (b, gso, max) => {
      if (b.length > 1) b[1] = gso;
      forEachSegment(b, 0, b.length, max, () => {});
    }),
    { numRuns: 2000 },
  );
});

/** A CoalesceArena like the TUN side's TxBatch: packets one after the other. */
class Arena implements CoalesceArena {
  readonly data = new Uint8Array(200_000);
  count = 0;
  used = 0;
  lastStart = 0;
  lastLen = 0;
  readonly packets: { at: number; len: number }[] = [];
  add(p: Uint8Array, c: Coalescer): void {
    if (c.append(this, p)) return;
    const at = this.used;
    this.data.fill(0, at, at + VNET_HDR_LEN);
    this.data.set(p, at + VNET_HDR_LEN);
    this.packets.push({ at, len: p.length + VNET_HDR_LEN });
    this.count++;
    this.used += p.length + VNET_HDR_LEN;
    c.started(this, at, p.length);
  }
  extendLast(extra: number): boolean {
    const last = this.packets[this.packets.length - 1]!;
    if (this.used + extra > this.data.length) return false;
    last.len += extra;
    this.used += extra;
    return true;
  }
  packet(i: number): Uint8Array {
    const p = this.packets[i]!;
    return this.data.subarray(p.at, p.at + p.len);
  }
}

function flow(n: number, mss: number, last = mss, firstSeq = 1000, firstId = 7): Uint8Array[] {
  const out: Uint8Array[] = [];
  let seq = firstSeq;
  for (let k = 0; k < n; k++) {
    const len = k === n - 1 ? last : mss;
    out.push(segment({ seq, payload: bytes(len, k), id: firstId + k, flags: k === n - 1 ? 0x18 : 0x10 }));
    seq += len;
  }
  return out;
}

test('Coalescer: 30 in-order segments (last short, PSH) → one GSO TCPv4 packet; cut again → the same 30 segments', () => {
  const segs = flow(30, 1388, 500);
  const arena = new Arena();
  const c = new Coalescer();
  for (const s of segs) arena.add(s, c);
  assert.equal(arena.count, 1);
  assert.equal(c.merged, 29);
  const p = arena.packet(0);
  assert.equal(p[0], VNET_NEEDS_CSUM);
  assert.equal(p[1], GSO_TCPV4);
  assert.equal(p[4]! | (p[5]! << 8), 1388);
  assert.equal(p[6], 20);
  assert.equal(p[8], 16);
  const again: Uint8Array[] = [];
  forEachSegment(p.slice(), 0, p.length, 65535, (s) => again.push(s.slice()));
  assert.deepEqual(again, segs);
});

test('Coalescer: what Linux GRO would not merge stays separate', () => {
  const cases: [string, (base: Uint8Array[]) => Uint8Array[]][] = [
    ['a sequence gap', (b) => [b[0]!, segment({ seq: 1000 + 1388 + 1, payload: bytes(1388, 1) })]],
    ['another ACK', (b) => [b[0]!, segment({ seq: 1000 + 1388, payload: bytes(1388, 1), ack: 5 })]],
    ['other options', (b) => [b[0]!, segment({ seq: 1000 + 1388, payload: bytes(1388, 1), opts: [1, 1, 8, 10, 0, 0, 0, 8, 0, 0, 0, 9] })]],
    ['a bigger segment', (b) => [b[0]!, segment({ seq: 1000 + 1388, payload: bytes(1389, 1) })]],
    ['another flow', (b) => [b[0]!, segment({ seq: 1000 + 1388, payload: bytes(1388, 1), sport: 40001 })]],
    ['no DF', () => flow(2, 1388).map((s, k) => segment({ seq: 1000 + k * 1388, payload: s.subarray(52), df: false }))],
    ['FIN', (b) => [b[0]!, segment({ seq: 1000 + 1388, payload: bytes(1388, 1), flags: 0x11 })]],
    ['a bad TCP checksum', (b) => [b[0]!, ((s) => ((s[60] = s[60]! ^ 1), s))(b[1]!.slice())]],
    ['a bad checksum on the head', (b) => [((s) => ((s[60] = s[60]! ^ 1), s))(b[0]!.slice()), b[1]!]],
    ['after a short segment', () => [...flow(2, 1388, 700), segment({ seq: 1000 + 1388 + 700, payload: bytes(1388, 2) })]],
    ['after PSH', () => [...flow(2, 1388, 1388), segment({ seq: 1000 + 2 * 1388, payload: bytes(1388, 2) })]],
  ];
  for (const [name, make] of cases) {
    const segs = make(flow(2, 1388));
    const arena = new Arena();
    const c = new Coalescer();
    for (const s of segs) arena.add(s, c);
    const expectMerged = name === 'after a short segment' || name === 'after PSH' ? 1 : 0;
    assert.equal(c.merged, expectMerged, name);
    assert.equal(arena.count, segs.length - expectMerged, name);
    // Whatever was not merged is byte for byte what came in, with an all-zero virtio header.
    const last = arena.packet(arena.count - 1);
    assert.deepEqual([...last.subarray(0, VNET_HDR_LEN)], new Array(VNET_HDR_LEN).fill(0), name);
    assert.deepEqual(last.subarray(VNET_HDR_LEN), segs[segs.length - 1], name);
  }
});

test('Coalescer: a packet between two segments (head no longer last) → no merge; reset() forgets the head', () => {
  const segs = flow(3, 1388);
  const arena = new Arena();
  const c = new Coalescer();
  arena.add(segs[0]!, c);
  arena.add(segment({ seq: 1, payload: bytes(10, 9), sport: 1 }), c);
  assert.equal(c.append(arena, segs[1]!), false);
  const a2 = new Arena();
  const c2 = new Coalescer();
  a2.add(segs[0]!, c2);
  c2.reset();
  assert.equal(c2.append(a2, segs[1]!), false);
});

test('Coalescer: merging stops below 64 KiB of IP packet', () => {
  const segs = flow(60, 1388);
  const arena = new Arena();
  const c = new Coalescer();
  for (const s of segs) arena.add(s, c);
  for (let i = 0; i < arena.count; i++) {
    const p = arena.packet(i);
    assert.ok(p.length - VNET_HDR_LEN <= 65535);
  }
  assert.equal(arena.count, 2);
});

test('forEachSegment: IPv6 TCP with NEEDS_CSUM (csum_start 40) → checksum completed over the IPv6 pseudo-header sum', () => {
  const payload = bytes(200, 5);
  const tcpLen = 20 + payload.length;
  const p = new Uint8Array(40 + tcpLen);
  const d = new DataView(p.buffer);
  p[0] = 0x60;
  d.setUint16(4, tcpLen);
  p[6] = 6;
  p[7] = 64;
  p.set([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8], 8);
  p.set([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1], 24);
  d.setUint16(40, 40000);
  d.setUint16(42, 22);
  d.setUint32(44, 1);
  p[52] = 5 << 4;
  p[53] = 0x18;
  d.setUint16(54, 100);
  p.set(payload, 60);
  // RFC 8200 §8.1 pseudo-header: addresses, upper-layer length, next header.
  const pseudo = onesSum(p, 8, 40, tcpLen + 6);
  d.setUint16(56, pseudo); // partial, as the kernel leaves it
  const read = new Uint8Array(VNET_HDR_LEN + p.length);
  read.set([VNET_NEEDS_CSUM, 0, 0, 0, 0, 0, 40, 0, 16, 0]);
  read.set(p, VNET_HDR_LEN);
  const out: Uint8Array[] = [];
  assert.equal(forEachSegment(read, 0, read.length, 1500, (x) => out.push(x.slice())), 'single');
  assert.equal(out.length, 1);
  assert.equal(onesSum(out[0]!, 40, out[0]!.length, onesSum(out[0]!, 8, 40, tcpLen + 6)), 0xffff, 'TCP checksum over the IPv6 pseudo-header');
});
