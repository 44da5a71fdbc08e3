/**
 * A pcap file writer (classic libpcap format, microsecond timestamps), pure:
 * it returns bytes and the caller writes them. Used by tests that hand our
 * output to tshark (STYLE.md §7.6) and by debug captures.
 */
import { internetChecksum } from './checksum.js';
import { parseIpv4 } from '../config/ipv4.js';

/** Link types we write. */
export const LINKTYPE = {
  /** Bare IPv4/IPv6 packets. */
  RAW: 101,
  /** PPP frames starting with the protocol field (optionally FF 03 first). */
  PPP: 9,
  ETHERNET: 1,
} as const;

/** One captured packet. */
export interface PcapRecord {
  /** Capture time in milliseconds since the epoch (or any origin). */
  timeMs: number;
  bytes: Uint8Array;
}

/** Encodes a whole pcap file. */
export function encodePcap(linkType: number, records: readonly PcapRecord[], snaplen = 262144): Uint8Array {
  let size = 24;
  for (const r of records) size += 16 + r.bytes.length;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, 0xa1b2c3d4, true);
  dv.setUint16(4, 2, true);
  dv.setUint16(6, 4, true);
  dv.setInt32(8, 0, true);
  dv.setUint32(12, 0, true);
  dv.setUint32(16, snaplen, true);
  dv.setUint32(20, linkType, true);
  let off = 24;
  for (const r of records) {
    const sec = Math.floor(r.timeMs / 1000);
    const usec = Math.floor((r.timeMs - sec * 1000) * 1000);
    dv.setUint32(off, sec, true);
    dv.setUint32(off + 4, usec, true);
    dv.setUint32(off + 8, r.bytes.length, true);
    dv.setUint32(off + 12, r.bytes.length, true);
    out.set(r.bytes, off + 16);
    off += 16 + r.bytes.length;
  }
  return out;
}

/** A parsed pcap record with its link type. */
export interface PcapPacket extends PcapRecord {
  linkType: number;
}

/**
 * Reads a classic pcap or a pcapng file (enhanced/simple packet blocks) into
 * packets. For test fixtures and captures; returns undefined on a format it
 * does not know, never throws on bad bytes.
 */
export function parseCapture(file: Uint8Array): PcapPacket[] | undefined {
  if (file.length < 24) return undefined;
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const magicLe = dv.getUint32(0, true);
  if (magicLe === 0xa1b2c3d4 || magicLe === 0xa1b23c4d || magicLe === 0xd4c3b2a1 || magicLe === 0x4d3cb2a1) {
    const le = magicLe === 0xa1b2c3d4 || magicLe === 0xa1b23c4d;
    const nano = magicLe === 0xa1b23c4d || magicLe === 0x4d3cb2a1;
    const linkType = dv.getUint32(20, le);
    const out: PcapPacket[] = [];
    let off = 24;
    while (off + 16 <= file.length) {
      const sec = dv.getUint32(off, le);
      const frac = dv.getUint32(off + 4, le);
      const caplen = dv.getUint32(off + 8, le);
      if (off + 16 + caplen > file.length) break;
      out.push({ linkType, timeMs: sec * 1000 + (nano ? frac / 1e6 : frac / 1e3), bytes: file.subarray(off + 16, off + 16 + caplen) });
      off += 16 + caplen;
    }
    return out;
  }
  if (magicLe === 0x0a0d0d0a) {
    const out: PcapPacket[] = [];
    const linkTypes: number[] = [];
    let off = 0;
    let le = true;
    while (off + 12 <= file.length) {
      let type = dv.getUint32(off, le);
      if (type === 0x0a0d0d0a) {
        le = dv.getUint32(off + 8, true) === 0x1a2b3c4d;
        type = 0x0a0d0d0a;
        linkTypes.length = 0;
      }
      const len = dv.getUint32(off + 4, le);
      if (len < 12 || off + len > file.length) break;
      if (type === 1) linkTypes.push(dv.getUint16(off + 8, le));
      else if (type === 6 && len >= 32) {
        const iface = dv.getUint32(off + 8, le);
        const ts = dv.getUint32(off + 12, le) * 2 ** 32 + dv.getUint32(off + 16, le);
        const caplen = dv.getUint32(off + 20, le);
        if (off + 28 + caplen <= off + len) {
          out.push({ linkType: linkTypes[iface] ?? 1, timeMs: ts / 1000, bytes: file.subarray(off + 28, off + 28 + caplen) });
        }
      }
      off += len;
    }
    return out;
  }
  return undefined;
}

/**
 * Wraps a payload in a minimal IPv4 header (no options, DF set), for
 * LINKTYPE_RAW captures of GRE (47), UDP (17) or TCP (6) payloads.
 */
export function ipv4Packet(src: string, dst: string, protocol: number, payload: Uint8Array, id = 0): Uint8Array {
  const out = new Uint8Array(20 + payload.length);
  out[0] = 0x45;
  out[2] = (out.length >>> 8) & 0xff;
  out[3] = out.length & 0xff;
  out[4] = (id >>> 8) & 0xff;
  out[5] = id & 0xff;
  out[6] = 0x40;
  out[8] = 64;
  out[9] = protocol;
  out.set(ipv4Bytes(src), 12);
  out.set(ipv4Bytes(dst), 16);
  const c = internetChecksum(out, 0, 20);
  out[10] = c >>> 8;
  out[11] = c & 0xff;
  out.set(payload, 20);
  return out;
}

/** Wraps a payload in UDP (checksum 0, allowed for IPv4) inside `ipv4Packet`. */
export function udpIpv4Packet(src: string, dst: string, srcPort: number, dstPort: number, payload: Uint8Array, id = 0): Uint8Array {
  const udp = new Uint8Array(8 + payload.length);
  udp[0] = srcPort >>> 8;
  udp[1] = srcPort & 0xff;
  udp[2] = dstPort >>> 8;
  udp[3] = dstPort & 0xff;
  udp[4] = udp.length >>> 8;
  udp[5] = udp.length & 0xff;
  udp.set(payload, 8);
  return ipv4Packet(src, dst, 17, udp, id);
}

/** Dotted quad to 4 bytes. */
export function ipv4Bytes(addr: string): Uint8Array {
  const v = parseIpv4(addr);
  if (v === undefined) throw new Error(`bad IPv4 address: ${addr}`);
  return Uint8Array.of(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
}
