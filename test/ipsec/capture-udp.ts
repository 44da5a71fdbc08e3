/**
 * Reads the UDP datagrams of an Ethernet or raw-IPv4 capture (IPv4 only,
 * unfragmented), for replaying real ISAKMP and ESP-in-UDP captures through
 * the ipsec codecs.
 */
import { readFileSync } from 'node:fs';
import { LINKTYPE, parseCapture } from '../../src/wire/pcap.js';

/** One UDP datagram of a capture. */
export interface CapturedUdp {
  frame: number;
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

/** Every IPv4/UDP datagram in the capture file at `path` (frame numbers from 1, as tshark counts). */
export function captureUdp(path: string): CapturedUdp[] {
  const packets = parseCapture(new Uint8Array(readFileSync(path)));
  if (!packets) throw new Error(`${path}: not a capture file`);
  const out: CapturedUdp[] = [];
  packets.forEach((pkt, i) => {
    let ip = 0;
    if (pkt.linkType === LINKTYPE.ETHERNET) {
      if (pkt.bytes.length < 14 || pkt.bytes[12] !== 0x08 || pkt.bytes[13] !== 0x00) return;
      ip = 14;
    } else if (pkt.linkType !== LINKTYPE.RAW) return;
    const b = pkt.bytes;
    if (b.length < ip + 20 || b[ip]! >> 4 !== 4 || b[ip + 9] !== 17) return;
    const ihl = (b[ip]! & 0x0f) * 4;
    const total = (b[ip + 2]! << 8) | b[ip + 3]!;
    const udp = ip + ihl;
    const udpLen = (b[udp + 4]! << 8) | b[udp + 5]!;
    const end = Math.min(b.length, ip + total, udp + udpLen);
    out.push({
      frame: i + 1,
      src: Array.from(b.subarray(ip + 12, ip + 16)).join('.'),
      dst: Array.from(b.subarray(ip + 16, ip + 20)).join('.'),
      srcPort: (b[udp]! << 8) | b[udp + 1]!,
      dstPort: (b[udp + 2]! << 8) | b[udp + 3]!,
      payload: b.subarray(udp + 8, end),
    });
  });
  return out;
}
