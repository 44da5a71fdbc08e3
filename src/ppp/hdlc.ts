/**
 * RFC 1662 asynchronous HDLC-like framing: flag sequences, control-escape
 * with an Async-Control-Character-Map, and the 16- or 32-bit Frame Check
 * Sequence (RFC 1662 §3.1, §4.2, §4.3, Appendix C).
 *
 * PPTP and L2TP carry PPP frames without this layer; it exists for serial
 * links, PPP-over-pty tooling and for checking captures from async links.
 * The codec is separate from frame.ts: `encodeHdlcFrame` wraps a PPP frame
 * (including FF 03) in flags, `parseHdlcFrame` reverses that for one frame,
 * and `HdlcDecoder` splits a byte stream back into checked frames.
 *
 * Left out: synchronous bit stuffing (RFC 1662 §5) and the LCP-defined
 * 0x80–0x9f extended ACCM of RFC 1662 §7.1.
 */
import { fail, ok, type Parsed } from '../wire/parsed.js';

/** Flag sequence. */
export const HDLC_FLAG = 0x7e;
/** Control escape. */
export const HDLC_ESCAPE = 0x7d;
/** FCS-16 of a good frame including its FCS (RFC 1662 §C.2). */
export const FCS16_GOOD = 0xf0b8;
/** FCS-32 of a good frame including its FCS (RFC 1662 §C.3). */
export const FCS32_GOOD = 0xdebb20e3;

const FCS16_TABLE = new Uint16Array(256);
const FCS32_TABLE = new Uint32Array(256);
for (let b = 0; b < 256; b++) {
  let v = b;
  for (let i = 0; i < 8; i++) v = v & 1 ? (v >>> 1) ^ 0x8408 : v >>> 1;
  FCS16_TABLE[b] = v;
  let w = b;
  for (let i = 0; i < 8; i++) w = w & 1 ? (w >>> 1) ^ 0xedb88320 : w >>> 1;
  FCS32_TABLE[b] = w >>> 0;
}

/** RFC 1662 §C.2 FCS-16 update over `bytes[start,end)`; start with 0xffff. */
export function fcs16(bytes: Uint8Array, fcs = 0xffff, start = 0, end = bytes.length): number {
  for (let i = start; i < end; i++) fcs = (fcs >>> 8) ^ FCS16_TABLE[(fcs ^ bytes[i]!) & 0xff]!;
  return fcs;
}

/** RFC 1662 §C.3 FCS-32 update; start with 0xffffffff. */
export function fcs32(bytes: Uint8Array, fcs = 0xffffffff, start = 0, end = bytes.length): number {
  for (let i = start; i < end; i++) fcs = ((fcs >>> 8) ^ FCS32_TABLE[(fcs ^ bytes[i]!) & 0xff]!) >>> 0;
  return fcs >>> 0;
}

/** Framing parameters (from LCP: ACCM option 2, and FCS size). */
export interface HdlcOptions {
  /** Characters 0x00–0x1f to escape, bit n for character n. Default: all (0xffffffff). */
  accm?: number;
  /** Use the 32-bit FCS instead of the 16-bit one. */
  fcs32?: boolean;
}

function needsEscape(b: number, accm: number): boolean {
  return b === HDLC_FLAG || b === HDLC_ESCAPE || (b < 0x20 && ((accm >>> b) & 1) === 1);
}

function fcsBytes(frame: Uint8Array, opts: HdlcOptions): Uint8Array {
  if (opts.fcs32) {
    const f = ~fcs32(frame) >>> 0;
    return Uint8Array.of(f & 0xff, (f >>> 8) & 0xff, (f >>> 16) & 0xff, f >>> 24);
  }
  const f = ~fcs16(frame) & 0xffff;
  return Uint8Array.of(f & 0xff, f >>> 8);
}

/** Encoded length of `frame` (flags at both ends, FCS and escapes included). */
export function hdlcFrameLength(frame: Uint8Array, opts: HdlcOptions = {}): number {
  const accm = opts.accm ?? 0xffffffff;
  let n = 2;
  for (const b of frame) n += needsEscape(b, accm) ? 2 : 1;
  for (const b of fcsBytes(frame, opts)) n += needsEscape(b, accm) ? 2 : 1;
  return n;
}

/**
 * Wraps a PPP frame (address, control, protocol, information) in
 * `7E ... FCS 7E`, escaping as the ACCM asks (RFC 1662 §4.2).
 */
export function encodeHdlcFrame(frame: Uint8Array, opts: HdlcOptions = {}): Uint8Array {
  const accm = opts.accm ?? 0xffffffff;
  const out = new Uint8Array(hdlcFrameLength(frame, opts));
  let o = 0;
  out[o++] = HDLC_FLAG;
  const put = (b: number): void => {
    if (needsEscape(b, accm)) {
      out[o++] = HDLC_ESCAPE;
      out[o++] = b ^ 0x20;
    } else out[o++] = b;
  };
  for (const b of frame) put(b);
  for (const b of fcsBytes(frame, opts)) put(b);
  out[o++] = HDLC_FLAG;
  return out;
}

/**
 * Checks and strips the FCS of one frame's content as found between two
 * flags, already un-escaped. Returns the PPP frame without FCS.
 */
export function checkHdlcFcs(unescaped: Uint8Array, opts: HdlcOptions = {}): Parsed<Uint8Array> {
  const fcsLen = opts.fcs32 ? 4 : 2;
  // RFC 1662 §4.3: frames shorter than 4 octets (plus FCS) are silently discarded.
  if (unescaped.length < fcsLen + 2) return fail('TRUNCATED', unescaped.length, 'fcs');
  const good = opts.fcs32 ? fcs32(unescaped) === FCS32_GOOD : fcs16(unescaped) === FCS16_GOOD;
  if (!good) return fail('BAD_VALUE', unescaped.length - fcsLen, 'fcs');
  return ok(unescaped.subarray(0, unescaped.length - fcsLen), unescaped.length);
}

/**
 * Parses one encoded frame (`7E … 7E`, flags optional): removes the escapes
 * and the characters the link inserted, checks the FCS, and returns the PPP
 * frame (a copy). The inverse of `encodeHdlcFrame`; streams go through
 * `HdlcDecoder`.
 */
export function parseHdlcFrame(encoded: Uint8Array, opts: HdlcOptions = {}): Parsed<Uint8Array> {
  const accm = opts.accm ?? 0xffffffff;
  let start = 0;
  let end = encoded.length;
  if (encoded[start] === HDLC_FLAG) start++;
  if (end > start && encoded[end - 1] === HDLC_FLAG) end--;
  const buf = new Uint8Array(end - start);
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = encoded[i]!;
    if (c === HDLC_FLAG) return fail('BAD_VALUE', i, 'flag inside frame');
    if (c === HDLC_ESCAPE) {
      if (i + 1 >= end) return fail('TRUNCATED', i, 'escape');
      buf[n++] = encoded[++i]! ^ 0x20;
    } else if (!(c < 0x20 && ((accm >>> c) & 1) === 1)) buf[n++] = c;
  }
  const p = checkHdlcFcs(buf.subarray(0, n), opts);
  return p.ok ? ok(p.value, encoded.length) : p;
}

/** Why the stream decoder discarded bytes. */
export type HdlcDropReason =
  /** The FCS did not match. */
  | 'bad-fcs'
  /** Fewer than 4 octets between flags (RFC 1662 §4.3). */
  | 'runt'
  /** `7D 7E`: the sender aborted the frame (RFC 1662 §4.2). */
  | 'aborted'
  /** A frame grew past `maxFrameBytes` before its closing flag. */
  | 'too-long';

/** One result of `HdlcDecoder.push`. */
export type HdlcResult = { ok: true; frame: Uint8Array } | { ok: false; reason: HdlcDropReason };

/**
 * Splits an async byte stream into frames. Keeps partial frames across
 * `push` calls, drops characters in the receive ACCM that are not escaped
 * (RFC 1662 §4.2: they were inserted by the link), and never throws.
 */
export class HdlcDecoder {
  private buf: Uint8Array;
  private len = 0;
  private escaped = false;
  private overflow = false;

  constructor(
    private readonly opts: HdlcOptions & { maxFrameBytes?: number } = {},
  ) {
    this.buf = new Uint8Array(opts.maxFrameBytes ?? 1500 + 8);
  }

  /** Feeds bytes; returns each frame (or drop) completed by a flag in them. */
  push(chunk: Uint8Array): HdlcResult[] {
    const out: HdlcResult[] = [];
    const accm = this.opts.accm ?? 0xffffffff;
    for (const c of chunk) {
      if (c === HDLC_FLAG) {
        if (this.escaped) out.push({ ok: false, reason: 'aborted' });
        else if (this.overflow) out.push({ ok: false, reason: 'too-long' });
        else if (this.len > 0) {
          const p = checkHdlcFcs(this.buf.subarray(0, this.len), this.opts);
          if (p.ok) out.push({ ok: true, frame: p.value.slice() });
          else out.push({ ok: false, reason: p.error.code === 'TRUNCATED' ? 'runt' : 'bad-fcs' });
        }
        this.len = 0;
        this.escaped = false;
        this.overflow = false;
        continue;
      }
      if (c === HDLC_ESCAPE) {
        this.escaped = true;
        continue;
      }
      if (!this.escaped && c < 0x20 && ((accm >>> c) & 1) === 1) continue;
      const b = this.escaped ? c ^ 0x20 : c;
      this.escaped = false;
      if (this.len >= this.buf.length) {
        this.overflow = true;
        continue;
      }
      this.buf[this.len++] = b;
    }
    return out;
  }
}
