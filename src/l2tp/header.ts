/**
 * L2TP header codec (RFC 2661 §3.1), for control and data messages.
 *
 *   |T|L|x|x|S|x|O|P|x|x|x|x|  Ver  |          Length (opt)         |
 *   |           Tunnel ID           |           Session ID          |
 *   |             Ns (opt)          |             Nr (opt)          |
 *   |      Offset Size (opt)        |    Offset pad... (opt)
 *
 * Control messages MUST have L=1, S=1, O=0, P=0 (§3.1); we drop control
 * messages that break this. Version 2 only: version 3 (L2TPv3) and 1 (L2F)
 * are dropped as UNSUPPORTED. The parse returns where the payload starts and
 * ends, without copying, because the data path calls it per packet.
 *
 * Read RFC 2661 §3.1 before editing.
 */
import { fail, ok, type Parsed } from '../wire/parsed.js';
import { HDR } from './constants.js';

/** A decoded L2TP header. */
export interface L2tpHeader {
  /** T bit: a control message. */
  isControl: boolean;
  tunnelId: number;
  sessionId: number;
  /** Present when the S bit is set. */
  ns?: number;
  nr?: number;
  /** Present when the L bit is set: total message length in bytes. */
  length?: number;
  /** Present when the O bit is set (data messages only). */
  offsetSize?: number;
  /** P bit: the receiver should give this data message preferential treatment. */
  priority: boolean;
}

/** A parsed header and the payload's bounds in the input buffer. */
export interface L2tpFrame {
  header: L2tpHeader;
  payloadStart: number;
  payloadEnd: number;
}

/** Parses the header of `buf[start, end)`. Never throws. */
export function parseL2tpHeader(buf: Uint8Array, start = 0, end = buf.length): Parsed<L2tpFrame> {
  if (end - start < 6) return fail('TRUNCATED', start, 'header');
  const flags = (buf[start]! << 8) | buf[start + 1]!;
  const version = flags & HDR.VERSION_MASK;
  if (version !== HDR.VERSION) return fail('UNSUPPORTED', start + 1, 'version');
  const isControl = (flags & HDR.T) !== 0;
  const hasLength = (flags & HDR.L) !== 0;
  const hasSeq = (flags & HDR.S) !== 0;
  const hasOffset = (flags & HDR.O) !== 0;
  if (isControl && (!hasLength || !hasSeq || hasOffset)) return fail('BAD_VALUE', start, 'control-flags');
  let p = start + 2;
  let length: number | undefined;
  const need = 2 + (hasLength ? 2 : 0) + 4 + (hasSeq ? 4 : 0) + (hasOffset ? 2 : 0);
  if (end - start < need) return fail('TRUNCATED', start, 'header');
  if (hasLength) {
    length = (buf[p]! << 8) | buf[p + 1]!;
    p += 2;
    if (length < need) return fail('BAD_LENGTH', start + 2, 'length');
    if (length > end - start) return fail('TRUNCATED', start + 2, 'length');
  }
  const tunnelId = (buf[p]! << 8) | buf[p + 1]!;
  const sessionId = (buf[p + 2]! << 8) | buf[p + 3]!;
  p += 4;
  const header: L2tpHeader = { isControl, tunnelId, sessionId, priority: (flags & HDR.P) !== 0 };
  if (length !== undefined) header.length = length;
  if (hasSeq) {
    header.ns = (buf[p]! << 8) | buf[p + 1]!;
    header.nr = (buf[p + 2]! << 8) | buf[p + 3]!;
    p += 4;
  }
  const msgEnd = length !== undefined ? start + length : end;
  if (hasOffset) {
    const offsetSize = (buf[p]! << 8) | buf[p + 1]!;
    p += 2;
    if (p + offsetSize > msgEnd) return fail('BAD_LENGTH', p - 2, 'offset-size');
    header.offsetSize = offsetSize;
    p += offsetSize;
  }
  return ok({ header, payloadStart: p, payloadEnd: msgEnd }, msgEnd - start);
}

/** Bytes the header of `h` takes (with the offset padding). */
export function l2tpHeaderLength(h: L2tpHeader): number {
  return 6 + (h.isControl || h.length !== undefined ? 2 : 0) + (h.isControl || h.ns !== undefined ? 4 : 0) + (h.offsetSize !== undefined ? 2 + h.offsetSize : 0);
}

/**
 * Writes the header for a message with `payloadBytes` of payload into `out`
 * at `offset`; returns the header length. Control headers always carry the
 * length and Ns/Nr. For data headers the length field is written when
 * `h.length` is defined (its value is recomputed), Ns/Nr when `h.ns` is.
 */
export function encodeL2tpHeaderInto(h: L2tpHeader, payloadBytes: number, out: Uint8Array, offset: number): number {
  const hasLength = h.isControl || h.length !== undefined;
  const hasSeq = h.isControl || h.ns !== undefined;
  const hasOffset = !h.isControl && h.offsetSize !== undefined;
  const hdrLen = l2tpHeaderLength(h);
  let flags = HDR.VERSION;
  if (h.isControl) flags |= HDR.T;
  if (hasLength) flags |= HDR.L;
  if (hasSeq) flags |= HDR.S;
  if (hasOffset) flags |= HDR.O;
  if (h.priority && !h.isControl) flags |= HDR.P;
  let p = offset;
  out[p++] = flags >>> 8;
  out[p++] = flags & 0xff;
  if (hasLength) {
    const total = hdrLen + payloadBytes;
    out[p++] = (total >>> 8) & 0xff;
    out[p++] = total & 0xff;
  }
  out[p++] = (h.tunnelId >>> 8) & 0xff;
  out[p++] = h.tunnelId & 0xff;
  out[p++] = (h.sessionId >>> 8) & 0xff;
  out[p++] = h.sessionId & 0xff;
  if (hasSeq) {
    const ns = h.ns ?? 0;
    const nr = h.nr ?? 0;
    out[p++] = (ns >>> 8) & 0xff;
    out[p++] = ns & 0xff;
    out[p++] = (nr >>> 8) & 0xff;
    out[p++] = nr & 0xff;
  }
  if (hasOffset) {
    const size = h.offsetSize!;
    out[p++] = (size >>> 8) & 0xff;
    out[p++] = size & 0xff;
    out.fill(0, p, p + size);
    p += size;
  }
  return p - offset;
}

/** Encodes a whole message: header then `payload`. */
export function encodeL2tp(h: L2tpHeader, payload: Uint8Array): Uint8Array {
  const hdrLen = l2tpHeaderLength(h);
  const out = new Uint8Array(hdrLen + payload.length);
  encodeL2tpHeaderInto(h, payload.length, out, 0);
  out.set(payload, hdrLen);
  return out;
}
