/**
 * ISAKMP messages (RFC 2408 §3): the 28-byte header and the payload chain,
 * with typed bodies for every payload IKEv1 Main Mode, Quick Mode and
 * informational exchanges with PSK need.
 *
 *   Header:  Initiator Cookie (8) | Responder Cookie (8) | Next Payload | MjVer|MnVer
 *            | Exchange Type | Flags | Message ID (4) | Length (4)
 *   Payload: Next Payload | RESERVED | Payload Length (2) | body
 *
 * Bodies: SA (sa-payload.ts), KE, ID (RFC 2407 §4.6.2), HASH, NONCE,
 * Notification (RFC 2408 §3.14), Delete (§3.15), Vendor ID, NAT-D and NAT-OA
 * (RFC 3947 §3.2, §5.2) under both their RFC numbers 20/21 and the
 * draft-ietf-ipsec-nat-t-ike-02/03 numbers 130/131. Certificates and
 * signatures (we do PSK only) and anything else come out as `raw` with their
 * bytes, so a message carrying them still parses. The pre-draft-02 NAT-D
 * number 15 collides with GDOI's SA KEK and stays `raw`.
 *
 * An encrypted message (flag E) parses to its header and ciphertext; the
 * caller decrypts (ikev1-cipher.ts) and parses the chain with `parsePayloads`,
 * which ignores the padding after the last payload. Payload bodies are views
 * into the input, never copies, and the raw body of each payload comes back
 * beside it (`bodies`) because the Phase 1 and Quick Mode hashes cover the
 * bytes as received. Never throws on network input.
 *
 * Read RFC 2408 §3 and RFC 3947 §3-§5 before editing.
 */
import { fail, ok, type Parsed } from '../wire/parsed.js';
import { get16, get32, put16, put32 } from './bytes.js';
import { FLAG, ID_TYPE, PAYLOAD } from './constants.js';
import { encodeSaPayload, parseSaPayload, saPayloadLength, type SaPayload } from './sa-payload.js';

/** ISAKMP header size. */
export const ISAKMP_HEADER_BYTES = 28;
/** Generic payload header size. */
export const PAYLOAD_HEADER_BYTES = 4;

/** The header fields a sender chooses; `nextPayload` and `length` follow from the payloads. */
export interface IsakmpHeaderFields {
  initiatorCookie: Uint8Array;
  responderCookie: Uint8Array;
  majorVersion: number;
  minorVersion: number;
  exchangeType: number;
  flags: number;
  messageId: number;
}

/** A parsed header. */
export interface IsakmpHeader extends IsakmpHeaderFields {
  nextPayload: number;
  /** Total message length from the header. */
  length: number;
}

/** An ID payload body (RFC 2407 §4.6.2). `data` is the identification, its format set by `idType`. */
export interface IdPayload {
  idType: number;
  protocolId: number;
  port: number;
  data: Uint8Array;
}

/** A Notification payload body (RFC 2408 §3.14). */
export interface NotifyPayload {
  doi: number;
  protocolId: number;
  spi: Uint8Array;
  notifyType: number;
  data: Uint8Array;
}

/** A Delete payload body (RFC 2408 §3.15). Every SPI has the same size. */
export interface DeletePayload {
  doi: number;
  protocolId: number;
  spiSize: number;
  spis: Uint8Array[];
}

/** One ISAKMP payload. `draft` marks NAT-D/NAT-OA under the draft-02/03 numbers 130/131. */
export type IsakmpPayload =
  | { kind: 'sa'; sa: SaPayload }
  | { kind: 'ke'; data: Uint8Array }
  | { kind: 'id'; id: IdPayload }
  | { kind: 'hash'; data: Uint8Array }
  | { kind: 'nonce'; data: Uint8Array }
  | { kind: 'notify'; notify: NotifyPayload }
  | { kind: 'delete'; delete: DeletePayload }
  | { kind: 'vendor-id'; data: Uint8Array }
  | { kind: 'nat-d'; draft: boolean; hash: Uint8Array }
  | { kind: 'nat-oa'; draft: boolean; idType: number; address: Uint8Array }
  | { kind: 'raw'; type: number; data: Uint8Array };

/** A whole message. With the E flag set, `encrypted` holds the ciphertext and `payloads` is empty. */
export interface IsakmpMessage {
  header: IsakmpHeader;
  payloads: IsakmpPayload[];
  /** The body of each payload as received, parallel to `payloads`. */
  bodies: Uint8Array[];
  encrypted?: Uint8Array;
}

/** What `encodeIsakmpMessage` takes: the header fields and the payloads. */
export interface IsakmpMessageFields {
  header: IsakmpHeaderFields;
  payloads: readonly IsakmpPayload[];
}

/** A payload chain: the payloads, their raw bodies and where the chain ended. */
export interface PayloadChain {
  payloads: IsakmpPayload[];
  bodies: Uint8Array[];
}

/** The payload type number of a payload. */
export function payloadType(p: IsakmpPayload): number {
  switch (p.kind) {
    case 'sa': return PAYLOAD.SA;
    case 'ke': return PAYLOAD.KE;
    case 'id': return PAYLOAD.ID;
    case 'hash': return PAYLOAD.HASH;
    case 'nonce': return PAYLOAD.NONCE;
    case 'notify': return PAYLOAD.NOTIFY;
    case 'delete': return PAYLOAD.DELETE;
    case 'vendor-id': return PAYLOAD.VENDOR_ID;
    case 'nat-d': return p.draft ? PAYLOAD.NAT_D_DRAFT : PAYLOAD.NAT_D;
    case 'nat-oa': return p.draft ? PAYLOAD.NAT_OA_DRAFT : PAYLOAD.NAT_OA;
    case 'raw': return p.type;
  }
}

/** Parses the 28-byte header; `length` must cover the header and fit in `b`. Major version must be 1. */
export function parseIsakmpHeader(b: Uint8Array): Parsed<IsakmpHeader> {
  if (b.length < ISAKMP_HEADER_BYTES) return fail('TRUNCATED', 0, 'isakmp-header');
  const version = b[17]!;
  // RFC 2408 §5.1: a major version above ours is dropped (IKEv2 is 2.0).
  if (version >> 4 !== 1) return fail('UNSUPPORTED', 17, 'version');
  const length = get32(b, 24);
  if (length < ISAKMP_HEADER_BYTES) return fail('BAD_LENGTH', 24, 'length');
  if (length > b.length) return fail('TRUNCATED', 24, 'length');
  return ok(
    {
      initiatorCookie: b.subarray(0, 8),
      responderCookie: b.subarray(8, 16),
      nextPayload: b[16]!,
      majorVersion: version >> 4,
      minorVersion: version & 0x0f,
      exchangeType: b[18]!,
      flags: b[19]!,
      messageId: get32(b, 20),
      length,
    },
    ISAKMP_HEADER_BYTES,
  );
}

/** Encodes a header for a body of `bodyBytes` starting with payload type `nextPayload`. */
export function encodeIsakmpHeader(h: IsakmpHeaderFields, nextPayload: number, bodyBytes: number): Uint8Array {
  const out = new Uint8Array(ISAKMP_HEADER_BYTES);
  writeHeader(out, h, nextPayload, ISAKMP_HEADER_BYTES + bodyBytes);
  return out;
}

function writeHeader(out: Uint8Array, h: IsakmpHeaderFields, nextPayload: number, length: number): void {
  out.set(h.initiatorCookie.subarray(0, 8), 0);
  out.set(h.responderCookie.subarray(0, 8), 8);
  out[16] = nextPayload;
  out[17] = ((h.majorVersion & 0x0f) << 4) | (h.minorVersion & 0x0f);
  out[18] = h.exchangeType;
  out[19] = h.flags;
  put32(out, 20, h.messageId);
  put32(out, 24, length);
}

/** Bytes of an ID payload's data for its type, when the type fixes it (RFC 2407 §4.6.2.2+). */
function fixedIdBytes(idType: number): number | undefined {
  switch (idType) {
    case ID_TYPE.IPV4_ADDR: return 4;
    case ID_TYPE.IPV4_ADDR_SUBNET: case ID_TYPE.IPV4_ADDR_RANGE: return 8;
    case ID_TYPE.IPV6_ADDR: return 16;
    case ID_TYPE.IPV6_ADDR_SUBNET: case ID_TYPE.IPV6_ADDR_RANGE: return 32;
    default: return undefined;
  }
}

/** Parses the body of a payload of `type` in `b[s, e)`. Offsets in errors are absolute. */
function parseBody(type: number, b: Uint8Array, s: number, e: number): Parsed<IsakmpPayload> {
  const body = b.subarray(s, e);
  const n = e - s;
  switch (type) {
    case PAYLOAD.SA: {
      const sa = parseSaPayload(b, s, e);
      return sa.ok ? ok({ kind: 'sa', sa: sa.value }, n) : sa;
    }
    case PAYLOAD.KE: return ok({ kind: 'ke', data: body }, n);
    case PAYLOAD.HASH: return ok({ kind: 'hash', data: body }, n);
    case PAYLOAD.NONCE: return ok({ kind: 'nonce', data: body }, n);
    case PAYLOAD.VENDOR_ID: return ok({ kind: 'vendor-id', data: body }, n);
    case PAYLOAD.NAT_D: case PAYLOAD.NAT_D_DRAFT:
      return ok({ kind: 'nat-d', draft: type === PAYLOAD.NAT_D_DRAFT, hash: body }, n);
    case PAYLOAD.ID: {
      if (n < 4) return fail('TRUNCATED', s, 'id');
      const idType = b[s]!;
      const fixed = fixedIdBytes(idType);
      if (fixed !== undefined && n - 4 !== fixed) return fail('BAD_LENGTH', s, 'id-data');
      return ok({ kind: 'id', id: { idType, protocolId: b[s + 1]!, port: get16(b, s + 2), data: b.subarray(s + 4, e) } }, n);
    }
    case PAYLOAD.NAT_OA: case PAYLOAD.NAT_OA_DRAFT: {
      if (n < 4) return fail('TRUNCATED', s, 'nat-oa');
      const idType = b[s]!;
      const want = idType === ID_TYPE.IPV4_ADDR ? 4 : idType === ID_TYPE.IPV6_ADDR ? 16 : undefined;
      // RFC 3947 §5.2: the address is ID_IPV4_ADDR or ID_IPV6_ADDR.
      if (want === undefined) return fail('BAD_VALUE', s, 'nat-oa-type');
      if (n - 4 !== want) return fail('BAD_LENGTH', s, 'nat-oa-address');
      return ok({ kind: 'nat-oa', draft: type === PAYLOAD.NAT_OA_DRAFT, idType, address: b.subarray(s + 4, e) }, n);
    }
    case PAYLOAD.NOTIFY: {
      if (n < 8) return fail('TRUNCATED', s, 'notify');
      const spiSize = b[s + 5]!;
      if (8 + spiSize > n) return fail('BAD_LENGTH', s + 5, 'notify-spi-size');
      return ok(
        { kind: 'notify', notify: { doi: get32(b, s), protocolId: b[s + 4]!, notifyType: get16(b, s + 6), spi: b.subarray(s + 8, s + 8 + spiSize), data: b.subarray(s + 8 + spiSize, e) } },
        n,
      );
    }
    case PAYLOAD.DELETE: {
      if (n < 8) return fail('TRUNCATED', s, 'delete');
      const spiSize = b[s + 5]!;
      const count = get16(b, s + 6);
      // RFC 2408 §3.15: the SPIs fill the payload exactly. A zero SPI size names
      // nothing to delete: refused, or a 12-octet payload could ask for 65,535 entries.
      if (spiSize === 0 || n - 8 !== spiSize * count) return fail('BAD_LENGTH', s + 6, 'delete-spis');
      const spis: Uint8Array[] = [];
      for (let i = 0; i < count; i++) spis.push(b.subarray(s + 8 + i * spiSize, s + 8 + (i + 1) * spiSize));
      return ok({ kind: 'delete', delete: { doi: get32(b, s), protocolId: b[s + 4]!, spiSize, spis } }, n);
    }
    default:
      return ok({ kind: 'raw', type, data: body }, n);
  }
}

/**
 * Parses a payload chain starting with payload type `first` at `b[start]`,
 * until a payload whose Next Payload is 0. Bytes after the last payload (CBC
 * padding of a decrypted body) are left unread: `bytesRead` says where the
 * chain ended.
 */
export function parsePayloads(first: number, b: Uint8Array, start = 0, end = b.length): Parsed<PayloadChain> {
  const payloads: IsakmpPayload[] = [];
  const bodies: Uint8Array[] = [];
  let type = first;
  let p = start;
  while (type !== PAYLOAD.NONE) {
    if (end - p < PAYLOAD_HEADER_BYTES) return fail('TRUNCATED', p, 'payload-header');
    const next = b[p]!;
    const len = get16(b, p + 2);
    if (len < PAYLOAD_HEADER_BYTES) return fail('BAD_LENGTH', p + 2, 'payload-length');
    if (p + len > end) return fail('TRUNCATED', p + 2, 'payload-length');
    const body = parseBody(type, b, p + PAYLOAD_HEADER_BYTES, p + len);
    if (!body.ok) return body;
    payloads.push(body.value);
    bodies.push(b.subarray(p + PAYLOAD_HEADER_BYTES, p + len));
    p += len;
    type = next;
  }
  return ok({ payloads, bodies }, p - start);
}

/** Bytes a payload's body takes encoded. */
export function payloadBodyLength(p: IsakmpPayload): number {
  switch (p.kind) {
    case 'sa': return saPayloadLength(p.sa);
    case 'ke': case 'hash': case 'nonce': case 'vendor-id': case 'raw': return p.data.length;
    case 'nat-d': return p.hash.length;
    case 'id': return 4 + p.id.data.length;
    case 'nat-oa': return 4 + p.address.length;
    case 'notify': return 8 + p.notify.spi.length + p.notify.data.length;
    case 'delete': return 8 + p.delete.spiSize * p.delete.spis.length;
  }
}

/** Encodes a payload's body (no generic header): what the Phase 1 and Quick Mode hashes cover. */
export function encodePayloadBody(p: IsakmpPayload): Uint8Array {
  const out = new Uint8Array(payloadBodyLength(p));
  writeBody(p, out, 0);
  return out;
}

function writeBody(p: IsakmpPayload, out: Uint8Array, at: number): void {
  switch (p.kind) {
    case 'sa': out.set(encodeSaPayload(p.sa), at); return;
    case 'ke': case 'hash': case 'nonce': case 'vendor-id': case 'raw': out.set(p.data, at); return;
    case 'nat-d': out.set(p.hash, at); return;
    case 'id':
      out[at] = p.id.idType;
      out[at + 1] = p.id.protocolId;
      put16(out, at + 2, p.id.port);
      out.set(p.id.data, at + 4);
      return;
    case 'nat-oa':
      out[at] = p.idType;
      out.set(p.address, at + 4);
      return;
    case 'notify':
      put32(out, at, p.notify.doi);
      out[at + 4] = p.notify.protocolId;
      out[at + 5] = p.notify.spi.length;
      put16(out, at + 6, p.notify.notifyType);
      out.set(p.notify.spi, at + 8);
      out.set(p.notify.data, at + 8 + p.notify.spi.length);
      return;
    case 'delete': {
      put32(out, at, p.delete.doi);
      out[at + 4] = p.delete.protocolId;
      out[at + 5] = p.delete.spiSize;
      put16(out, at + 6, p.delete.spis.length);
      let q = at + 8;
      for (const spi of p.delete.spis) {
        out.set(spi.subarray(0, p.delete.spiSize), q);
        q += p.delete.spiSize;
      }
      return;
    }
  }
}

/** Bytes a payload chain takes encoded, generic headers included. */
export function payloadsLength(payloads: readonly IsakmpPayload[]): number {
  let n = 0;
  for (const p of payloads) n += PAYLOAD_HEADER_BYTES + payloadBodyLength(p);
  return n;
}

/** Encodes a payload chain, Next Payload fields filled in (the first type goes in the header). */
export function encodePayloads(payloads: readonly IsakmpPayload[]): Uint8Array {
  const out = new Uint8Array(payloadsLength(payloads));
  writePayloads(payloads, out, 0);
  return out;
}

function writePayloads(payloads: readonly IsakmpPayload[], out: Uint8Array, at: number): void {
  let p = at;
  payloads.forEach((pl, i) => {
    const len = PAYLOAD_HEADER_BYTES + payloadBodyLength(pl);
    const next = payloads[i + 1];
    out[p] = next ? payloadType(next) : PAYLOAD.NONE;
    out[p + 1] = 0;
    put16(out, p + 2, len);
    writeBody(pl, out, p + PAYLOAD_HEADER_BYTES);
    p += len;
  });
}

/** The type of the first payload of a chain (0 for none): the header's Next Payload. */
export function firstPayloadType(payloads: readonly IsakmpPayload[]): number {
  return payloads[0] ? payloadType(payloads[0]) : PAYLOAD.NONE;
}

/** Bytes a cleartext message takes encoded. */
export function isakmpMessageLength(m: IsakmpMessageFields): number {
  return ISAKMP_HEADER_BYTES + payloadsLength(m.payloads);
}

/** Encodes a cleartext message (the E flag is the caller's: encrypted bodies go through ikev1-cipher.ts). */
export function encodeIsakmpMessage(m: IsakmpMessageFields): Uint8Array {
  const out = new Uint8Array(isakmpMessageLength(m));
  writeHeader(out, m.header, firstPayloadType(m.payloads), out.length);
  writePayloads(m.payloads, out, ISAKMP_HEADER_BYTES);
  return out;
}

/**
 * Parses a whole message. Bytes past the header's length are ignored
 * (`bytesRead` is the length). A cleartext chain must fill the length exactly
 * (RFC 2408 §5.2 UNEQUAL-PAYLOAD-LENGTHS); an encrypted body is returned as is.
 */
export function parseIsakmpMessage(b: Uint8Array): Parsed<IsakmpMessage> {
  const h = parseIsakmpHeader(b);
  if (!h.ok) return h;
  const header = h.value;
  if (header.flags & FLAG.ENCRYPTION) {
    return ok({ header, payloads: [], bodies: [], encrypted: b.subarray(ISAKMP_HEADER_BYTES, header.length) }, header.length);
  }
  const chain = parsePayloads(header.nextPayload, b, ISAKMP_HEADER_BYTES, header.length);
  if (!chain.ok) return chain;
  if (ISAKMP_HEADER_BYTES + chain.bytesRead !== header.length) return fail('BAD_LENGTH', ISAKMP_HEADER_BYTES + chain.bytesRead, 'payload-lengths');
  return ok({ header, payloads: chain.value.payloads, bodies: chain.value.bodies }, header.length);
}

/** The first payload of a kind in a list, typed. */
export function findPayload<K extends IsakmpPayload['kind']>(payloads: readonly IsakmpPayload[], kind: K): Extract<IsakmpPayload, { kind: K }> | undefined {
  return payloads.find((p) => p.kind === kind) as Extract<IsakmpPayload, { kind: K }> | undefined;
}

/** Every payload of a kind, typed. */
export function findPayloads<K extends IsakmpPayload['kind']>(payloads: readonly IsakmpPayload[], kind: K): Extract<IsakmpPayload, { kind: K }>[] {
  return payloads.filter((p) => p.kind === kind) as Extract<IsakmpPayload, { kind: K }>[];
}
