/**
 * The UDP datagrams of a real capture (test/fixtures/pcaps), for replaying
 * ISAKMP and ESP-in-UDP captures through the ipsec codecs. Built on the
 * capture helpers of test/pptp/capture-util.ts.
 */
import { frameIp, loadCapture } from '../pptp/capture-util.js';

/** One UDP datagram of a capture. */
export interface CapturedUdp {
  /** Frame number from 1, as tshark counts. */
  frame: number;
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

/** Every UDP datagram of the capture `name` in test/fixtures/pcaps. */
export function captureUdp(name: string): CapturedUdp[] {
  const out: CapturedUdp[] = [];
  loadCapture(name).forEach((pkt, i) => {
    const ip = frameIp(pkt);
    if (!ip || ip.protocol !== 17 || ip.payload.length < 8) return;
    const u = ip.payload;
    const udpLen = (u[4]! << 8) | u[5]!;
    out.push({ frame: i + 1, src: ip.src, dst: ip.dst, srcPort: (u[0]! << 8) | u[1]!, dstPort: (u[2]! << 8) | u[3]!, payload: u.subarray(8, Math.max(8, Math.min(u.length, udpLen))) });
  });
  return out;
}
