/**
 * Enhanced GRE, the PPTP data-plane header (RFC 2637 §4.1; the base header
 * is RFC 2784 with the Key and Sequence Number fields of RFC 2890, which
 * PPTP predates and redefines).
 *
 *   C R K S s Recur | A Flags Ver | Protocol Type 0x880B
 *   Key: Payload Length (high 16 bits) | Call ID (low 16 bits)
 *   Sequence Number      (present when S = 1)
 *   Acknowledgment Number (present when A = 1)
 *
 * Accepted: Ver 1, Protocol Type 0x880B, K = 1, C = R = s = Recur = Flags = 0
 * (§4.1 fixes each of them). Everything else is rejected with a reason;
 * version 0 is plain GRE (RFC 2784, e.g. GRE keepalives or IP-in-GRE) and is
 * UNSUPPORTED, not malformed. A Payload Length longer than the bytes present
 * is TRUNCATED; bytes after the payload (link padding) are ignored.
 *
 * Two APIs: `parseGre`/`encodeGre`/`greLength` build objects (tests, control
 * of the odd packet), and `readGreHeader`/`writeGreHeader` fill a reusable
 * struct or a caller's buffer for the per-packet path (no allocation).
 * Read RFC 2637 §4.1 before editing.
 */
import { type Parsed, type WireError, ok } from '../wire/parsed.js';

/** IP protocol number of GRE. */
export const IP_PROTO_GRE = 47;
/** GRE Protocol Type for PPP (RFC 2637 §4.1, "hex 880B"). */
export const GRE_PROTOCOL_PPP = 0x880b;
/** GRE version of PPTP's enhanced header. */
export const GRE_VERSION_ENHANCED = 1;
/** Octets of the fixed part: flags/version, protocol, key. */
export const GRE_BASE_HEADER_BYTES = 8;
/** The longest enhanced GRE header (sequence and acknowledgment present). */
export const GRE_MAX_HEADER_BYTES = 16;

/** Flag bits of the first two header octets, as one big-endian u16. */
export const GRE_FLAG = {
  /** Checksum Present: must be 0. */
  C: 0x8000,
  /** Routing Present: must be 0. */
  R: 0x4000,
  /** Key Present: must be 1. */
  K: 0x2000,
  /** Sequence Number Present: 1 on data packets. */
  S: 0x1000,
  /** Strict source route: must be 0. */
  s: 0x0800,
  /** Recursion control (3 bits): must be 0. */
  RECUR: 0x0700,
  /** Acknowledgment Number Present. */
  A: 0x0080,
  /** Flags (4 bits): must be 0. */
  FLAGS: 0x0078,
  /** Version (3 bits). */
  VER: 0x0007,
} as const;

/** One enhanced GRE packet. */
export interface GrePacket {
  /** The receiver's Call ID (the "Peer's Call ID" of the sender, §4.1 Key low half). */
  callId: number;
  /** Sequence Number, when S = 1 (data packets). */
  seq?: number;
  /** Acknowledgment Number, when A = 1. */
  ack?: number;
  /** The PPP packet (a view into the input when parsed). */
  payload: Uint8Array;
}

/** A reusable header struct for `readGreHeader` (the per-packet path). */
export interface GreHeader {
  callId: number;
  payloadLength: number;
  hasSeq: boolean;
  seq: number;
  hasAck: boolean;
  ack: number;
  /** Header octets (8, 12 or 16); the payload starts here. */
  headerLength: number;
}

/** A fresh zeroed header struct. */
export function newGreHeader(): GreHeader {
  return { callId: 0, payloadLength: 0, hasSeq: false, seq: 0, hasAck: false, ack: 0, headerLength: 0 };
}

const MUST_BE_ZERO = GRE_FLAG.C | GRE_FLAG.R | GRE_FLAG.s | GRE_FLAG.RECUR | GRE_FLAG.FLAGS;

/**
 * Reads the header at `bytes[0]` into `out`. Returns undefined when it is a
 * valid PPTP enhanced GRE header whose payload is all present, else the error.
 */
export function readGreHeader(bytes: Uint8Array, out: GreHeader): WireError | undefined {
  const n = bytes.length;
  if (n < 4) return { code: 'TRUNCATED', offset: n, field: 'header' };
  const flags = (bytes[0]! << 8) | bytes[1]!;
  if ((flags & GRE_FLAG.VER) !== GRE_VERSION_ENHANCED) return { code: 'UNSUPPORTED', offset: 1, field: 'version' };
  if (((bytes[2]! << 8) | bytes[3]!) !== GRE_PROTOCOL_PPP) return { code: 'UNSUPPORTED', offset: 2, field: 'protocolType' };
  if ((flags & MUST_BE_ZERO) !== 0) return { code: 'BAD_VALUE', offset: 0, field: 'flags' };
  if ((flags & GRE_FLAG.K) === 0) return { code: 'BAD_VALUE', offset: 0, field: 'key' };
  const hasSeq = (flags & GRE_FLAG.S) !== 0;
  const hasAck = (flags & GRE_FLAG.A) !== 0;
  const headerLength = GRE_BASE_HEADER_BYTES + (hasSeq ? 4 : 0) + (hasAck ? 4 : 0);
  if (n < headerLength) return { code: 'TRUNCATED', offset: n, field: 'header' };
  const payloadLength = (bytes[4]! << 8) | bytes[5]!;
  if (n - headerLength < payloadLength) return { code: 'TRUNCATED', offset: n, field: 'payload' };
  out.callId = (bytes[6]! << 8) | bytes[7]!;
  out.payloadLength = payloadLength;
  out.hasSeq = hasSeq;
  out.hasAck = hasAck;
  let off = 8;
  if (hasSeq) {
    out.seq = ((bytes[off]! << 24) | (bytes[off + 1]! << 16) | (bytes[off + 2]! << 8) | bytes[off + 3]!) >>> 0;
    off += 4;
  } else out.seq = 0;
  if (hasAck) out.ack = ((bytes[off]! << 24) | (bytes[off + 1]! << 16) | (bytes[off + 2]! << 8) | bytes[off + 3]!) >>> 0;
  else out.ack = 0;
  out.headerLength = headerLength;
  return undefined;
}

/** Parses one enhanced GRE packet; the payload is a view into `bytes`. Never throws. */
export function parseGre(bytes: Uint8Array): Parsed<GrePacket> {
  const h = newGreHeader();
  const err = readGreHeader(bytes, h);
  if (err) return { ok: false, error: err };
  const pkt: GrePacket = { callId: h.callId, payload: bytes.subarray(h.headerLength, h.headerLength + h.payloadLength) };
  if (h.hasSeq) pkt.seq = h.seq;
  if (h.hasAck) pkt.ack = h.ack;
  return ok(pkt, h.headerLength + h.payloadLength);
}

/** Header octets for a packet with or without sequence and acknowledgment numbers. */
export function greHeaderLength(hasSeq: boolean, hasAck: boolean): number {
  return GRE_BASE_HEADER_BYTES + (hasSeq ? 4 : 0) + (hasAck ? 4 : 0);
}

/** Total octets of `pkt` on the wire. */
export function greLength(pkt: GrePacket): number {
  return greHeaderLength(pkt.seq !== undefined, pkt.ack !== undefined) + pkt.payload.length;
}

/**
 * Writes a header at `buf[offset]` and returns its length. `seq` and `ack`
 * are omitted when negative. The payload (`payloadLength` octets) is the
 * caller's to place after the header.
 */
export function writeGreHeader(buf: Uint8Array, offset: number, callId: number, payloadLength: number, seq: number, ack: number): number {
  let flags = GRE_FLAG.K | GRE_VERSION_ENHANCED;
  if (seq >= 0) flags |= GRE_FLAG.S;
  if (ack >= 0) flags |= GRE_FLAG.A;
  buf[offset] = flags >>> 8;
  buf[offset + 1] = flags & 0xff;
  buf[offset + 2] = GRE_PROTOCOL_PPP >>> 8;
  buf[offset + 3] = GRE_PROTOCOL_PPP & 0xff;
  buf[offset + 4] = (payloadLength >>> 8) & 0xff;
  buf[offset + 5] = payloadLength & 0xff;
  buf[offset + 6] = (callId >>> 8) & 0xff;
  buf[offset + 7] = callId & 0xff;
  let off = offset + 8;
  if (seq >= 0) {
    buf[off] = seq >>> 24;
    buf[off + 1] = (seq >>> 16) & 0xff;
    buf[off + 2] = (seq >>> 8) & 0xff;
    buf[off + 3] = seq & 0xff;
    off += 4;
  }
  if (ack >= 0) {
    buf[off] = ack >>> 24;
    buf[off + 1] = (ack >>> 16) & 0xff;
    buf[off + 2] = (ack >>> 8) & 0xff;
    buf[off + 3] = ack & 0xff;
    off += 4;
  }
  return off - offset;
}

/** Encodes `pkt` (header then payload) into a new buffer. */
export function encodeGre(pkt: GrePacket): Uint8Array {
  const out = new Uint8Array(greLength(pkt));
  const h = writeGreHeader(out, 0, pkt.callId, pkt.payload.length, pkt.seq ?? -1, pkt.ack ?? -1);
  out.set(pkt.payload, h);
  return out;
}

/** A one-line explanation of a GRE parse error, for logs and `tunppp doctor`. */
export function describeGreError(err: WireError): string {
  switch (err.field) {
    case 'version':
      return 'GRE version is not 1: plain GRE (RFC 2784), not PPTP enhanced GRE (RFC 2637 §4.1)';
    case 'protocolType':
      return 'GRE protocol type is not 0x880B (PPP): not PPTP data';
    case 'flags':
      return 'GRE C, R, s, Recur or Flags bits set: PPTP enhanced GRE requires them to be 0';
    case 'key':
      return 'GRE Key bit clear: PPTP carries the call ID in the key';
    case 'payload':
      return 'GRE payload length exceeds the packet';
    default:
      return `GRE header ${err.code.toLowerCase()} at offset ${err.offset}`;
  }
}
