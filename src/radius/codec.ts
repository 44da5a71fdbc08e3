/**
 * RADIUS packets and attributes: RFC 2865 §3 (packet format), §5 (attribute
 * format, User-Password hiding §5.2), RFC 2866 §3 (Accounting-Request
 * authenticator), RFC 2869 §5.14 (Message-Authenticator), RFC 2548
 * (Microsoft Vendor-Specific attributes, MS-MPPE-Send/Recv-Key salt
 * encryption §2.4.2–2.4.3) and the RFC 5176 Disconnect/CoA codes.
 *
 * Layering: `parseRadiusPacket`/`encodeRadiusPacket`/`radiusPacketLength` are
 * a plain codec over raw attributes (type + value octets). Signing and
 * checking authenticators work on the encoded bytes (`signRequest`,
 * `signResponse`, `verifyResponse`, `verifyRequest`), because both hashes
 * cover the exact octets on the wire.
 *
 * Read RFC 2865 §3 ("Response Authenticator") and RFC 2869 §5.14 before
 * editing: the Message-Authenticator is computed first (over the packet with
 * its own value zeroed), the Response/Accounting authenticator second.
 *
 * Left out: Tunnel-Password and other RFC 2868 salted attributes, EAP
 * (RFC 3579), RFC 6929 extended attributes (parsed as raw attributes only).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { LocalUsageError } from '../core/errors.js';
import { parseIpv4 } from '../config/ipv4.js';
import { fail, ok, type Parsed } from '../wire/parsed.js';

/** RADIUS Codes (RFC 2865 §3, RFC 2866 §3, RFC 5176 §2). */
export const RADIUS_CODE = {
  ACCESS_REQUEST: 1,
  ACCESS_ACCEPT: 2,
  ACCESS_REJECT: 3,
  ACCOUNTING_REQUEST: 4,
  ACCOUNTING_RESPONSE: 5,
  ACCESS_CHALLENGE: 11,
  DISCONNECT_REQUEST: 40,
  DISCONNECT_ACK: 41,
  DISCONNECT_NAK: 42,
  COA_REQUEST: 43,
  COA_ACK: 44,
  COA_NAK: 45,
} as const;

/** Attribute types used by tunppp (RFC 2865 §5, RFC 2866 §5, RFC 2869 §5). */
export const ATTR = {
  USER_NAME: 1,
  USER_PASSWORD: 2,
  CHAP_PASSWORD: 3,
  NAS_IP_ADDRESS: 4,
  NAS_PORT: 5,
  SERVICE_TYPE: 6,
  FRAMED_PROTOCOL: 7,
  FRAMED_IP_ADDRESS: 8,
  FILTER_ID: 11,
  FRAMED_MTU: 12,
  REPLY_MESSAGE: 18,
  STATE: 24,
  CLASS: 25,
  VENDOR_SPECIFIC: 26,
  SESSION_TIMEOUT: 27,
  IDLE_TIMEOUT: 28,
  CALLED_STATION_ID: 30,
  CALLING_STATION_ID: 31,
  NAS_IDENTIFIER: 32,
  PROXY_STATE: 33,
  ACCT_STATUS_TYPE: 40,
  ACCT_DELAY_TIME: 41,
  ACCT_INPUT_OCTETS: 42,
  ACCT_OUTPUT_OCTETS: 43,
  ACCT_SESSION_ID: 44,
  ACCT_AUTHENTIC: 45,
  ACCT_SESSION_TIME: 46,
  ACCT_INPUT_PACKETS: 47,
  ACCT_OUTPUT_PACKETS: 48,
  ACCT_TERMINATE_CAUSE: 49,
  ACCT_MULTI_SESSION_ID: 50,
  ACCT_INPUT_GIGAWORDS: 52,
  ACCT_OUTPUT_GIGAWORDS: 53,
  EVENT_TIMESTAMP: 55,
  CHAP_CHALLENGE: 60,
  NAS_PORT_TYPE: 61,
  ACCT_INTERIM_INTERVAL: 85,
  FRAMED_POOL: 88,
  MESSAGE_AUTHENTICATOR: 80,
  NAS_PORT_ID: 87,
  ERROR_CAUSE: 101,
} as const;

/** Microsoft's SMI Network Management Private Enterprise Code (RFC 2548 §2). */
export const VENDOR_MICROSOFT = 311;

/** Microsoft vendor attribute types (RFC 2548 §2). */
export const MS_ATTR = {
  MS_CHAP_RESPONSE: 1,
  MS_CHAP_ERROR: 2,
  MS_MPPE_ENCRYPTION_POLICY: 7,
  MS_MPPE_ENCRYPTION_TYPES: 8,
  MS_CHAP_CHALLENGE: 11,
  MS_CHAP_MPPE_KEYS: 12,
  MS_MPPE_SEND_KEY: 16,
  MS_MPPE_RECV_KEY: 17,
  MS_CHAP2_RESPONSE: 25,
  MS_CHAP2_SUCCESS: 26,
} as const;

/** Acct-Status-Type values (RFC 2866 §5.1). */
export const ACCT_STATUS = { START: 1, STOP: 2, INTERIM_UPDATE: 3, ACCOUNTING_ON: 7, ACCOUNTING_OFF: 8 } as const;

/** Acct-Terminate-Cause values (RFC 2866 §5.10). */
export const TERMINATE_CAUSE = {
  USER_REQUEST: 1,
  LOST_CARRIER: 2,
  LOST_SERVICE: 3,
  IDLE_TIMEOUT: 4,
  SESSION_TIMEOUT: 5,
  ADMIN_RESET: 6,
  ADMIN_REBOOT: 7,
  PORT_ERROR: 8,
  NAS_ERROR: 9,
  NAS_REQUEST: 10,
  NAS_REBOOT: 11,
  SERVICE_UNAVAILABLE: 15,
} as const;

/** Error-Cause values for Disconnect-ACK/NAK (RFC 5176 §3.5). */
export const ERROR_CAUSE = {
  UNSUPPORTED_ATTRIBUTE: 401,
  MISSING_ATTRIBUTE: 402,
  NAS_IDENTIFICATION_MISMATCH: 403,
  INVALID_REQUEST: 404,
  UNSUPPORTED_SERVICE: 405,
  INVALID_ATTRIBUTE_VALUE: 407,
  SESSION_CONTEXT_NOT_FOUND: 503,
} as const;

/** Service-Type Framed, Framed-Protocol PPP, NAS-Port-Type Virtual (RFC 2865 §5.6, §5.7, §5.41). */
export const SERVICE_TYPE_FRAMED = 2;
export const FRAMED_PROTOCOL_PPP = 1;
export const NAS_PORT_TYPE_VIRTUAL = 5;

/** RFC 2865 §3: packets are 20..4096 octets. */
export const RADIUS_MIN_LENGTH = 20;
export const RADIUS_MAX_LENGTH = 4096;
/** RFC 2865 §5: an attribute value is at most 253 octets. */
export const RADIUS_MAX_ATTRIBUTE_VALUE = 253;

/** One attribute: type and raw value (1..253 octets). */
export interface RadiusAttribute {
  type: number;
  value: Uint8Array;
}

/** A RADIUS packet with its attributes in wire order. */
export interface RadiusPacket {
  code: number;
  identifier: number;
  /** Request or Response Authenticator, 16 octets. */
  authenticator: Uint8Array;
  attributes: RadiusAttribute[];
}

/** One sub-attribute of a Vendor-Specific attribute (RFC 2865 §5.26 suggested format). */
export interface VendorAttribute {
  vendorId: number;
  vendorType: number;
  value: Uint8Array;
}

/**
 * Parses one RADIUS packet. Octets beyond Length are padding and ignored
 * (RFC 2865 §3); a Length beyond the datagram or an attribute that overruns
 * the packet is an error.
 */
export function parseRadiusPacket(bytes: Uint8Array): Parsed<RadiusPacket> {
  if (bytes.length < RADIUS_MIN_LENGTH) return fail('TRUNCATED', bytes.length, 'header');
  const length = (bytes[2]! << 8) | bytes[3]!;
  if (length < RADIUS_MIN_LENGTH || length > RADIUS_MAX_LENGTH) return fail('BAD_LENGTH', 2, 'length');
  if (length > bytes.length) return fail('TRUNCATED', bytes.length, 'length');
  const attributes: RadiusAttribute[] = [];
  let pos = RADIUS_MIN_LENGTH;
  while (pos < length) {
    if (pos + 2 > length) return fail('TRUNCATED', pos, 'attribute');
    const type = bytes[pos]!;
    const alen = bytes[pos + 1]!;
    // RFC 2865 §5: Length covers Type and Length, so at least 2; values may not be empty for any attribute we use,
    // but the format allows 2 and servers send it, so only < 2 is malformed.
    if (alen < 2) return fail('BAD_LENGTH', pos + 1, 'attribute length');
    if (pos + alen > length) return fail('BAD_LENGTH', pos + 1, 'attribute length');
    attributes.push({ type, value: bytes.slice(pos + 2, pos + alen) });
    pos += alen;
  }
  return ok({ code: bytes[0]!, identifier: bytes[1]!, authenticator: bytes.slice(4, 20), attributes }, length);
}

/** Encoded length of `p`. */
export function radiusPacketLength(p: RadiusPacket): number {
  let n = RADIUS_MIN_LENGTH;
  for (const a of p.attributes) n += 2 + a.value.length;
  return n;
}

/**
 * Encodes `p` as is (the authenticator is copied, not computed; see
 * `signRequest`/`signResponse`). Throws LocalUsageError for an attribute value over
 * 253 octets or a packet over 4096 octets: both are our own bugs.
 */
export function encodeRadiusPacket(p: RadiusPacket): Uint8Array {
  const length = radiusPacketLength(p);
  if (length > RADIUS_MAX_LENGTH) throw new LocalUsageError(`RADIUS packet of ${length} octets exceeds 4096`);
  if (p.authenticator.length !== 16) throw new LocalUsageError('RADIUS authenticator must be 16 octets');
  const out = new Uint8Array(length);
  out[0] = p.code;
  out[1] = p.identifier;
  out[2] = length >> 8;
  out[3] = length & 0xff;
  out.set(p.authenticator, 4);
  let pos = RADIUS_MIN_LENGTH;
  for (const a of p.attributes) {
    if (a.value.length > 253) throw new LocalUsageError(`RADIUS attribute ${a.type} value of ${a.value.length} octets exceeds 253`);
    out[pos] = a.type;
    out[pos + 1] = a.value.length + 2;
    out.set(a.value, pos + 2);
    pos += 2 + a.value.length;
  }
  return out;
}

// ---------------------------------------------------------------- attribute values

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: false });

/**
 * A text attribute (UTF-8). Text longer than 253 octets is cut at the last
 * whole character that fits (RFC 2865 §5): encoding never fails on a long
 * string, wherever it came from.
 */
export function textAttr(type: number, s: string): RadiusAttribute {
  return { type, value: utf8Prefix(utf8Encoder.encode(s), RADIUS_MAX_ATTRIBUTE_VALUE) };
}

/** The longest prefix of UTF-8 `bytes` of at most `max` octets that does not split a character. */
export function utf8Prefix(bytes: Uint8Array, max: number): Uint8Array {
  if (bytes.length <= max) return bytes;
  let end = max;
  // Back up over continuation octets (10xxxxxx) to the start of the cut character.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.slice(0, end);
}

/** An integer attribute (32-bit unsigned, RFC 2865 §5 "integer"). */
export function intAttr(type: number, v: number): RadiusAttribute {
  const b = new Uint8Array(4);
  b[0] = (v >>> 24) & 0xff;
  b[1] = (v >>> 16) & 0xff;
  b[2] = (v >>> 8) & 0xff;
  b[3] = v & 0xff;
  return { type, value: b };
}

/** An address attribute from dotted-quad text (validated upstream: the config schema, the pool); throws on anything else. */
export function ipv4Attr(type: number, address: string): RadiusAttribute {
  const v = parseIpv4(address);
  if (v === undefined) throw new Error(`RADIUS attribute ${type}: '${address}' is not an IPv4 address`);
  return intAttr(type, v);
}

/** The first attribute of `type`, if any. */
export function findAttr(p: RadiusPacket, type: number): Uint8Array | undefined {
  return p.attributes.find((a) => a.type === type)?.value;
}

/** Every attribute of `type`, in order. */
export function findAttrs(p: RadiusPacket, type: number): Uint8Array[] {
  return p.attributes.filter((a) => a.type === type).map((a) => a.value);
}

/** An attribute value as text (lossy UTF-8). */
export function attrText(v: Uint8Array): string {
  return utf8Decoder.decode(v);
}

/** An integer attribute value, or undefined when it is not 4 octets. */
export function attrInt(v: Uint8Array | undefined): number | undefined {
  if (v === undefined || v.length !== 4) return undefined;
  return ((v[0]! << 24) | (v[1]! << 16) | (v[2]! << 8) | v[3]!) >>> 0;
}

/** An address attribute value as dotted quad, or undefined when it is not 4 octets. */
export function attrIpv4(v: Uint8Array | undefined): string | undefined {
  if (v === undefined || v.length !== 4) return undefined;
  return `${v[0]}.${v[1]}.${v[2]}.${v[3]}`;
}

/**
 * Parses a Vendor-Specific value (RFC 2865 §5.26): Vendor-Id, then
 * sub-attributes with one-octet type and length, as Microsoft's (RFC 2548)
 * and most vendors' use. A value that does not follow this format is an
 * error (the caller ignores the attribute).
 */
export function parseVendorSpecific(value: Uint8Array): Parsed<VendorAttribute[]> {
  if (value.length < 4) return fail('TRUNCATED', 0, 'vendor-id');
  const vendorId = ((value[0]! << 24) | (value[1]! << 16) | (value[2]! << 8) | value[3]!) >>> 0;
  const out: VendorAttribute[] = [];
  let pos = 4;
  while (pos < value.length) {
    if (pos + 2 > value.length) return fail('TRUNCATED', pos, 'vendor-type');
    const vlen = value[pos + 1]!;
    if (vlen < 2 || pos + vlen > value.length) return fail('BAD_LENGTH', pos + 1, 'vendor-length');
    out.push({ vendorId, vendorType: value[pos]!, value: value.slice(pos + 2, pos + vlen) });
    pos += vlen;
  }
  return ok(out, value.length);
}

/** A Vendor-Specific attribute holding one sub-attribute. */
export function encodeVendorSpecific(v: VendorAttribute): RadiusAttribute {
  if (v.value.length > 247) throw new LocalUsageError(`vendor attribute ${v.vendorId}:${v.vendorType} value exceeds 247 octets`);
  const b = new Uint8Array(6 + v.value.length);
  b[0] = (v.vendorId >>> 24) & 0xff;
  b[1] = (v.vendorId >>> 16) & 0xff;
  b[2] = (v.vendorId >>> 8) & 0xff;
  b[3] = v.vendorId & 0xff;
  b[4] = v.vendorType;
  b[5] = v.value.length + 2;
  b.set(v.value, 6);
  return { type: ATTR.VENDOR_SPECIFIC, value: b };
}

/** Every well-formed vendor sub-attribute of `vendorId` in `p`. */
export function vendorAttrs(p: RadiusPacket, vendorId: number): VendorAttribute[] {
  const out: VendorAttribute[] = [];
  for (const a of p.attributes) {
    if (a.type !== ATTR.VENDOR_SPECIFIC) continue;
    const r = parseVendorSpecific(a.value);
    if (r.ok && r.value[0]?.vendorId === vendorId) out.push(...r.value);
  }
  return out;
}

/** The first Microsoft attribute of `vendorType` in `p`. */
export function findMsAttr(p: RadiusPacket, vendorType: number): Uint8Array | undefined {
  return vendorAttrs(p, VENDOR_MICROSOFT).find((v) => v.vendorType === vendorType)?.value;
}

// ---------------------------------------------------------------- hashing

function md5(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

function secretBytes(secret: Uint8Array | string): Uint8Array {
  return typeof secret === 'string' ? utf8Encoder.encode(secret) : secret;
}

function equal16(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * RFC 2865 §5.2 User-Password hiding: the password padded with zeros to a
 * multiple of 16 (at most 128 octets), XORed block by block with
 * MD5(secret | previous ciphertext block), the first with the Request
 * Authenticator. RFC 2548 §2.4.1 uses the same method for MS-CHAP-MPPE-Keys.
 */
export function hidePassword(password: Uint8Array, secret: Uint8Array | string, requestAuthenticator: Uint8Array): Uint8Array {
  if (password.length > 128) throw new LocalUsageError('RADIUS User-Password is at most 128 octets');
  const s = secretBytes(secret);
  const len = Math.max(16, Math.ceil(password.length / 16) * 16);
  const out = new Uint8Array(len);
  out.set(password);
  let prev = requestAuthenticator;
  for (let i = 0; i < len; i += 16) {
    const b = md5(s, prev);
    for (let j = 0; j < 16; j++) out[i + j]! ^= b[j]!;
    prev = out.subarray(i, i + 16);
  }
  return out;
}

/**
 * Reverses `hidePassword`. Trailing zero padding is removed. A value that is
 * not a non-empty multiple of 16 octets is an error.
 */
export function unhidePassword(hidden: Uint8Array, secret: Uint8Array | string, requestAuthenticator: Uint8Array): Parsed<Uint8Array> {
  if (hidden.length === 0 || hidden.length % 16 !== 0 || hidden.length > 128) return fail('BAD_LENGTH', 0, 'User-Password');
  const s = secretBytes(secret);
  const out = new Uint8Array(hidden.length);
  let prev = requestAuthenticator;
  for (let i = 0; i < hidden.length; i += 16) {
    const b = md5(s, prev);
    for (let j = 0; j < 16; j++) out[i + j] = hidden[i + j]! ^ b[j]!;
    prev = hidden.subarray(i, i + 16);
  }
  let end = out.length;
  while (end > 0 && out[end - 1] === 0) end--;
  return ok(out.slice(0, end), hidden.length);
}

/**
 * RFC 2548 §2.4.2: encrypts an MPPE key for MS-MPPE-Send-Key/Recv-Key. The
 * plaintext is Key-Length | Key | zero padding to a multiple of 16; block 1
 * is XORed with MD5(secret | Request-Authenticator | Salt), block i with
 * MD5(secret | c(i-1)). Returns Salt | ciphertext. The Salt's top bit must be
 * set (the caller picks it; it must differ between the two keys).
 */
export function encryptMppeKey(key: Uint8Array, secret: Uint8Array | string, requestAuthenticator: Uint8Array, salt: number): Uint8Array {
  const s = secretBytes(secret);
  const plainLen = Math.ceil((key.length + 1) / 16) * 16;
  const out = new Uint8Array(2 + plainLen);
  out[0] = ((salt >> 8) & 0xff) | 0x80;
  out[1] = salt & 0xff;
  out[2] = key.length;
  out.set(key, 3);
  let prev: Uint8Array = Uint8Array.of(...requestAuthenticator, out[0], out[1]);
  for (let i = 2; i < out.length; i += 16) {
    const b = md5(s, prev);
    for (let j = 0; j < 16; j++) out[i + j]! ^= b[j]!;
    prev = out.subarray(i, i + 16);
  }
  return out;
}

/**
 * RFC 2548 §2.4.2–2.4.3: decrypts an MS-MPPE-Send-Key/Recv-Key value (Salt |
 * String) with the Request Authenticator of the Access-Request it answers.
 * Errors: a String that is not a non-empty multiple of 16, a Salt without its
 * top bit, or a Key-Length longer than the decrypted data (a wrong secret or
 * authenticator usually shows up here).
 */
export function decryptMppeKey(value: Uint8Array, secret: Uint8Array | string, requestAuthenticator: Uint8Array): Parsed<Uint8Array> {
  if (value.length < 18 || (value.length - 2) % 16 !== 0) return fail('BAD_LENGTH', 0, 'MPPE key');
  if ((value[0]! & 0x80) === 0) return fail('BAD_VALUE', 0, 'salt');
  const s = secretBytes(secret);
  const plain = new Uint8Array(value.length - 2);
  let prev: Uint8Array = Uint8Array.of(...requestAuthenticator, value[0]!, value[1]!);
  for (let i = 0; i < plain.length; i += 16) {
    const c = value.subarray(2 + i, 2 + i + 16);
    const b = md5(s, prev);
    for (let j = 0; j < 16; j++) plain[i + j] = c[j]! ^ b[j]!;
    prev = c;
  }
  const keyLength = plain[0]!;
  if (keyLength === 0 || keyLength > plain.length - 1) return fail('BAD_VALUE', 2, 'key length');
  return ok(plain.slice(1, 1 + keyLength), value.length);
}

// ---------------------------------------------------------------- authenticators

/** Offset of the Message-Authenticator value in `bytes`, or -1 (a well-formed packet is assumed). */
function messageAuthenticatorOffset(bytes: Uint8Array): number {
  const length = Math.min(bytes.length, (bytes[2]! << 8) | bytes[3]!);
  let pos = RADIUS_MIN_LENGTH;
  while (pos + 2 <= length) {
    const alen = bytes[pos + 1]!;
    if (alen < 2) return -1;
    if (bytes[pos] === ATTR.MESSAGE_AUTHENTICATOR && alen === 18) return pos + 2;
    pos += alen;
  }
  return -1;
}

/** An empty Message-Authenticator attribute to place in a packet before signing it. */
export function messageAuthenticatorPlaceholder(): RadiusAttribute {
  return { type: ATTR.MESSAGE_AUTHENTICATOR, value: new Uint8Array(16) };
}

/**
 * RFC 2869 §5.14: HMAC-MD5 over the packet with the Message-Authenticator
 * value zeroed and `authenticatorField` in the authenticator position.
 */
function computeMessageAuthenticator(bytes: Uint8Array, maOffset: number, authenticatorField: Uint8Array, secret: Uint8Array): Uint8Array {
  const copy = bytes.slice(0, (bytes[2]! << 8) | bytes[3]!);
  copy.set(authenticatorField, 4);
  copy.fill(0, maOffset, maOffset + 16);
  return new Uint8Array(createHmac('md5', secret).update(copy).digest());
}

/** Codes whose Request Authenticator is MD5 over the packet (RFC 2866 §3, RFC 5176 §2.3), not random. */
function hashedRequest(code: number): boolean {
  return code !== RADIUS_CODE.ACCESS_REQUEST;
}

/**
 * Signs an encoded request in place. Access-Request keeps its (random)
 * authenticator; Accounting-, Disconnect- and CoA-Request get
 * MD5(Code | Identifier | Length | 16 zero octets | Attributes | secret)
 * (RFC 2866 §3, RFC 5176 §2.3). A Message-Authenticator attribute, when
 * present, is filled first, computed with the Request Authenticator
 * (Access-Request) or 16 zero octets (the others, RFC 5176 §3.5).
 */
export function signRequest(bytes: Uint8Array, secret: Uint8Array | string): Uint8Array {
  const s = secretBytes(secret);
  const ma = messageAuthenticatorOffset(bytes);
  const zero = new Uint8Array(16);
  if (hashedRequest(bytes[0]!)) {
    if (ma >= 0) bytes.set(computeMessageAuthenticator(bytes, ma, zero, s), ma);
    bytes.set(zero, 4);
    bytes.set(md5(bytes, s), 4);
  } else if (ma >= 0) {
    bytes.set(computeMessageAuthenticator(bytes, ma, bytes.subarray(4, 20), s), ma);
  }
  return bytes;
}

/**
 * Signs an encoded response in place: Message-Authenticator (if present) over
 * the packet with the Request Authenticator in place, then the Response
 * Authenticator MD5(Code | Identifier | Length | Request Authenticator |
 * Attributes | secret) (RFC 2865 §3).
 */
export function signResponse(bytes: Uint8Array, requestAuthenticator: Uint8Array, secret: Uint8Array | string): Uint8Array {
  const s = secretBytes(secret);
  const ma = messageAuthenticatorOffset(bytes);
  bytes.set(requestAuthenticator, 4);
  if (ma >= 0) bytes.set(computeMessageAuthenticator(bytes, ma, requestAuthenticator, s), ma);
  bytes.set(md5(bytes, s), 4);
  return bytes;
}

/** True when the Length field fits the datagram and the RADIUS bounds (RFC 2865 §3). */
function lengthFits(bytes: Uint8Array, length: number): boolean {
  return bytes.length >= RADIUS_MIN_LENGTH && length >= RADIUS_MIN_LENGTH && length <= bytes.length && length <= RADIUS_MAX_LENGTH;
}

/** Result of checking a received packet's authenticators. */
export type AuthenticatorCheck =
  | { ok: true; messageAuthenticator: boolean }
  | { ok: false; reason: 'bad-authenticator' | 'bad-message-authenticator' };

/**
 * Checks a response (Access-Accept/Reject/Challenge, Accounting-Response,
 * Disconnect/CoA-ACK/NAK) against the request's authenticator. The packet
 * must already have parsed. Reports whether a Message-Authenticator was present.
 */
export function verifyResponse(bytes: Uint8Array, requestAuthenticator: Uint8Array, secret: Uint8Array | string): AuthenticatorCheck {
  const s = secretBytes(secret);
  const length = (bytes[2]! << 8) | bytes[3]!;
  // Never throw on network input, even unparsed: a short or over-long Length fails the check.
  if (!lengthFits(bytes, length)) return { ok: false, reason: 'bad-authenticator' };
  const copy = bytes.slice(0, length);
  copy.set(requestAuthenticator, 4);
  if (!equal16(md5(copy, s), bytes.subarray(4, 20))) return { ok: false, reason: 'bad-authenticator' };
  const ma = messageAuthenticatorOffset(bytes);
  if (ma < 0) return { ok: true, messageAuthenticator: false };
  const want = computeMessageAuthenticator(bytes, ma, requestAuthenticator, s);
  return equal16(want, bytes.subarray(ma, ma + 16)) ? { ok: true, messageAuthenticator: true } : { ok: false, reason: 'bad-message-authenticator' };
}

/**
 * Checks a received request. Accounting-, Disconnect- and CoA-Requests carry
 * MD5 over the packet (RFC 2866 §3, RFC 5176 §2.3); an Access-Request's
 * authenticator is random, so only its Message-Authenticator is checked.
 */
export function verifyRequest(bytes: Uint8Array, secret: Uint8Array | string): AuthenticatorCheck {
  const s = secretBytes(secret);
  const length = (bytes[2]! << 8) | bytes[3]!;
  if (!lengthFits(bytes, length)) return { ok: false, reason: 'bad-authenticator' };
  const ma = messageAuthenticatorOffset(bytes);
  const zero = new Uint8Array(16);
  if (hashedRequest(bytes[0]!)) {
    const copy = bytes.slice(0, length);
    copy.set(zero, 4);
    if (!equal16(md5(copy, s), bytes.subarray(4, 20))) return { ok: false, reason: 'bad-authenticator' };
  }
  if (ma < 0) return { ok: true, messageAuthenticator: false };
  const want = computeMessageAuthenticator(bytes, ma, hashedRequest(bytes[0]!) ? zero : bytes.subarray(4, 20), s);
  return equal16(want, bytes.subarray(ma, ma + 16)) ? { ok: true, messageAuthenticator: true } : { ok: false, reason: 'bad-message-authenticator' };
}
