/**
 * Control-protocol packet and option-list codecs shared by LCP, IPCP,
 * IPV6CP and CCP (RFC 1661 §5 packet format, §6 option format).
 *
 * Packet: Code(1) Identifier(1) Length(2) Data. Bytes past Length are
 * padding and ignored (RFC 1661 §5); a Length below 4 or beyond the buffer
 * makes the packet invalid. Option: Type(1) Length(1) Data, Length >= 2.
 */
import { fail, ok, type Parsed } from '../../wire/parsed.js';

/** One control packet. */
export interface CpPacket {
  code: number;
  identifier: number;
  /** Data field (view into the input). */
  data: Uint8Array;
}

/** One configuration option. */
export interface CpOption {
  type: number;
  /** Option data after Type and Length (view into the input). */
  data: Uint8Array;
}

/** Parses a control packet, checking Length against the buffer. */
export function parseCpPacket(bytes: Uint8Array): Parsed<CpPacket> {
  if (bytes.length < 4) return fail('TRUNCATED', bytes.length, 'header');
  const length = (bytes[2]! << 8) | bytes[3]!;
  if (length < 4) return fail('BAD_LENGTH', 2, 'length');
  if (length > bytes.length) return fail('TRUNCATED', bytes.length, 'data');
  return ok({ code: bytes[0]!, identifier: bytes[1]!, data: bytes.subarray(4, length) }, length);
}

/** Encoded length of a control packet. */
export function cpPacketLength(p: CpPacket): number {
  return 4 + p.data.length;
}

/** Encodes a control packet. */
export function encodeCpPacket(p: CpPacket): Uint8Array {
  const len = cpPacketLength(p);
  const out = new Uint8Array(len);
  out[0] = p.code;
  out[1] = p.identifier;
  out[2] = len >>> 8;
  out[3] = len & 0xff;
  out.set(p.data, 4);
  return out;
}

/** Parses a whole option list; every Length is checked before it is used. */
export function parseOptions(data: Uint8Array): Parsed<CpOption[]> {
  const out: CpOption[] = [];
  let off = 0;
  while (off < data.length) {
    if (off + 2 > data.length) return fail('TRUNCATED', off, 'option');
    const len = data[off + 1]!;
    if (len < 2) return fail('BAD_LENGTH', off + 1, 'option length');
    if (off + len > data.length) return fail('TRUNCATED', off, 'option data');
    out.push({ type: data[off]!, data: data.subarray(off + 2, off + len) });
    off += len;
  }
  return ok(out, off);
}

/** Encoded length of an option list. */
export function optionsLength(options: readonly CpOption[]): number {
  let n = 0;
  for (const o of options) n += 2 + o.data.length;
  return n;
}

/** Encodes an option list. Option data longer than 253 bytes is a caller bug. */
export function encodeOptions(options: readonly CpOption[]): Uint8Array {
  const out = new Uint8Array(optionsLength(options));
  let off = 0;
  for (const o of options) {
    out[off] = o.type;
    out[off + 1] = 2 + o.data.length;
    out.set(o.data, off + 2);
    off += 2 + o.data.length;
  }
  return out;
}

/** Option with big-endian u16 data. */
export function u16Option(type: number, v: number): CpOption {
  return { type, data: Uint8Array.of(v >>> 8, v & 0xff) };
}

/** Option with big-endian u32 data. */
export function u32Option(type: number, v: number): CpOption {
  return { type, data: Uint8Array.of(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff) };
}

/** Reads a big-endian u16 from option data (caller checked the length). */
export function readU16(d: Uint8Array, off = 0): number {
  return (d[off]! << 8) | d[off + 1]!;
}

/** Reads a big-endian u32 from option data (caller checked the length). */
export function readU32(d: Uint8Array, off = 0): number {
  return ((d[off]! << 24) | (d[off + 1]! << 16) | (d[off + 2]! << 8) | d[off + 3]!) >>> 0;
}

/** Byte equality of two views. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
