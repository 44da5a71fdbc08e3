/**
 * PPP frame header codec (RFC 1661 §2, §6.5, §6.6; RFC 1662 §3.1).
 *
 * A PPP frame as the transports carry it (PPTP GRE payload, L2TP data
 * payload) is `[FF 03] protocol information`. Address/Control may be omitted
 * when Address-and-Control-Field-Compression (ACFC) is negotiated, and the
 * protocol may shrink to one byte with Protocol-Field-Compression (PFC) when
 * its high byte is 0. The receiver accepts every form at all times
 * (RFC 1661 §6.5/§6.6: "MUST accept" uncompressed frames), so parsing is
 * independent of negotiation; only the encoder takes the flags.
 *
 * Left out: the HDLC flag/FCS/escaping layer (see hdlc.ts) and padding
 * removal, which belongs to each protocol (RFC 1661 §2 "Padding").
 */
import { fail, ok, type Parsed } from '../wire/parsed.js';

/** A parsed PPP frame: protocol number and a view of the information field. */
export interface PppFrame {
  protocol: number;
  /** The information field (a view into the input, not a copy). */
  information: Uint8Array;
}

/** What the encoder may compress, from LCP's negotiated PFC/ACFC. */
export interface PppHeaderOptions {
  /** Omit FF 03 (the peer asked for ACFC and we acked it). */
  acfc?: boolean;
  /** Send protocols < 0x100 in one byte. */
  pfc?: boolean;
}

/** HDLC all-stations address (RFC 1662 §3.1). */
export const PPP_ADDRESS = 0xff;
/** HDLC Unnumbered Information control byte (RFC 1662 §3.1). */
export const PPP_CONTROL = 0x03;

/**
 * Parses a PPP frame header. Checks the length before every read; a
 * protocol whose least significant bit of the low byte is 0 or whose high
 * byte has the low bit set is invalid (RFC 1661 §2).
 */
export function parsePppFrame(bytes: Uint8Array): Parsed<PppFrame> {
  let off = 0;
  if (bytes.length < 1) return fail('TRUNCATED', 0, 'protocol');
  if (bytes[0] === PPP_ADDRESS) {
    if (bytes.length < 2) return fail('TRUNCATED', 1, 'control');
    if (bytes[1] !== PPP_CONTROL) return fail('BAD_VALUE', 1, 'control');
    off = 2;
  }
  if (bytes.length < off + 1) return fail('TRUNCATED', off, 'protocol');
  const first = bytes[off]!;
  let protocol: number;
  if (first & 1) {
    // PFC: a single odd byte is the whole protocol field.
    protocol = first;
    off += 1;
  } else {
    if (bytes.length < off + 2) return fail('TRUNCATED', off, 'protocol');
    const second = bytes[off + 1]!;
    // RFC 1661 §2: the low byte is odd, the high byte even.
    if ((second & 1) === 0) return fail('BAD_VALUE', off + 1, 'protocol');
    protocol = (first << 8) | second;
    off += 2;
  }
  return ok({ protocol, information: bytes.subarray(off) }, bytes.length);
}

/** Header bytes the encoder writes for `protocol` under `opts`. */
export function pppHeaderLength(protocol: number, opts: PppHeaderOptions = {}): number {
  return (opts.acfc ? 0 : 2) + (opts.pfc && protocol < 0x100 ? 1 : 2);
}

/** Encoded length of a frame. */
export function pppFrameLength(frame: PppFrame, opts: PppHeaderOptions = {}): number {
  return pppHeaderLength(frame.protocol, opts) + frame.information.length;
}

/**
 * Writes the header for `protocol` into `out` at `off` and returns the
 * offset after it. The data path uses this to build frames in place.
 */
export function writePppHeader(out: Uint8Array, off: number, protocol: number, opts: PppHeaderOptions = {}): number {
  if (!opts.acfc) {
    out[off++] = PPP_ADDRESS;
    out[off++] = PPP_CONTROL;
  }
  // The caller passes no options for LCP: RFC 1661 §6.6 keeps FF 03 on LCP
  // packets, and 0xc021 never fits one byte anyway.
  if (opts.pfc && protocol < 0x100) out[off++] = protocol;
  else {
    out[off++] = protocol >>> 8;
    out[off++] = protocol & 0xff;
  }
  return off;
}

/** Encodes a whole frame (a fresh buffer). */
export function encodePppFrame(frame: PppFrame, opts: PppHeaderOptions = {}): Uint8Array {
  const out = new Uint8Array(pppFrameLength(frame, opts));
  const off = writePppHeader(out, 0, frame.protocol, opts);
  out.set(frame.information, off);
  return out;
}

/** True for a value the protocol field can carry (RFC 1661 §2). */
export function isValidProtocol(protocol: number): boolean {
  return protocol > 0 && protocol <= 0xffff && (protocol & 1) === 1 && ((protocol >>> 8) & 1) === 0;
}
