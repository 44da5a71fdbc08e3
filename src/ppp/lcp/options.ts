/**
 * LCP configuration options codec (RFC 1661 §6, RFC 1662 §7.1 ACCM,
 * RFC 1994 §3 CHAP algorithm, RFC 1990 multilink options by type only,
 * Microsoft callback option 13 per RFC 1570 §2.3).
 *
 * Options with a known type and the right length parse to a typed value;
 * everything else (unknown types, known types with a wrong length) stays a
 * `raw` option so a request re-encodes byte-identically and the handler can
 * Configure-Reject it.
 */
import { fail, ok, type Parsed } from '../../wire/parsed.js';
import { encodeOptions, optionsLength, parseOptions, readU16, readU32, type CpOption } from '../fsm/packet.js';

/** LCP option types. */
export const LCP_OPTION = {
  MRU: 1,
  ACCM: 2,
  AUTH_PROTOCOL: 3,
  QUALITY_PROTOCOL: 4,
  MAGIC_NUMBER: 5,
  PFC: 7,
  ACFC: 8,
  /** RFC 1570 §2.3 Callback (Microsoft CBCP uses operation 6). */
  CALLBACK: 13,
  /** RFC 1990 Multilink Maximum Received Reconstructed Unit. */
  MRRU: 17,
  /** RFC 1990 Short Sequence Number Header Format. */
  SHORT_SEQUENCE: 18,
  /** RFC 1990 Endpoint Discriminator. */
  ENDPOINT_DISCRIMINATOR: 19,
} as const;

/** One LCP option. */
export type LcpOption =
  | { kind: 'mru'; mru: number }
  | { kind: 'accm'; accm: number }
  /** `data` is what follows the protocol (CHAP: the algorithm octet). */
  | { kind: 'auth'; protocol: number; data: Uint8Array }
  | { kind: 'magic'; magicNumber: number }
  | { kind: 'pfc' }
  | { kind: 'acfc' }
  | { kind: 'callback'; operation: number; message: Uint8Array }
  | { kind: 'mrru'; mrru: number }
  | { kind: 'raw'; type: number; data: Uint8Array };

function typed(o: CpOption): LcpOption {
  const d = o.data;
  switch (o.type) {
    case LCP_OPTION.MRU: if (d.length === 2) return { kind: 'mru', mru: readU16(d) }; break;
    case LCP_OPTION.ACCM: if (d.length === 4) return { kind: 'accm', accm: readU32(d) }; break;
    case LCP_OPTION.AUTH_PROTOCOL: if (d.length >= 2) return { kind: 'auth', protocol: readU16(d), data: d.subarray(2) }; break;
    case LCP_OPTION.MAGIC_NUMBER: if (d.length === 4) return { kind: 'magic', magicNumber: readU32(d) }; break;
    case LCP_OPTION.PFC: if (d.length === 0) return { kind: 'pfc' }; break;
    case LCP_OPTION.ACFC: if (d.length === 0) return { kind: 'acfc' }; break;
    case LCP_OPTION.CALLBACK: if (d.length >= 1) return { kind: 'callback', operation: d[0]!, message: d.subarray(1) }; break;
    case LCP_OPTION.MRRU: if (d.length === 2) return { kind: 'mrru', mrru: readU16(d) }; break;
    default: break;
  }
  return { kind: 'raw', type: o.type, data: d };
}

/** The generic (type, data) form of a typed option. */
export function lcpOptionToCp(o: LcpOption): CpOption {
  switch (o.kind) {
    case 'mru': return { type: LCP_OPTION.MRU, data: Uint8Array.of(o.mru >>> 8, o.mru & 0xff) };
    case 'accm': return { type: LCP_OPTION.ACCM, data: u32(o.accm) };
    case 'auth': {
      const data = new Uint8Array(2 + o.data.length);
      data[0] = o.protocol >>> 8;
      data[1] = o.protocol & 0xff;
      data.set(o.data, 2);
      return { type: LCP_OPTION.AUTH_PROTOCOL, data };
    }
    case 'magic': return { type: LCP_OPTION.MAGIC_NUMBER, data: u32(o.magicNumber) };
    case 'pfc': return { type: LCP_OPTION.PFC, data: new Uint8Array(0) };
    case 'acfc': return { type: LCP_OPTION.ACFC, data: new Uint8Array(0) };
    case 'callback': {
      const data = new Uint8Array(1 + o.message.length);
      data[0] = o.operation;
      data.set(o.message, 1);
      return { type: LCP_OPTION.CALLBACK, data };
    }
    case 'mrru': return { type: LCP_OPTION.MRRU, data: Uint8Array.of(o.mrru >>> 8, o.mrru & 0xff) };
    case 'raw': return { type: o.type, data: o.data };
  }
}

function u32(v: number): Uint8Array {
  return Uint8Array.of(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
}

/** Parses the option list of a Configure-Request/Ack/Nak/Reject. */
export function parseLcpOptions(bytes: Uint8Array): Parsed<LcpOption[]> {
  const p = parseOptions(bytes);
  if (!p.ok) return fail(p.error.code, p.error.offset, p.error.field);
  return ok(p.value.map(typed), p.bytesRead);
}

/** Encodes an option list. */
export function encodeLcpOptions(options: readonly LcpOption[]): Uint8Array {
  return encodeOptions(options.map(lcpOptionToCp));
}

/** Encoded length of an option list. */
export function lcpOptionsLength(options: readonly LcpOption[]): number {
  return optionsLength(options.map(lcpOptionToCp));
}
