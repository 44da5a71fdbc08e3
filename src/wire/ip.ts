/**
 * IP packet helpers for the data plane: addresses, TCP MSS clamping (in
 * place, with an incremental checksum update), ICMP "fragmentation needed" /
 * ICMPv6 "packet too big" toward a sender whose packet does not fit the
 * tunnel, and IPv4 fragmentation for packets without DF.
 *
 * Every function checks lengths before reading and returns a "not applicable"
 * value for packets it cannot handle; none throws on packet bytes.
 *
 * RFC 791 (IPv4), RFC 8200 (IPv6), RFC 793/9293 (TCP MSS option),
 * RFC 1191 §4 (frag-needed carries the next-hop MTU), RFC 4443 §3.2
 * (Packet Too Big), RFC 1624 (incremental checksum update).
 */
import { internetChecksum, onesSum } from './checksum.js';

/** IP protocol numbers used here. */
export const IP_PROTO = { ICMP: 1, TCP: 6, UDP: 17, GRE: 47, ICMPV6: 58 } as const;

/** 4, 6, or 0 when the bytes are not an IP packet. */
export function ipVersion(p: Uint8Array, start = 0, end = p.length): 0 | 4 | 6 {
  if (end - start < 1) return 0;
  const v = p[start]! >>> 4;
  if (v === 4 && end - start >= 20) return 4;
  if (v === 6 && end - start >= 40) return 6;
  return 0;
}

/** The IPv4 destination as a 32-bit unsigned number (caller checked the version). */
export function ipv4Dst(p: Uint8Array, start = 0): number {
  return ((p[start + 16]! << 24) | (p[start + 17]! << 16) | (p[start + 18]! << 8) | p[start + 19]!) >>> 0;
}

/** The IPv4 source as a 32-bit unsigned number. */
export function ipv4Src(p: Uint8Array, start = 0): number {
  return ((p[start + 12]! << 24) | (p[start + 13]! << 16) | (p[start + 14]! << 8) | p[start + 15]!) >>> 0;
}

/** Where the TCP header of an IP packet starts, or -1 (not TCP, a non-first fragment, or too short). */
function tcpOffset(p: Uint8Array, start: number, end: number): number {
  const v = ipVersion(p, start, end);
  if (v === 4) {
    const ihl = (p[start]! & 0x0f) * 4;
    if (ihl < 20 || p[start + 9] !== IP_PROTO.TCP) return -1;
    const fragOffset = ((p[start + 6]! & 0x1f) << 8) | p[start + 7]!;
    if (fragOffset !== 0) return -1;
    const off = start + ihl;
    return off + 20 <= end ? off : -1;
  }
  if (v === 6) {
    // Only a TCP header right after the fixed header; packets with extension headers are left alone.
    if (p[start + 6] !== IP_PROTO.TCP) return -1;
    const off = start + 40;
    return off + 20 <= end ? off : -1;
  }
  return -1;
}

/**
 * If the packet is a TCP SYN whose MSS option is larger than `mss`, lowers it
 * in place and fixes the TCP checksum incrementally (RFC 1624). Returns true
 * when it changed the packet. A SYN without an MSS option is left alone
 * (RFC 9293 §3.7.1 then implies 536/1220, below any tunnel MTU we use).
 */
export function clampTcpMss(p: Uint8Array, mss: number, start = 0, end = p.length): boolean {
  const t = tcpOffset(p, start, end);
  if (t < 0) return false;
  const flags = p[t + 13]!;
  if ((flags & 0x02) === 0) return false; // not SYN
  const dataOff = (p[t + 12]! >>> 4) * 4;
  if (dataOff < 20 || t + dataOff > end) return false;
  let o = t + 20;
  const optEnd = t + dataOff;
  while (o < optEnd) {
    const kind = p[o]!;
    if (kind === 0) break;
    if (kind === 1) {
      o++;
      continue;
    }
    if (o + 1 >= optEnd) break;
    const len = p[o + 1]!;
    if (len < 2 || o + len > optEnd) break;
    if (kind === 2 && len === 4) {
      const old = (p[o + 2]! << 8) | p[o + 3]!;
      if (old <= mss) return false;
      p[o + 2] = mss >>> 8;
      p[o + 3] = mss & 0xff;
      // RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m')
      const hc = (p[t + 16]! << 8) | p[t + 17]!;
      let sum = (~hc & 0xffff) + (~old & 0xffff) + mss;
      while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
      const nc = ~sum & 0xffff;
      p[t + 16] = nc >>> 8;
      p[t + 17] = nc & 0xff;
      return true;
    }
    o += len;
  }
  return false;
}

/** IPv4 "don't fragment" flag. */
export function ipv4DontFragment(p: Uint8Array, start = 0): boolean {
  return (p[start + 6]! & 0x40) !== 0;
}

/**
 * ICMP destination unreachable / fragmentation needed (type 3 code 4) from
 * `fromAddr` back to the sender of `orig`, carrying `mtu` (RFC 1191 §4) and
 * the original IP header + 8 bytes (RFC 792). Undefined for ICMP errors
 * themselves (RFC 1122 §3.2.2: never answer an ICMP error with one).
 */
export function icmpFragNeeded(orig: Uint8Array, mtu: number, fromAddr: number, start = 0, end = orig.length): Uint8Array | undefined {
  if (ipVersion(orig, start, end) !== 4) return undefined;
  const ihl = (orig[start]! & 0x0f) * 4;
  if (orig[start + 9] === IP_PROTO.ICMP && start + ihl < end) {
    const type = orig[start + ihl]!;
    if (type !== 0 && type !== 8 && type !== 13 && type !== 14) return undefined;
  }
  const quoted = Math.min(end - start, ihl + 8);
  const out = new Uint8Array(20 + 8 + quoted);
  out[0] = 0x45;
  out[2] = out.length >>> 8;
  out[3] = out.length & 0xff;
  out[8] = 64;
  out[9] = IP_PROTO.ICMP;
  writeU32(out, 12, fromAddr);
  out.set(orig.subarray(start + 12, start + 16), 16);
  const ipc = internetChecksum(out, 0, 20);
  out[10] = ipc >>> 8;
  out[11] = ipc & 0xff;
  out[20] = 3;
  out[21] = 4;
  out[26] = (mtu >>> 8) & 0xff;
  out[27] = mtu & 0xff;
  out.set(orig.subarray(start, start + quoted), 28);
  const c = internetChecksum(out, 20, out.length);
  out[22] = c >>> 8;
  out[23] = c & 0xff;
  return out;
}

/**
 * ICMPv6 Packet Too Big (RFC 4443 §3.2) from `fromAddr` (16 bytes) back to
 * the sender of `orig`, quoting as much of it as fits in 1280 bytes.
 * Undefined for ICMPv6 error messages (types < 128).
 */
export function icmpv6PacketTooBig(orig: Uint8Array, mtu: number, fromAddr: Uint8Array, start = 0, end = orig.length): Uint8Array | undefined {
  if (ipVersion(orig, start, end) !== 6 || fromAddr.length !== 16) return undefined;
  if (orig[start + 6] === IP_PROTO.ICMPV6 && start + 40 < end && orig[start + 40]! < 128) return undefined;
  const quoted = Math.min(end - start, 1280 - 48);
  const out = new Uint8Array(40 + 8 + quoted);
  out[0] = 0x60;
  const plen = 8 + quoted;
  out[4] = plen >>> 8;
  out[5] = plen & 0xff;
  out[6] = IP_PROTO.ICMPV6;
  out[7] = 64;
  out.set(fromAddr, 8);
  out.set(orig.subarray(start + 8, start + 24), 24);
  out[40] = 2;
  writeU32(out, 44, mtu);
  out.set(orig.subarray(start, start + quoted), 48);
  // pseudo-header: src, dst, upper-layer length, next header
  let sum = onesSum(out, 8, 40);
  sum += plen >>> 16;
  sum += plen & 0xffff;
  sum += IP_PROTO.ICMPV6;
  const c = internetChecksum(out, 40, out.length, sum);
  out[42] = c >>> 8;
  out[43] = c & 0xff;
  return out;
}

/**
 * Splits an IPv4 packet without DF into fragments of at most `mtu` bytes
 * (RFC 791 §3.2; offsets in 8-byte units; options copied only when their
 * copy flag is set — we copy none and use a 20-byte header on later
 * fragments, which is allowed). Undefined when DF is set or the packet is not
 * IPv4; the packet itself (in an array) when it already fits.
 */
export function fragmentIpv4(p: Uint8Array, mtu: number, start = 0, end = p.length): Uint8Array[] | undefined {
  if (ipVersion(p, start, end) !== 4) return undefined;
  const total = Math.min(end - start, (p[start + 2]! << 8) | p[start + 3]!);
  if (total <= mtu) return [p.subarray(start, start + total)];
  if (ipv4DontFragment(p, start)) return undefined;
  const ihl = (p[start]! & 0x0f) * 4;
  if (ihl < 20 || ihl > total) return undefined;
  const baseOffset = (((p[start + 6]! & 0x1f) << 8) | p[start + 7]!) * 8;
  const moreAfter = (p[start + 6]! & 0x20) !== 0;
  const frags: Uint8Array[] = [];
  let dataStart = start + ihl;
  const dataEnd = start + total;
  let first = true;
  while (dataStart < dataEnd) {
    const hdr = first ? ihl : 20;
    const room = Math.floor((mtu - hdr) / 8) * 8;
    if (room <= 0) return undefined;
    const len = Math.min(room, dataEnd - dataStart);
    const last = dataStart + len >= dataEnd;
    const f = new Uint8Array(hdr + len);
    f.set(p.subarray(start, start + hdr), 0);
    if (!first) f[0] = 0x45;
    f[2] = f.length >>> 8;
    f[3] = f.length & 0xff;
    const off = (baseOffset + (dataStart - (start + ihl))) / 8;
    const mf = !last || moreAfter ? 0x20 : 0;
    f[6] = mf | ((off >>> 8) & 0x1f);
    f[7] = off & 0xff;
    f[10] = 0;
    f[11] = 0;
    const c = internetChecksum(f, 0, hdr);
    f[10] = c >>> 8;
    f[11] = c & 0xff;
    f.set(p.subarray(dataStart, dataStart + len), hdr);
    frags.push(f);
    dataStart += len;
    first = false;
  }
  return frags;
}

function writeU32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}
