/**
 * L2TP Attribute-Value Pairs (RFC 2661 §4.1) and AVP hiding (§4.3).
 *
 *   |M|H| rsvd  |      Length       |           Vendor ID           |
 *   |         Attribute Type        |        Attribute Value...
 *
 * `parseAvps` splits a control message body into raw AVPs and un-hides the
 * hidden ones with the tunnel secret and the Random Vector AVP that precedes
 * them. Typed meaning is message.ts's job. Never throws on network input.
 *
 * Read RFC 2661 §4.1 and §4.3 before editing.
 */
import { createHash } from 'node:crypto';
import { fail, ok, type Parsed } from '../wire/parsed.js';
import { AVP } from './constants.js';

/** One AVP as on the wire, value un-hidden. */
export interface RawAvp {
  mandatory: boolean;
  /** True when it arrived hidden (the value here is already clear). */
  hidden: boolean;
  vendorId: number;
  type: number;
  value: Uint8Array;
}

/** The AVP header size (flags/length, vendor, type). */
export const AVP_HEADER_BYTES = 6;
const M_BIT = 0x8000;
const H_BIT = 0x4000;
const RESERVED_BITS = 0x3c00;
const LENGTH_MASK = 0x03ff;

/**
 * Parses every AVP of `body`. Hidden AVPs need `secret`; without it, or
 * without a preceding Random Vector, the parse fails (UNSUPPORTED, field
 * 'hidden-avp'). Reserved bits set → BAD_VALUE (§4.1: they MUST be 0; a
 * receiver treats such an AVP as unrecognized, and for an M-bit one that is
 * fatal, which the caller sees as this error).
 */
export function parseAvps(body: Uint8Array, secret?: Uint8Array): Parsed<RawAvp[]> {
  const out: RawAvp[] = [];
  let p = 0;
  let randomVector: Uint8Array | undefined;
  while (p < body.length) {
    if (body.length - p < AVP_HEADER_BYTES) return fail('TRUNCATED', p, 'avp-header');
    const word = (body[p]! << 8) | body[p + 1]!;
    const length = word & LENGTH_MASK;
    if (length < AVP_HEADER_BYTES) return fail('BAD_LENGTH', p, 'avp-length');
    if (p + length > body.length) return fail('TRUNCATED', p, 'avp-length');
    const vendorId = (body[p + 2]! << 8) | body[p + 3]!;
    const type = (body[p + 4]! << 8) | body[p + 5]!;
    const mandatory = (word & M_BIT) !== 0;
    const hidden = (word & H_BIT) !== 0;
    if ((word & RESERVED_BITS) !== 0) return fail('BAD_VALUE', p, `avp-${vendorId}-${type}-reserved`);
    let value = body.subarray(p + AVP_HEADER_BYTES, p + length);
    if (hidden) {
      if (!secret || !randomVector) return fail('UNSUPPORTED', p, 'hidden-avp');
      const clear = unhideValue(type, value, secret, randomVector);
      if (!clear) return fail('BAD_LENGTH', p, 'hidden-avp');
      value = clear;
    }
    if (vendorId === 0 && type === AVP.RANDOM_VECTOR) randomVector = value;
    out.push({ mandatory, hidden, vendorId, type, value });
    p += length;
  }
  return ok(out, p);
}

/** Bytes `avps` take when encoded (hidden ones with their padding). */
export function avpsLength(avps: readonly RawAvp[], hiddenPadding = 0): number {
  let n = 0;
  for (const a of avps) n += AVP_HEADER_BYTES + (a.hidden ? 2 + a.value.length + hiddenPadding : a.value.length);
  return n;
}

/** Options for hiding: the tunnel secret and the padding to add to each hidden value. */
export interface HideOptions {
  secret: Uint8Array;
  /** Extra random-looking bytes; supplied by the caller (sans-I/O). */
  padding?: Uint8Array;
}

/**
 * Encodes `avps` in order. AVPs with `hidden: true` are hidden with the most
 * recent Random Vector AVP before them, which the caller must include (§4.3).
 */
export function encodeAvps(avps: readonly RawAvp[], hide?: HideOptions): Uint8Array {
  const pad = hide?.padding ?? new Uint8Array(0);
  const out = new Uint8Array(avpsLength(avps, pad.length));
  let p = 0;
  let randomVector: Uint8Array | undefined;
  for (const a of avps) {
    let value = a.value;
    if (a.hidden) {
      if (!hide || !randomVector) throw new Error('encodeAvps: a hidden AVP needs a secret and a preceding Random Vector AVP');
      const sub = new Uint8Array(2 + value.length + pad.length);
      sub[0] = value.length >>> 8;
      sub[1] = value.length & 0xff;
      sub.set(value, 2);
      sub.set(pad, 2 + value.length);
      value = hideSubformat(a.type, sub, hide.secret, randomVector);
    }
    const length = AVP_HEADER_BYTES + value.length;
    if (length > LENGTH_MASK) throw new Error(`encodeAvps: AVP ${a.type} is too long (${length} > 1023)`);
    const word = (a.mandatory ? M_BIT : 0) | (a.hidden ? H_BIT : 0) | length;
    out[p] = word >>> 8;
    out[p + 1] = word & 0xff;
    out[p + 2] = a.vendorId >>> 8;
    out[p + 3] = a.vendorId & 0xff;
    out[p + 4] = a.type >>> 8;
    out[p + 5] = a.type & 0xff;
    out.set(value, p + AVP_HEADER_BYTES);
    if (a.vendorId === 0 && a.type === AVP.RANDOM_VECTOR) randomVector = a.value;
    p += length;
  }
  return out;
}

/**
 * §4.3: b1 = MD5(type ‖ S ‖ RV), c1 = p1 ⊕ b1; bi = MD5(S ‖ c(i-1)), ci = pi ⊕ bi.
 * The last chunk may be short; only its present bytes are XORed.
 */
function hideSubformat(type: number, sub: Uint8Array, secret: Uint8Array, rv: Uint8Array): Uint8Array {
  const out = new Uint8Array(sub.length);
  let prev: Uint8Array | undefined;
  for (let i = 0; i < sub.length; i += 16) {
    const h = createHash('md5');
    if (prev === undefined) h.update(Uint8Array.of(type >>> 8, type & 0xff)).update(secret).update(rv);
    else h.update(secret).update(prev);
    const b = h.digest();
    const n = Math.min(16, sub.length - i);
    for (let k = 0; k < n; k++) out[i + k] = sub[i + k]! ^ b[k]!;
    prev = out.subarray(i, i + n);
  }
  return out;
}

/** Reverses `hideSubformat` and strips the length prefix and padding; undefined when the inner length is impossible. */
function unhideValue(type: number, hidden: Uint8Array, secret: Uint8Array, rv: Uint8Array): Uint8Array | undefined {
  if (hidden.length < 2) return undefined;
  const clear = new Uint8Array(hidden.length);
  for (let i = 0; i < hidden.length; i += 16) {
    const h = createHash('md5');
    if (i === 0) h.update(Uint8Array.of(type >>> 8, type & 0xff)).update(secret).update(rv);
    else h.update(secret).update(hidden.subarray(i - 16, i));
    const b = h.digest();
    const n = Math.min(16, hidden.length - i);
    for (let k = 0; k < n; k++) clear[i + k] = hidden[i + k]! ^ b[k]!;
  }
  const len = (clear[0]! << 8) | clear[1]!;
  if (2 + len > clear.length) return undefined;
  return clear.subarray(2, 2 + len);
}
