/**
 * Codecs for PAP (RFC 1334 §2.2) and CHAP (RFC 1994 §4) packets, the PPP
 * information field after protocol 0xC023 / 0xC223. MS-CHAP (RFC 2433,
 * RFC 2759) reuses the CHAP layout with fixed value sizes, checked by the
 * machines, not here.
 *
 * Parsers never throw: they return Parsed<T>. Octets after Length are
 * padding and ignored (RFC 1661 §5); a Length beyond the data or below the
 * header is BAD_LENGTH.
 */
import { fail, ok, type Parsed } from '../../wire/parsed.js';

/** CHAP packet codes (RFC 1994 §4; 7 = MS-CHAPv2 Change-Password, RFC 2759 §7). */
export const CHAP_CODE = { CHALLENGE: 1, RESPONSE: 2, SUCCESS: 3, FAILURE: 4, CHANGE_PASSWORD: 7 } as const;

/** PAP packet codes (RFC 1334 §2.2). */
export const PAP_CODE = { AUTHENTICATE_REQUEST: 1, AUTHENTICATE_ACK: 2, AUTHENTICATE_NAK: 3 } as const;

/** A parsed CHAP packet. Views point into the input. */
export type ChapPacket =
  | { code: 1 | 2; identifier: number; value: Uint8Array; name: Uint8Array }
  | { code: 3 | 4; identifier: number; message: Uint8Array }
  /** Any other code (including Change-Password): the raw data after the header. */
  | { code: number; identifier: number; data: Uint8Array; other: true };

/** A parsed PAP packet. Views point into the input. */
export type PapPacket =
  | { code: 1; identifier: number; peerId: Uint8Array; password: Uint8Array }
  | { code: 2 | 3; identifier: number; message: Uint8Array }
  | { code: number; identifier: number; data: Uint8Array; other: true };

/** Reads the 4-octet Code/Identifier/Length header and returns the packet's end. */
function header(b: Uint8Array): Parsed<{ code: number; identifier: number; length: number }> {
  if (b.length < 4) return fail('TRUNCATED', b.length, 'header');
  const length = (b[2]! << 8) | b[3]!;
  if (length < 4 || length > b.length) return fail('BAD_LENGTH', 2, 'length');
  return ok({ code: b[0]!, identifier: b[1]!, length }, length);
}

/** Parses a CHAP packet. */
export function parseChapPacket(b: Uint8Array): Parsed<ChapPacket> {
  const h = header(b);
  if (!h.ok) return h;
  const { code, identifier, length } = h.value;
  if (code === CHAP_CODE.CHALLENGE || code === CHAP_CODE.RESPONSE) {
    if (length < 5) return fail('TRUNCATED', 4, 'valueSize');
    const size = b[4]!;
    if (size < 1 || 5 + size > length) return fail('BAD_LENGTH', 4, 'valueSize');
    return ok({ code, identifier, value: b.subarray(5, 5 + size), name: b.subarray(5 + size, length) }, length);
  }
  if (code === CHAP_CODE.SUCCESS || code === CHAP_CODE.FAILURE) {
    return ok({ code, identifier, message: b.subarray(4, length) }, length);
  }
  return ok({ code, identifier, data: b.subarray(4, length), other: true }, length);
}

/** Octets `encodeChapPacket(p)` produces. */
export function chapPacketLength(p: ChapPacket): number {
  if ('other' in p) return 4 + p.data.length;
  if ('value' in p) return 5 + p.value.length + p.name.length;
  return 4 + p.message.length;
}

/** Encodes a CHAP packet. */
export function encodeChapPacket(p: ChapPacket): Uint8Array {
  const len = chapPacketLength(p);
  const out = new Uint8Array(len);
  out[0] = p.code;
  out[1] = p.identifier & 0xff;
  out[2] = len >> 8;
  out[3] = len & 0xff;
  if ('other' in p) out.set(p.data, 4);
  else if ('value' in p) {
    out[4] = p.value.length;
    out.set(p.value, 5);
    out.set(p.name, 5 + p.value.length);
  } else out.set(p.message, 4);
  return out;
}

/** Parses a PAP packet. */
export function parsePapPacket(b: Uint8Array): Parsed<PapPacket> {
  const h = header(b);
  if (!h.ok) return h;
  const { code, identifier, length } = h.value;
  if (code === PAP_CODE.AUTHENTICATE_REQUEST) {
    if (length < 5) return fail('TRUNCATED', 4, 'peerIdLength');
    const idLen = b[4]!;
    const pwAt = 5 + idLen;
    if (pwAt >= length) return fail('BAD_LENGTH', 4, 'peerIdLength');
    const pwLen = b[pwAt]!;
    if (pwAt + 1 + pwLen > length) return fail('BAD_LENGTH', pwAt, 'passwdLength');
    return ok({ code, identifier, peerId: b.subarray(5, pwAt), password: b.subarray(pwAt + 1, pwAt + 1 + pwLen) }, length);
  }
  if (code === PAP_CODE.AUTHENTICATE_ACK || code === PAP_CODE.AUTHENTICATE_NAK) {
    // RFC 1334 §2.2.2: Msg-Length then Message. Some peers omit Msg-Length entirely.
    if (length === 4) return ok({ code, identifier, message: new Uint8Array(0) }, length);
    const mLen = b[4]!;
    if (5 + mLen > length) return fail('BAD_LENGTH', 4, 'msgLength');
    return ok({ code, identifier, message: b.subarray(5, 5 + mLen) }, length);
  }
  return ok({ code, identifier, data: b.subarray(4, length), other: true }, length);
}

/** Octets `encodePapPacket(p)` produces. */
export function papPacketLength(p: PapPacket): number {
  if ('other' in p) return 4 + p.data.length;
  if ('peerId' in p) return 6 + p.peerId.length + p.password.length;
  return 5 + p.message.length;
}

/** Encodes a PAP packet. Peer-ID, Password and Message are cut to 255 octets. */
export function encodePapPacket(p: PapPacket): Uint8Array {
  const q: PapPacket =
    'other' in p ? p
      : 'peerId' in p ? { ...p, peerId: p.peerId.subarray(0, 255), password: p.password.subarray(0, 255) }
        : { ...p, message: p.message.subarray(0, 255) };
  const len = papPacketLength(q);
  const out = new Uint8Array(len);
  out[0] = q.code;
  out[1] = q.identifier & 0xff;
  out[2] = len >> 8;
  out[3] = len & 0xff;
  if ('other' in q) out.set(q.data, 4);
  else if ('peerId' in q) {
    out[4] = q.peerId.length;
    out.set(q.peerId, 5);
    out[5 + q.peerId.length] = q.password.length;
    out.set(q.password, 6 + q.peerId.length);
  } else {
    out[4] = q.message.length;
    out.set(q.message, 5);
  }
  return out;
}
