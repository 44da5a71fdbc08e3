/**
 * IPv4/TCP segments with valid checksums, for the TUN offload tests (cutting,
 * merging, fuzzing). 10.0.0.1:40000 → 10.0.0.2:5201, DF, TTL 64, ACK, 12
 * octets of timestamp options unless told otherwise.
 */
import { onesSum } from '../../src/wire/checksum.js';

export interface TcpSegmentOptions {
  seq: number;
  payload: Uint8Array;
  id?: number;
  flags?: number;
  ack?: number;
  /** TCP options (a multiple of 4 octets); default NOP NOP + timestamps. */
  opts?: number[];
  df?: boolean;
  sport?: number;
  window?: number;
}

/** The segment's bytes, IP and TCP checksums filled in. */
export function tcpSegment(o: TcpSegmentOptions): Uint8Array {
  const opts = o.opts ?? [1, 1, 8, 10, 0, 0, 0, 7, 0, 0, 0, 9];
  const thl = 20 + opts.length;
  const total = 20 + thl + o.payload.length;
  const p = new Uint8Array(total);
  const dv = new DataView(p.buffer);
  p[0] = 0x45;
  dv.setUint16(2, total);
  dv.setUint16(4, (o.id ?? 100) & 0xffff);
  p[6] = o.df === false ? 0 : 0x40;
  p[8] = 64;
  p[9] = 6;
  p.set([10, 0, 0, 1, 10, 0, 0, 2], 12);
  dv.setUint16(20, o.sport ?? 40000);
  dv.setUint16(22, 5201);
  dv.setUint32(24, o.seq >>> 0);
  dv.setUint32(28, o.ack ?? 0x11223344);
  p[32] = (thl / 4) << 4;
  p[33] = o.flags ?? 0x10;
  dv.setUint16(34, o.window ?? 502);
  p.set(opts, 40);
  p.set(o.payload, 20 + thl);
  dv.setUint16(10, ~onesSum(p, 0, 20) & 0xffff);
  dv.setUint16(36, ~onesSum(p, 20, total, onesSum(p, 12, 20, 6 + thl + o.payload.length)) & 0xffff);
  return p;
}

/** `n` octets of a repeatable pattern (seeded), for payloads. */
export function patternBytes(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 7 + (i >> 8)) & 0xff);
}
