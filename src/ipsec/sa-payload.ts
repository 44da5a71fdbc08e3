/**
 * The ISAKMP Security Association payload body (RFC 2408 §3.4-§3.6, IPsec DOI
 * RFC 2407 §4.6.1): DOI, situation, then a chain of Proposal payloads, each
 * with a chain of Transform payloads carrying SA attributes (RFC 2408 §3.3:
 * Type/Value "basic" when the AF bit is set, Type/Length/Value otherwise).
 *
 *   SA:        DOI (4) | Situation (4) | Proposal...
 *   Proposal:  next | rsvd | length (2) | Proposal # | Protocol-Id | SPI size | # transforms | SPI | Transform...
 *   Transform: next | rsvd | length (2) | Transform # | Transform-Id | rsvd (2) | attributes...
 *   Attribute: AF|type (2) | value (2)          or    0|type (2) | length (2) | value
 *
 * Only the IPsec DOI with SIT_IDENTITY_ONLY is parsed: the secrecy and
 * integrity situations add labelled-domain fields nobody sends to an L2TP
 * server, so they are UNSUPPORTED. Parsing keeps the TV/TLV choice of every
 * attribute, so a parsed SA encodes back to the same bytes (the Phase 1 HASH
 * covers the initiator's SA body as sent; the caller still hashes the received
 * bytes, never a re-encoding). Never throws on network input.
 */
import { fail, ok, type Parsed } from '../wire/parsed.js';
import { get16, get32, put16, put32 } from './bytes.js';
import { DOI_IPSEC, PAYLOAD, SIT_IDENTITY_ONLY } from './constants.js';

/** One SA attribute: basic (TV, a 16-bit value) or variable (TLV, any bytes). */
export type SaAttribute =
  | { type: number; format: 'tv'; value: number }
  | { type: number; format: 'tlv'; bytes: Uint8Array };

/** A Transform payload (RFC 2408 §3.6). */
export interface Transform {
  transformNumber: number;
  transformId: number;
  attributes: SaAttribute[];
}

/** A Proposal payload (RFC 2408 §3.5). The transform count is implied by `transforms`. */
export interface Proposal {
  proposalNumber: number;
  protocolId: number;
  /** SPI (empty in Phase 1 proposals, 4 bytes for ESP). */
  spi: Uint8Array;
  transforms: Transform[];
}

/** The body of an SA payload (RFC 2407 §4.6.1). */
export interface SaPayload {
  doi: number;
  situation: number;
  proposals: Proposal[];
}

const AF_BIT = 0x8000;
const PROPOSAL_FIXED_BYTES = 8;
const TRANSFORM_FIXED_BYTES = 8;

/** A basic (TV) attribute when `value` fits 16 bits, else a variable one of the fewest bytes (lifetimes). */
export function saAttribute(type: number, value: number): SaAttribute {
  if (value >= 0 && value <= 0xffff) return { type, format: 'tv', value };
  const bytes: number[] = [];
  for (let v = value; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  while (bytes.length < 4) bytes.unshift(0);
  return { type, format: 'tlv', bytes: Uint8Array.from(bytes) };
}

/**
 * The numeric value of an attribute: the TV value, or a TLV of at most 6
 * bytes read big-endian (lifetimes). Undefined for longer TLVs.
 */
export function attributeNumber(a: SaAttribute): number | undefined {
  if (a.format === 'tv') return a.value;
  if (a.bytes.length === 0 || a.bytes.length > 6) return undefined;
  let v = 0;
  for (const b of a.bytes) v = v * 256 + b;
  return v;
}

/** The first attribute of `type` in `attrs`, as a number (see attributeNumber). */
export function findAttribute(attrs: readonly SaAttribute[], type: number): number | undefined {
  const a = attrs.find((x) => x.type === type);
  return a ? attributeNumber(a) : undefined;
}

/** Parses a run of SA attributes filling `b[start, end)` exactly. */
export function parseSaAttributes(b: Uint8Array, start = 0, end = b.length): Parsed<SaAttribute[]> {
  const out: SaAttribute[] = [];
  let p = start;
  while (p < end) {
    if (end - p < 4) return fail('TRUNCATED', p, 'attribute');
    const word = (b[p]! << 8) | b[p + 1]!;
    const v = (b[p + 2]! << 8) | b[p + 3]!;
    if (word & AF_BIT) {
      out.push({ type: word & 0x7fff, format: 'tv', value: v });
      p += 4;
    } else {
      if (p + 4 + v > end) return fail('TRUNCATED', p, 'attribute-length');
      out.push({ type: word, format: 'tlv', bytes: b.subarray(p + 4, p + 4 + v) });
      p += 4 + v;
    }
  }
  return ok(out, p - start);
}

/** Bytes the attributes take encoded. */
export function saAttributesLength(attrs: readonly SaAttribute[]): number {
  let n = 0;
  for (const a of attrs) n += a.format === 'tv' ? 4 : 4 + a.bytes.length;
  return n;
}

/** Writes the attributes into `out` at `at`; returns the offset after them. */
function writeAttributes(attrs: readonly SaAttribute[], out: Uint8Array, at: number): number {
  let p = at;
  for (const a of attrs) {
    if (a.format === 'tv') {
      put16(out, p, AF_BIT | (a.type & 0x7fff));
      put16(out, p + 2, a.value);
      p += 4;
    } else {
      put16(out, p, a.type & 0x7fff);
      put16(out, p + 2, a.bytes.length);
      out.set(a.bytes, p + 4);
      p += 4 + a.bytes.length;
    }
  }
  return p;
}

/** Encodes SA attributes alone. */
export function encodeSaAttributes(attrs: readonly SaAttribute[]): Uint8Array {
  const out = new Uint8Array(saAttributesLength(attrs));
  writeAttributes(attrs, out, 0);
  return out;
}

function transformLength(t: Transform): number {
  return TRANSFORM_FIXED_BYTES + saAttributesLength(t.attributes);
}

function proposalLength(p: Proposal): number {
  let n = PROPOSAL_FIXED_BYTES + p.spi.length;
  for (const t of p.transforms) n += transformLength(t);
  return n;
}

/** Bytes the SA payload body takes encoded (without the generic payload header). */
export function saPayloadLength(sa: SaPayload): number {
  let n = 8;
  for (const p of sa.proposals) n += proposalLength(p);
  return n;
}

/** Encodes an SA payload body (DOI, situation, proposals). */
export function encodeSaPayload(sa: SaPayload): Uint8Array {
  const out = new Uint8Array(saPayloadLength(sa));
  put32(out, 0, sa.doi);
  put32(out, 4, sa.situation);
  let p = 8;
  sa.proposals.forEach((prop, i) => {
    const len = proposalLength(prop);
    out[p] = i === sa.proposals.length - 1 ? PAYLOAD.NONE : PAYLOAD.PROPOSAL;
    put16(out, p + 2, len);
    out[p + 4] = prop.proposalNumber;
    out[p + 5] = prop.protocolId;
    out[p + 6] = prop.spi.length;
    out[p + 7] = prop.transforms.length;
    out.set(prop.spi, p + 8);
    let q = p + 8 + prop.spi.length;
    prop.transforms.forEach((t, j) => {
      out[q] = j === prop.transforms.length - 1 ? PAYLOAD.NONE : PAYLOAD.TRANSFORM;
      put16(out, q + 2, transformLength(t));
      out[q + 4] = t.transformNumber;
      out[q + 5] = t.transformId;
      q = writeAttributes(t.attributes, out, q + TRANSFORM_FIXED_BYTES);
    });
    p += len;
  });
  return out;
}

/**
 * Parses an SA payload body filling `b[start, end)`. Proposal and transform
 * chains must end exactly at their container's end (RFC 2408 §3.5-§3.6), and
 * the transform count must match the transforms present.
 */
export function parseSaPayload(b: Uint8Array, start = 0, end = b.length): Parsed<SaPayload> {
  if (end - start < 8) return fail('TRUNCATED', start, 'sa');
  const doi = get32(b, start);
  if (doi !== DOI_IPSEC) return fail('UNSUPPORTED', start, 'doi');
  const situation = get32(b, start + 4);
  if (situation !== SIT_IDENTITY_ONLY) return fail('UNSUPPORTED', start + 4, 'situation');
  const proposals: Proposal[] = [];
  let p = start + 8;
  let next: number = p < end ? PAYLOAD.PROPOSAL : PAYLOAD.NONE;
  if (next === PAYLOAD.NONE) return fail('BAD_LENGTH', p, 'sa-no-proposal');
  while (next !== PAYLOAD.NONE) {
    if (next !== PAYLOAD.PROPOSAL) return fail('BAD_VALUE', p, 'proposal-next');
    if (end - p < PROPOSAL_FIXED_BYTES) return fail('TRUNCATED', p, 'proposal');
    next = b[p]!;
    const len = get16(b, p + 2);
    if (len < PROPOSAL_FIXED_BYTES) return fail('BAD_LENGTH', p, 'proposal-length');
    if (p + len > end) return fail('TRUNCATED', p, 'proposal-length');
    const spiSize = b[p + 6]!;
    const count = b[p + 7]!;
    if (PROPOSAL_FIXED_BYTES + spiSize > len) return fail('BAD_LENGTH', p + 6, 'spi-size');
    const transforms: Transform[] = [];
    const pEnd = p + len;
    let q = p + PROPOSAL_FIXED_BYTES + spiSize;
    let tNext: number = q < pEnd ? PAYLOAD.TRANSFORM : PAYLOAD.NONE;
    while (tNext !== PAYLOAD.NONE) {
      if (tNext !== PAYLOAD.TRANSFORM) return fail('BAD_VALUE', q, 'transform-next');
      if (pEnd - q < TRANSFORM_FIXED_BYTES) return fail('TRUNCATED', q, 'transform');
      tNext = b[q]!;
      const tLen = get16(b, q + 2);
      if (tLen < TRANSFORM_FIXED_BYTES) return fail('BAD_LENGTH', q, 'transform-length');
      if (q + tLen > pEnd) return fail('TRUNCATED', q, 'transform-length');
      const attrs = parseSaAttributes(b, q + TRANSFORM_FIXED_BYTES, q + tLen);
      if (!attrs.ok) return attrs;
      transforms.push({ transformNumber: b[q + 4]!, transformId: b[q + 5]!, attributes: attrs.value });
      q += tLen;
      if (tNext !== PAYLOAD.NONE && q >= pEnd) return fail('TRUNCATED', q, 'transform');
    }
    if (q !== pEnd) return fail('BAD_LENGTH', q, 'proposal-length');
    if (transforms.length !== count) return fail('BAD_VALUE', p + 7, 'transform-count');
    proposals.push({ proposalNumber: b[p + 4]!, protocolId: b[p + 5]!, spi: b.subarray(p + 8, p + 8 + spiSize), transforms });
    p = pEnd;
    if (next !== PAYLOAD.NONE && p >= end) return fail('TRUNCATED', p, 'proposal');
  }
  if (p !== end) return fail('BAD_LENGTH', p, 'sa-length');
  return ok({ doi, situation, proposals }, end - start);
}
