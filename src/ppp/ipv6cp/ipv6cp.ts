/**
 * IPv6 Control Protocol (RFC 5072 §4): Interface-Identifier negotiation
 * for link-local addresses. Read RFC 5072 §4.1 before editing.
 *
 * Each side proposes a random non-zero 64-bit identifier. A zero or
 * colliding identifier from the peer is Nak'd with a fresh random one
 * (§4.1); a Nak of ours is taken when the suggestion is non-zero and differs
 * from the peer's. IPv6-Compression-Protocol is refused with Configure-Reject.
 * Identifiers are kept as 16-digit lowercase hex strings.
 */
import { CP_CODE, PPP_PROTO } from '../protocols.js';
import type { Rng } from '../../core/rng.js';
import { ControlProtocol } from '../fsm/protocol.js';
import type { CiResult, FsmOptions, ReqciResult } from '../fsm/fsm.js';
import { bytesEqual, encodeOptions, parseOptions, type CpOption } from '../fsm/packet.js';
import { fail, ok, type Parsed } from '../../wire/parsed.js';

/** IPV6CP option types. */
export const IPV6CP_OPTION = { INTERFACE_IDENTIFIER: 1, IPV6_COMPRESSION_PROTOCOL: 2 } as const;

/** One IPV6CP option. */
export type Ipv6cpOption =
  | { kind: 'interface-identifier'; identifier: string }
  | { kind: 'raw'; type: number; data: Uint8Array };

/** Parses an IPV6CP option list. */
export function parseIpv6cpOptions(bytes: Uint8Array): Parsed<Ipv6cpOption[]> {
  const p = parseOptions(bytes);
  if (!p.ok) return fail(p.error.code, p.error.offset, p.error.field);
  return ok(
    p.value.map((o): Ipv6cpOption =>
      o.type === IPV6CP_OPTION.INTERFACE_IDENTIFIER && o.data.length === 8 ? { kind: 'interface-identifier', identifier: hex(o.data) } : { kind: 'raw', type: o.type, data: o.data },
    ),
    p.bytesRead,
  );
}

function toCp(o: Ipv6cpOption): CpOption {
  return o.kind === 'raw' ? { type: o.type, data: o.data } : { type: IPV6CP_OPTION.INTERFACE_IDENTIFIER, data: unhex(o.identifier) };
}

/** Encodes an IPV6CP option list. */
export function encodeIpv6cpOptions(options: readonly Ipv6cpOption[]): Uint8Array {
  return encodeOptions(options.map(toCp));
}

/** Encoded length of an IPV6CP option list. */
export function ipv6cpOptionsLength(options: readonly Ipv6cpOption[]): number {
  return options.reduce((n, o) => n + 2 + toCp(o).data.length, 0);
}

const ZERO = '0000000000000000';

function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

function unhex(s: string): Uint8Array {
  const out = new Uint8Array(8);
  for (let i = 0; i < 8; i++) out[i] = parseInt(s.slice(i * 2, i * 2 + 2), 16) || 0;
  return out;
}

/** The fe80::/64 link-local address for an identifier. */
export function linkLocalAddress(identifier: string): string {
  const g = [0, 4, 8, 12].map((i) => parseInt(identifier.slice(i, i + 4), 16).toString(16));
  return `fe80::${g.join(':')}`;
}

/** IPV6CP policy. */
export interface Ipv6cpConfig {
  /** Our identifier (16 hex digits); random when absent. */
  interfaceIdentifier?: string;
  /** Collisions tolerated before giving up. */
  maxCollisions?: number;
  fsm?: Partial<FsmOptions>;
}

/** What IPV6CP agreed. */
export interface Ipv6cpNegotiated {
  localIdentifier: string;
  peerIdentifier: string;
  localAddress: string;
  peerAddress: string;
}

/** IPV6CP negotiation handler. */
export class Ipv6cp extends ControlProtocol<never> {
  negotiated: Ipv6cpNegotiated | undefined;
  private local: string | undefined;
  private his = ZERO;
  private lastRequest: Uint8Array = new Uint8Array(0);
  private collisions = 0;

  constructor(private readonly cfg: Ipv6cpConfig, private readonly rng: Rng) {
    super(PPP_PROTO.IPV6CP, cfg.fsm);
    this.resetci();
  }

  private random(avoid: string): string {
    for (;;) {
      const id = hex(this.rng.bytes(8));
      if (id !== ZERO && id !== avoid) return id;
    }
  }

  resetci(): void {
    this.local = this.cfg.interfaceIdentifier?.toLowerCase() ?? this.random(ZERO);
    this.his = ZERO;
    this.collisions = 0;
  }

  addci(): Uint8Array {
    this.lastRequest = this.local === undefined ? new Uint8Array(0) : encodeIpv6cpOptions([{ kind: 'interface-identifier', identifier: this.local }]);
    return this.lastRequest;
  }

  ackci(options: Uint8Array): boolean {
    return bytesEqual(options, this.lastRequest);
  }

  nakci(options: Uint8Array): CiResult {
    const p = parseIpv6cpOptions(options);
    if (!p.ok) return false;
    for (const o of p.value) {
      if (o.kind !== 'interface-identifier' || this.local === undefined) continue;
      // RFC 5072 §4.1: use the suggestion unless it is zero or the peer's own.
      if (++this.collisions > (this.cfg.maxCollisions ?? 5)) return { close: 'Interface-Identifier collision loop' };
      this.local = o.identifier !== ZERO && o.identifier !== this.his ? o.identifier : this.random(this.his);
    }
    return true;
  }

  rejci(options: Uint8Array): CiResult {
    const p = parseIpv6cpOptions(options);
    if (!p.ok) return false;
    for (const o of p.value) {
      if (o.kind !== 'interface-identifier' || this.local === undefined) return false;
      this.local = undefined;
    }
    return true;
  }

  reqci(options: Uint8Array, rejectIfDisagree: boolean): ReqciResult {
    const p = parseIpv6cpOptions(options);
    if (!p.ok) return { code: CP_CODE.CONFIGURE_REJECT, options };
    const rej: Ipv6cpOption[] = [];
    const nak: Ipv6cpOption[] = [];
    let his = ZERO;
    for (const o of p.value) {
      if (o.kind === 'raw') {
        rej.push(o);
        continue;
      }
      if (o.identifier === ZERO || o.identifier === this.local) {
        if (rejectIfDisagree) rej.push(o);
        else nak.push({ kind: 'interface-identifier', identifier: this.random(this.local ?? ZERO) });
      } else his = o.identifier;
    }
    if (rej.length) return { code: CP_CODE.CONFIGURE_REJECT, options: encodeIpv6cpOptions(rej) };
    if (nak.length) return { code: CP_CODE.CONFIGURE_NAK, options: encodeIpv6cpOptions(nak) };
    this.his = his;
    return { code: CP_CODE.CONFIGURE_ACK, options };
  }

  up(): void {
    if (this.local === undefined || this.his === ZERO) {
      this.pendingClose = 'no Interface-Identifier agreed';
      return;
    }
    this.negotiated = { localIdentifier: this.local, peerIdentifier: this.his, localAddress: linkLocalAddress(this.local), peerAddress: linkLocalAddress(this.his) };
  }

  down(): void {
    this.negotiated = undefined;
  }
}
