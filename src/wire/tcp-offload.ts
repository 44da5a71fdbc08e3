/**
 * TCP segmentation and coalescing for a TUN device opened with IFF_VNET_HDR
 * and TUNSETOFFLOAD (TUN_F_CSUM | TUN_F_TSO4), as userspace WireGuard does.
 *
 * Reading: the kernel may hand over one TCP "super-packet" of up to 64 KiB
 * (virtio-net header gso_type TCPV4) where it would have sent ~45 full-size
 * segments, and packets whose checksum it left partial (NEEDS_CSUM).
 * `forEachSegment` cuts a super-packet into ordinary IPv4/TCP segments of at
 * most `gso_size` (or a smaller limit: the link's MTU) payload octets, with
 * their own IP length, ID, checksum, TCP sequence number, flags (FIN/PSH on
 * the last only, CWR on the first only) and a full TCP checksum, and completes
 * partial checksums of single packets. It rewrites the headers in place in
 * front of each payload chunk (overwriting the tail of the chunk before, which
 * the caller has consumed by then), so no payload is copied.
 *
 * Writing: `Coalescer` merges consecutive in-order segments of one TCP flow
 * (each with a verified checksum, the same ACK, options and IP header
 * fields, all but the last exactly one MSS long; the newest window wins) into one super-packet with a
 * gso_type TCPV4 header and a partial checksum: one write(2) and one trip
 * through the receiving kernel's stack instead of dozens, as GRO does for a
 * NIC. It never merges what Linux's GRO would not (tcp_gro_receive).
 *
 * Layouts (linux/virtio_net.h): struct virtio_net_hdr { u8 flags; u8
 * gso_type; le16 hdr_len; le16 gso_size; le16 csum_start; le16 csum_offset; }.
 * RFC 791 (IPv4), RFC 9293 (TCP), RFC 1071 (checksum).
 */

/** Octets of struct virtio_net_hdr in front of each packet. */
export const VNET_HDR_LEN = 10;
/** virtio_net_hdr.flags: the checksum at csum_start + csum_offset is partial. */
export const VNET_NEEDS_CSUM = 1;
/** virtio_net_hdr.gso_type values used here (ECN bit 0x80 aside). */
export const GSO_NONE = 0;
export const GSO_TCPV4 = 1;
const GSO_ECN = 0x80;

const TCP_FIN = 0x01;
const TCP_SYN = 0x02;
const TCP_RST = 0x04;
const TCP_PSH = 0x08;
const TCP_ACK = 0x10;
const TCP_URG = 0x20;
const TCP_ECE = 0x40;
const TCP_CWR = 0x80;

/** Largest IPv4 packet (total length is 16 bits). */
const IP_MAX = 65535;

let viewBuf: ArrayBufferLike | undefined;
let view: DataView = new DataView(new ArrayBuffer(0));

function dv(b: Uint8Array): DataView {
  if (b.buffer !== viewBuf) {
    viewBuf = b.buffer;
    view = new DataView(b.buffer);
  }
  return view;
}

/** Little-endian host (every platform Node runs on but s390x): aligned Uint32Array reads work for the sum. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

let wordsBuf: ArrayBufferLike | undefined;
let words: Uint32Array = new Uint32Array(0);

function wordsOf(b: Uint8Array): Uint32Array {
  if (b.buffer !== wordsBuf) {
    wordsBuf = b.buffer;
    words = new Uint32Array(b.buffer, 0, b.buffer.byteLength >>> 2);
  }
  return words;
}

/**
 * One's-complement sum (RFC 1071) of `b[start, end)` plus `initial`, folded to
 * 16 bits, not inverted — the data plane's checksum, on every segment it cuts
 * or merges, so it is written for speed.
 *
 * It reads aligned 32-bit words of the underlying ArrayBuffer, in host (little-
 * endian) order: summing bytes paired by absolute address (even address = low
 * octet) and folding gives the one's-complement sum of little-endian words,
 * which is the byte-swap of the big-endian sum when the range starts at an even
 * address and equal to it when it starts at an odd one (RFC 1071 §2(B): the sum
 * is byte-order independent up to a swap). A 32-bit word w = hi·2^16 + lo is
 * congruent to hi + lo modulo 0xFFFF, so words can be summed whole and folded
 * once (the float sum stays exact below 2^53).
 */
export function onesSum32(b: Uint8Array, start: number, end: number, initial = 0): number {
  if (!LITTLE_ENDIAN) return onesSumView(b, start, end, initial);
  const base = b.byteOffset;
  let x = base + start;
  const e = base + end;
  const even = (x & 1) === 0;
  let sum = 0;
  // Head: single octets up to a 4-byte boundary.
  while (x < e && (x & 3) !== 0) {
    const v = b[x - base]!;
    sum += (x & 1) === 0 ? v : v << 8;
    x++;
  }
  const w = wordsOf(b);
  const wEnd = e >>> 2;
  for (let k = x >>> 2; k < wEnd; k++) sum += w[k]!;
  if (x < e) x = Math.max(x, wEnd << 2);
  // Tail: the octets after the last whole word.
  while (x < e) {
    const v = b[x - base]!;
    sum += (x & 1) === 0 ? v : v << 8;
    x++;
  }
  while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  if (even) sum = ((sum & 0xff) << 8) | (sum >>> 8);
  sum += initial;
  while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  return sum;
}

/** The same sum through a DataView (big-endian reads): big-endian hosts. */
function onesSumView(b: Uint8Array, start: number, end: number, initial: number): number {
  const d = dv(b);
  let p = b.byteOffset + start;
  const e = b.byteOffset + end;
  let sum = initial;
  const e4 = p + ((e - p) & ~3);
  while (p < e4) {
    sum += d.getUint32(p);
    p += 4;
  }
  if (e - p >= 2) {
    sum += d.getUint16(p);
    p += 2;
  }
  if (p < e) sum += d.getUint8(p) << 8;
  while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  return sum;
}

/**
 * The sum over packet bodies: `onesSum32`, or a faster one the I/O edge
 * passes in (the addon's C loop, src/io/native-csum.ts) — same contract.
 */
export type OnesSum = (b: Uint8Array, start: number, end: number, initial: number) => number;

/** Folded sum of the TCP/UDP IPv4 pseudo-header for an L4 length `l4Len`. */
function pseudoSumV4(b: Uint8Array, ip: number, proto: number, l4Len: number): number {
  return onesSum32(b, ip + 12, ip + 20, proto + l4Len);
}

function u16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}
function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}
function u32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}
function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

/** Recomputes the IPv4 header checksum of the header at `ip` (`ihl` octets). */
function fixIpChecksum(b: Uint8Array, ip: number, ihl: number): void {
  b[ip + 10] = 0;
  b[ip + 11] = 0;
  put16(b, ip + 10, ~onesSum32(b, ip, ip + ihl) & 0xffff);
}

/** True when the IPv4 TCP segment `b[ip, end)` carries a correct TCP checksum. */
export function tcpV4ChecksumOk(b: Uint8Array, ip: number, end: number, sum: OnesSum = onesSum32): boolean {
  const ihl = (b[ip]! & 0x0f) * 4;
  const l4 = end - ip - ihl;
  return sum(b, ip + ihl, end, pseudoSumV4(b, ip, 6, l4)) === 0xffff;
}

/** Room for the largest IPv4 + TCP header pair (60 + 60 octets), reused by `forEachSegment`. */
const HEADER_SCRATCH = new Uint8Array(120);

/** What `forEachSegment` did with one packet read from the TUN. */
export type SegmentResult =
  /** Delivered as it was (no GSO), its partial checksum completed when flagged. */
  | 'single'
  /** Cut into segments. */
  | 'segmented'
  /** Not deliverable: a GSO type we did not ask for, or headers that do not add up. */
  | 'malformed';

/**
 * Hands the IP packet(s) in the TUN read `b[vh, end)` (virtio header at `vh`)
 * to `emit`, one at a time, as views valid only during the call. A GSO TCPv4
 * super-packet becomes segments of at most its gso_size payload octets and at
 * most `mtu` octets of IP packet (the link's MTU may be below the device's). Headers of segments after the first are rewritten in
 * place over the end of the chunk before them: `emit` must consume each view
 * before it returns.
 */
export function forEachSegment(
  b: Uint8Array,
  vh: number,
  end: number,
  mtu: number,
  emit: (packet: Uint8Array) => void,
  sum: OnesSum = onesSum32,
): SegmentResult {
  const flags = b[vh]!;
  const gso = b[vh + 1]! & ~GSO_ECN;
  const ip = vh + VNET_HDR_LEN;
  if (end - ip < 20) return 'malformed';
  if (gso === GSO_NONE) {
    if ((flags & VNET_NEEDS_CSUM) !== 0) {
      const cs = ip + (b[vh + 6]! | (b[vh + 7]! << 8));
      const co = b[vh + 8]! | (b[vh + 9]! << 8);
      if (cs >= end || cs + co + 2 > end) return 'malformed';
      // The field holds the pseudo-header sum; the rest of the packet completes it.
      let c = ~sum(b, cs, end, 0) & 0xffff;
      if (c === 0 && co === 6) c = 0xffff; // UDP: 0 means "no checksum" (RFC 768)
      put16(b, cs + co, c);
    }
    emit(b.subarray(ip, end));
    return 'single';
  }
  if (gso !== GSO_TCPV4) return 'malformed';
  if (b[ip]! >>> 4 !== 4 || b[ip + 9]! !== 6) return 'malformed';
  const ihl = (b[ip]! & 0x0f) * 4;
  if (ihl < 20 || end - ip < ihl + 20) return 'malformed';
  const tcp = ip + ihl;
  const thl = (b[tcp + 12]! >>> 4) * 4;
  const hl = ihl + thl;
  if (thl < 20 || end - ip < hl) return 'malformed';
  const gsoSize = b[vh + 4]! | (b[vh + 5]! << 8);
  const mss = Math.min(gsoSize, mtu - hl);
  if (mss < 1) return 'malformed';
  const payload = end - ip - hl;
  if (payload <= mss) {
    // Nothing to cut: finish it as one ordinary segment.
    finishSegment(b, ip, ihl, thl, payload, sum);
    emit(b.subarray(ip, end));
    return 'segmented';
  }
  // The original headers, kept aside: each segment's are rebuilt from them (no allocation per read).
  const hdr = HEADER_SCRATCH;
  hdr.set(b.subarray(ip, ip + hl));
  const hdrView = hdr.subarray(0, hl);
  const id0 = u16(hdr, 4);
  const seq0 = u32(hdr, ihl + 4);
  const tflags = hdr[ihl + 13]!;
  const n = Math.ceil(payload / mss);
  for (let k = 0; k < n; k++) {
    const chunk = ip + hl + k * mss;
    const len = Math.min(mss, end - chunk);
    const at = chunk - hl;
    if (k > 0) b.set(hdrView, at);
    put16(b, at + 4, (id0 + k) & 0xffff);
    put32(b, at + ihl + 4, (seq0 + k * mss) >>> 0);
    let f = tflags;
    if (k < n - 1) f &= ~(TCP_FIN | TCP_PSH);
    if (k > 0) f &= ~TCP_CWR;
    b[at + ihl + 13] = f;
    finishSegment(b, at, ihl, thl, len, sum);
    emit(b.subarray(at, at + hl + len));
  }
  return 'segmented';
}

/** Sets total length, IP checksum and a full TCP checksum of the segment at `ip`. */
function finishSegment(b: Uint8Array, ip: number, ihl: number, thl: number, payload: number, sum: OnesSum): void {
  const total = ihl + thl + payload;
  put16(b, ip + 2, total);
  fixIpChecksum(b, ip, ihl);
  const tcp = ip + ihl;
  b[tcp + 16] = 0;
  b[tcp + 17] = 0;
  put16(b, tcp + 16, ~sum(b, tcp, ip + total, pseudoSumV4(b, ip, 6, thl + payload)) & 0xffff);
}

/** The arena a Coalescer appends to (the TUN side's TxBatch). */
export interface CoalesceArena {
  readonly data: Uint8Array;
  /** Packets in the arena. */
  readonly count: number;
  /** Grows the last packet by `extra` octets in place; false when the arena has no room. */
  extendLast(extra: number): boolean;
}

/**
 * Merges consecutive segments of one TCP flow written to a TUN with a virtio
 * header, within one batch. Usage per packet: `append(arena, p)` returns true
 * when `p` was merged into the arena's last packet; otherwise the caller adds
 * `p` as a new packet (virtio header zeroed) and calls `started(arena,
 * vnetOffset, p.length)` so it may become the head of the next merge. `reset()` when
 * the batch is flushed.
 */
export class Coalescer {
  /** Offset of the head packet's virtio header in the arena, or -1. */
  private head = -1;
  /** Arena index of the head packet (it must still be the last one). */
  private headIndex = -1;
  private ihl = 0;
  private thl = 0;
  /** Payload octets per segment (the first segment's). */
  private mss = 0;
  private nextSeq = 0;
  private segments = 0;
  /** The head's checksum was verified (done lazily, on the first merge). */
  private headChecked = false;
  /** No more merging into the head (a short or PSH segment joined it). */
  private closed = false;
  /** Segments merged away, for the stats. */
  merged = 0;

  constructor(private readonly sum: OnesSum = onesSum32) {}

  reset(): void {
    this.head = -1;
    this.headIndex = -1;
  }

  /** `arena`'s last packet (virtio header at `vh`, then `len` octets of IP) was just added: consider it a head. */
  started(arena: CoalesceArena, vh: number, len: number): void {
    this.head = -1;
    const b = arena.data;
    const ip = vh + VNET_HDR_LEN;
    const info = mergeableSegment(b, ip, ip + len);
    if (info === undefined || info.payload === 0 || (b[ip + info.ihl + 13]! & TCP_PSH) !== 0) return;
    this.head = vh;
    this.headIndex = arena.count - 1;
    this.ihl = info.ihl;
    this.thl = info.thl;
    this.mss = info.payload;
    this.nextSeq = (u32(b, ip + info.ihl + 4) + info.payload) >>> 0;
    this.segments = 1;
    this.headChecked = false;
    this.closed = false;
  }

  /** Merges the IPv4 packet `p` into the head when it continues it; true when done. */
  append(arena: CoalesceArena, p: Uint8Array): boolean {
    if (this.head < 0 || this.closed || this.headIndex !== arena.count - 1) return false;
    const b = arena.data;
    const ip = this.head + VNET_HDR_LEN;
    const ihl = this.ihl;
    const thl = this.thl;
    const pl = p.length - ihl - thl;
    if (pl <= 0 || pl > this.mss || u16(p, 2) !== p.length) return false;
    const total = u16(b, ip + 2);
    if (total + pl > IP_MAX) return false;
    // IP: version/IHL, TOS (ECN bits too), DF/MF/offset, TTL, protocol and both addresses equal.
    if (p[0] !== b[ip] || p[1] !== b[ip + 1] || p[6] !== b[ip + 6] || p[7] !== b[ip + 7] || p[8] !== b[ip + 8] || p[9] !== b[ip + 9]) return false;
    for (let i = 12; i < 20; i++) if (p[i] !== b[ip + i]) return false;
    for (let i = 20; i < ihl; i++) if (p[i] !== b[ip + i]) return false;
    const t = ihl;
    const ht = ip + ihl;
    // TCP: ports, data offset, the next sequence number, the same ACK, flags ACK (and PSH on the last), identical options.
    if (p[t] !== b[ht] || p[t + 1] !== b[ht + 1] || p[t + 2] !== b[ht + 2] || p[t + 3] !== b[ht + 3] || p[t + 12] !== b[ht + 12]) return false;
    if (u32(p, t + 4) !== this.nextSeq) return false;
    for (let i = 8; i < 12; i++) if (p[t + i] !== b[ht + i]) return false;
    if (p[t + 18] !== b[ht + 18] || p[t + 19] !== b[ht + 19]) return false; // urgent pointer (meaningless without URG, but kept exact)
    const f = p[t + 13]!;
    if ((f & ~TCP_PSH) !== TCP_ACK) return false;
    for (let i = 20; i < thl; i++) if (p[t + i] !== b[ht + i]) return false;
    // Never let a corrupted segment hide behind a recomputed checksum.
    if (!tcpV4ChecksumOk(p, 0, p.length, this.sum)) return false;
    if (!this.headChecked) {
      if (!tcpV4ChecksumOk(b, ip, ip + total, this.sum)) {
        this.closed = true;
        return false;
      }
      this.headChecked = true;
    }
    if (!arena.extendLast(pl)) return false;
    b.set(p.subarray(ihl + thl), ip + total);
    const newTotal = total + pl;
    put16(b, ip + 2, newTotal);
    fixIpChecksum(b, ip, ihl);
    if ((f & TCP_PSH) !== 0) b[ht + 13] = b[ht + 13]! | TCP_PSH;
    // The window is not a merge condition; keep the newest advertisement (as FreeBSD's LRO does).
    b[ht + 14] = p[t + 14]!;
    b[ht + 15] = p[t + 15]!;
    // Partial checksum: the pseudo-header sum for the whole TCP length, not inverted.
    put16(b, ht + 16, pseudoSumV4(b, ip, 6, newTotal - ihl));
    const vh = this.head;
    b[vh] = VNET_NEEDS_CSUM;
    b[vh + 1] = GSO_TCPV4;
    const hl = ihl + thl;
    b[vh + 2] = hl & 0xff;
    b[vh + 3] = hl >>> 8;
    b[vh + 4] = this.mss & 0xff;
    b[vh + 5] = this.mss >>> 8;
    b[vh + 6] = ihl;
    b[vh + 7] = 0;
    b[vh + 8] = 16;
    b[vh + 9] = 0;
    this.segments++;
    this.merged++;
    this.nextSeq = (this.nextSeq + pl) >>> 0;
    if (pl < this.mss || (f & TCP_PSH) !== 0) this.closed = true;
    return true;
  }
}

/** IHL, TCP header length and payload of an IPv4 TCP segment GRO may merge, or undefined. */
function mergeableSegment(b: Uint8Array, ip: number, end: number): { ihl: number; thl: number; payload: number } | undefined {
  if (end - ip < 40 || b[ip]! >>> 4 !== 4 || b[ip + 9]! !== 6) return undefined;
  const ihl = (b[ip]! & 0x0f) * 4;
  if (ihl < 20 || u16(b, ip + 2) !== end - ip) return undefined;
  // Fragments (MF or an offset) never merge; DF must be set (the segments' IDs are then free).
  if ((b[ip + 6]! & 0x40) === 0 || (u16(b, ip + 6) & 0x3fff) !== 0) return undefined;
  if (end - ip < ihl + 20) return undefined;
  const thl = (b[ip + ihl + 12]! >>> 4) * 4;
  if (thl < 20 || end - ip < ihl + thl) return undefined;
  const f = b[ip + ihl + 13]!;
  if ((f & (TCP_SYN | TCP_RST | TCP_URG | TCP_FIN | TCP_CWR | TCP_ECE)) !== 0 || (f & TCP_ACK) === 0) return undefined;
  return { ihl, thl, payload: end - ip - ihl - thl };
}
