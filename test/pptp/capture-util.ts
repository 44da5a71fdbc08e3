/**
 * Test helpers that take real captures apart: strip Ethernet (with VLAN
 * tags), IPv4 and IPv6 headers by their length fields, then hand back GRE
 * payloads and TCP port-1723 byte streams. Only what the PPTP tests need; not
 * a general packet dissector.
 */
import { readFileSync } from 'node:fs';
import { parseCapture, type PcapPacket } from '../../src/wire/pcap.js';
import { PCAPS_URL } from '../helpers/fixtures.js';

/** Where the real captures live (test/fixtures/pcaps, SOURCES.md describes each). */
export const PCAP_DIR = PCAPS_URL;

/** Reads one real capture; throws when it is not there (a broken fixture is a test failure). */
export function loadCapture(name: string): PcapPacket[] {
  const packets = parseCapture(readFileSync(new URL(name, PCAP_DIR)));
  if (!packets) throw new Error(`${name}: not a pcap/pcapng file`);
  return packets;
}

/** An IP packet with its addresses and the transport bytes after the IP header. */
export interface IpPayload {
  src: string;
  dst: string;
  protocol: number;
  payload: Uint8Array;
}

function addr4(b: Uint8Array, off: number): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

function addr6(b: Uint8Array, off: number): string {
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(((b[off + i]! << 8) | b[off + i + 1]!).toString(16));
  return parts.join(':');
}

/** Walks IPv4/IPv6 (also IPv4-in-IPv6) down to the first non-IP protocol. */
export function ipPayload(b: Uint8Array): IpPayload | undefined {
  if (b.length < 1) return undefined;
  const version = b[0]! >> 4;
  if (version === 4) {
    if (b.length < 20) return undefined;
    const ihl = (b[0]! & 0x0f) * 4;
    const total = (b[2]! << 8) | b[3]!;
    const protocol = b[9]!;
    const payload = b.subarray(ihl, Math.min(total, b.length));
    if (protocol === 4 || protocol === 41) return ipPayload(payload);
    return { src: addr4(b, 12), dst: addr4(b, 16), protocol, payload };
  }
  if (version === 6) {
    if (b.length < 40) return undefined;
    const plen = (b[4]! << 8) | b[5]!;
    const next = b[6]!;
    const payload = b.subarray(40, Math.min(40 + plen, b.length));
    if (next === 4 || next === 41) return ipPayload(payload);
    return { src: addr6(b, 8), dst: addr6(b, 24), protocol: next, payload };
  }
  return undefined;
}

/** The IP packet inside one captured frame (Ethernet with 802.1Q tags, or raw). */
export function frameIp(p: PcapPacket): IpPayload | undefined {
  let b = p.bytes;
  if (p.linkType === 1) {
    let off = 12;
    let etherType = (b[off]! << 8) | b[off + 1]!;
    while (etherType === 0x8100 || etherType === 0x88a8) {
      off += 4;
      etherType = (b[off]! << 8) | b[off + 1]!;
    }
    if (etherType !== 0x0800 && etherType !== 0x86dd) return undefined;
    b = b.subarray(off + 2);
  } else if (p.linkType !== 101) return undefined;
  return ipPayload(b);
}

/** Every GRE packet (IP protocol 47) in a capture, with its frame number (1-based). */
export function grePackets(packets: readonly PcapPacket[]): { frame: number; ip: IpPayload }[] {
  const out: { frame: number; ip: IpPayload }[] = [];
  packets.forEach((p, i) => {
    const ip = frameIp(p);
    if (ip && ip.protocol === 47) out.push({ frame: i + 1, ip });
  });
  return out;
}

/** A TCP payload segment to or from `port`, in capture order. */
export interface TcpSegment {
  frame: number;
  timeMs: number;
  /** "src:port>dst:port" */
  flow: string;
  /** True when the segment goes to `port` (client → server). */
  toServer: boolean;
  /** The bytes not seen before on this flow (retransmitted and duplicated bytes removed). */
  data: Uint8Array;
}

/**
 * TCP segments to or from `port` carrying new data, in capture order.
 * Retransmissions and duplicated frames (tcpdump-pptp.pcap captures every
 * server segment twice) are trimmed to the bytes not seen before. A segment
 * that leaves a hole throws: none of the shared captures has one.
 */
export function tcpSegments(packets: readonly PcapPacket[], port = 1723): TcpSegment[] {
  const next = new Map<string, number>();
  const out: TcpSegment[] = [];
  packets.forEach((p, i) => {
    const ip = frameIp(p);
    if (!ip || ip.protocol !== 6 || ip.payload.length < 20) return;
    const t = ip.payload;
    const sport = (t[0]! << 8) | t[1]!;
    const dport = (t[2]! << 8) | t[3]!;
    if (sport !== port && dport !== port) return;
    const seq = ((t[4]! << 24) | (t[5]! << 16) | (t[6]! << 8) | t[7]!) >>> 0;
    const flags = t[13]!;
    const flow = `${ip.src}:${sport}>${ip.dst}:${dport}`;
    const data = t.subarray((t[12]! >> 4) * 4);
    if (flags & 0x02) {
      next.set(flow, (seq + 1) >>> 0); // SYN
      return;
    }
    if (data.length === 0) return;
    const expected = next.get(flow) ?? seq;
    const skip = (expected - seq) | 0;
    if (skip < 0) throw new Error(`frame ${i + 1}: hole of ${-skip} bytes in ${flow}`);
    if (skip >= data.length) return;
    next.set(flow, (seq + data.length) >>> 0);
    out.push({ frame: i + 1, timeMs: p.timeMs, flow, toServer: dport === port, data: data.subarray(skip) });
  });
  return out;
}
