/**
 * IPCP configuration options codec (RFC 1332 §3, RFC 1877 §1).
 * Known types with the right length parse to typed values; anything else is
 * `raw`, so requests re-encode byte-identically and unknowns are rejected.
 */
import { fail, ok, type Parsed } from '../../wire/parsed.js';
import { encodeOptions, optionsLength, parseOptions, readU16, readU32, type CpOption } from '../fsm/packet.js';

/** IPCP option types. */
export const IPCP_OPTION = {
  /** RFC 1172, deprecated: rejected. */
  IP_ADDRESSES: 1,
  IP_COMPRESSION_PROTOCOL: 2,
  IP_ADDRESS: 3,
  PRIMARY_DNS: 129,
  PRIMARY_NBNS: 130,
  SECONDARY_DNS: 131,
  SECONDARY_NBNS: 132,
} as const;

/** The address-valued options. */
export type IpcpAddressKind = 'address' | 'dns1' | 'nbns1' | 'dns2' | 'nbns2';

/** One IPCP option; addresses are u32 in network order. */
export type IpcpOption =
  | { kind: IpcpAddressKind; address: number }
  | { kind: 'compression'; protocol: number; data: Uint8Array }
  | { kind: 'raw'; type: number; data: Uint8Array };

const KIND_BY_TYPE: Record<number, IpcpAddressKind> = { 3: 'address', 129: 'dns1', 130: 'nbns1', 131: 'dns2', 132: 'nbns2' };
/** Option type of an address-valued kind. */
export const TYPE_BY_KIND: Record<IpcpAddressKind, number> = { address: 3, dns1: 129, nbns1: 130, dns2: 131, nbns2: 132 };

function typed(o: CpOption): IpcpOption {
  const kind = KIND_BY_TYPE[o.type];
  if (kind && o.data.length === 4) return { kind, address: readU32(o.data) };
  if (o.type === IPCP_OPTION.IP_COMPRESSION_PROTOCOL && o.data.length >= 2) return { kind: 'compression', protocol: readU16(o.data), data: o.data.subarray(2) };
  return { kind: 'raw', type: o.type, data: o.data };
}

function toCp(o: IpcpOption): CpOption {
  switch (o.kind) {
    case 'compression': {
      const data = new Uint8Array(2 + o.data.length);
      data[0] = o.protocol >>> 8;
      data[1] = o.protocol & 0xff;
      data.set(o.data, 2);
      return { type: IPCP_OPTION.IP_COMPRESSION_PROTOCOL, data };
    }
    case 'raw': return { type: o.type, data: o.data };
    default: {
      const a = o.address;
      return { type: TYPE_BY_KIND[o.kind], data: Uint8Array.of(a >>> 24, (a >>> 16) & 0xff, (a >>> 8) & 0xff, a & 0xff) };
    }
  }
}

/** Parses an IPCP option list. */
export function parseIpcpOptions(bytes: Uint8Array): Parsed<IpcpOption[]> {
  const p = parseOptions(bytes);
  if (!p.ok) return fail(p.error.code, p.error.offset, p.error.field);
  return ok(p.value.map(typed), p.bytesRead);
}

/** Encodes an IPCP option list. */
export function encodeIpcpOptions(options: readonly IpcpOption[]): Uint8Array {
  return encodeOptions(options.map(toCp));
}

/** Encoded length of an IPCP option list. */
export function ipcpOptionsLength(options: readonly IpcpOption[]): number {
  return optionsLength(options.map(toCp));
}

