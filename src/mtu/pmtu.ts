/**
 * Path MTU events for a running tunnel: turn an ICMP "fragmentation needed"
 * (RFC 1191) or an EMSGSIZE into a new path MTU estimate, then into the new
 * PPP MRU, IP MTU and MSS clamp via `bestTunnelMtu`.
 *
 * RFC 1191 §4: the Next-Hop MTU field carries the constricting MTU; routers
 * that predate RFC 1191 leave it zero. §5: then take the greatest plateau of
 * Table 7-1 that is less than the Total Length of the datagram that was too big
 * (reduced by 4 × its header length when it is not less than the current
 * estimate, for routers that return the length in host order). Estimates never
 * go up from an ICMP message; increases come from probing (RFC 4821), not here.
 */
import { bestTunnelMtu, type TunnelMtu, type TunnelOptions } from './overhead.js';

/** RFC 1191 Table 7-1 plateaus, largest first. */
export const PMTU_PLATEAUS: readonly number[] = [65535, 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68];

/** The greatest plateau strictly below `size` (68 at least). */
export function plateauBelow(size: number): number {
  for (const p of PMTU_PLATEAUS) if (p < size) return p;
  return 68;
}

/** What an ICMP fragmentation-needed (type 3 code 4) said about one of our packets. */
export interface FragNeeded {
  /** Next-Hop MTU field; 0 from routers older than RFC 1191. */
  nextHopMtu: number;
  /** Total Length of our packet as quoted in the ICMP message. */
  quotedTotalLength: number;
  /** Header Length of the quoted packet, bytes (IHL × 4). */
  quotedHeaderBytes: number;
}

/**
 * New path MTU estimate after a fragmentation-needed message, or `undefined`
 * when the message does not lower the current estimate (ignore it).
 */
export function pathMtuFromIcmp(current: number, msg: FragNeeded, minimum = 68): number | undefined {
  let next: number;
  if (msg.nextHopMtu >= minimum && msg.nextHopMtu < current) {
    next = msg.nextHopMtu;
  } else if (msg.nextHopMtu === 0) {
    let total = msg.quotedTotalLength;
    // RFC 1191 §5 note: some BSD routers return the length plus the header length in host order.
    if (total >= current) total -= 4 * msg.quotedHeaderBytes;
    next = plateauBelow(Math.min(total, current));
  } else {
    return undefined;
  }
  next = Math.max(next, minimum);
  return next < current ? next : undefined;
}

/** The result of applying a new path MTU to a tunnel. */
export interface PmtuChange {
  /** True when the tunnel's IP MTU went down. */
  lowered: boolean;
  before: TunnelMtu;
  after: TunnelMtu;
}

/**
 * Recomputes the tunnel sizes for `newPathMtu`. The server keeps the LCP MRU it
 * negotiated (renegotiating LCP drops the session) and instead lowers the MSS
 * clamp and fragments/refuses larger packets: use `after.ipMtu` and
 * `after.mssIpv4`/`after.mssIpv6`.
 */
export function applyPathMtu(before: TunnelMtu, newPathMtu: number, opts: TunnelOptions): PmtuChange {
  const after = bestTunnelMtu(newPathMtu, opts);
  return { lowered: after.ipMtu < before.ipMtu, before, after };
}
