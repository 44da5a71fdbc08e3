/** Server-wide counters: plain numbers, read by the metrics layer on scrape. */
import { L2TP_ENDPOINT_DROP_REASONS, type L2tpEndpointDropReason } from '../l2tp/endpoint.js';

/** Why an L2TP datagram was dropped: the endpoint's reasons, and sequenced data older than the newest seen (§5.4). */
export type L2tpDropReason = L2tpEndpointDropReason | 'stale-sequence';

/** Every L2TP drop reason, for counters that list them all. */
export const L2TP_DROP_REASONS: readonly L2tpDropReason[] = [...L2TP_ENDPOINT_DROP_REASONS, 'stale-sequence'];

/** One counter per L2TP drop reason, as flat fields (`l2tpDrop:wrong-source` ...). */
export type L2tpDropCounters = { [K in L2tpDropReason as `l2tpDrop:${K}`]: number };

/** The ServerStats field counting L2TP drops for `reason`. */
export function l2tpDropField(reason: L2tpDropReason): keyof L2tpDropCounters {
  return `l2tpDrop:${reason}`;
}

/**
 * Counters of one server. The L2TP drops (L2tpDropCounters) are datagrams
 * dropped by reason: wrong-source (not from the tunnel's peer), bad-nr (acks
 * what we never sent), unknown-tunnel, malformed-header ...
 */
export interface ServerStats extends L2tpDropCounters {
  linksStarted: number;
  linksUp: number;
  linksEnded: number;
  authOk: number;
  authFailed: number;
  /** Path-MTU events acted on (ICMP fragmentation needed or EMSGSIZE). */
  pmtuEvents: number;
  /** Path-MTU events that claimed less than pmtu.minPathMtu (taken as the floor). */
  pmtuClamped: number;
  /** Link MTUs raised a step after pmtu.raiseAfterS / raiseStepS without a path-MTU event. */
  pmtuRaised: number;
  /** Packets from TUN for an address no link owns. */
  tunNoRoute: number;
  /** Packets a client sent with a source address that is not its own. */
  spoofedSource: number;
  /** Packets between two clients dropped by client isolation. */
  isolated: number;
  /** Packets a session's rate limit dropped: from the client (in) and toward it (out). */
  rateLimitedIn: number;
  rateLimitedOut: number;
  /** ICMP fragmentation-needed / packet-too-big we sent toward inner senders. */
  icmpTooBigSent: number;
  /** IPv4 packets we fragmented to fit the tunnel (no DF). */
  fragmented: number;
  /** TCP SYNs whose MSS we lowered. */
  mssClamped: number;
  /** Calls refused because the connection limit was reached. */
  refusedAtLimit: number;
  /** Hostile-peer limits (guard.ts): control connections / SCCRQs refused, by limit. */
  refusedStarting: number;
  refusedStartingPerSource: number;
  refusedPerSource: number;
  refusedConnectRate: number;
  /** L2TP tunnels in setup evicted for an SCCRQ from a source holding fewer (setup fairness). */
  evictedStarting: number;
  /** Sessions refused: their source has limits.maxUnauthenticatedPerSource sessions not yet authenticated. */
  refusedUnauthenticatedPerSource: number;
  /** Unauthenticated sessions closed at the connection limit for a session from a source holding fewer. */
  evictedUnauthenticated: number;
  /** Brute-force lockouts started, of a user name and of a source address. */
  authLockoutsUser: number;
  authLockoutsSource: number;
  /** Logins refused unchecked while the user or address was locked out. */
  authRefusedLocked: number;
}

/** Fresh zeroed counters. */
export function newServerStats(): ServerStats {
  return {
    linksStarted: 0, linksUp: 0, linksEnded: 0, authOk: 0, authFailed: 0, pmtuEvents: 0, pmtuClamped: 0, pmtuRaised: 0, tunNoRoute: 0,
    spoofedSource: 0, isolated: 0, rateLimitedIn: 0, rateLimitedOut: 0, icmpTooBigSent: 0, fragmented: 0, mssClamped: 0, refusedAtLimit: 0,
    refusedStarting: 0, refusedStartingPerSource: 0, refusedPerSource: 0, refusedConnectRate: 0,
    evictedStarting: 0, refusedUnauthenticatedPerSource: 0, evictedUnauthenticated: 0,
    authLockoutsUser: 0, authLockoutsSource: 0, authRefusedLocked: 0,
    ...(Object.fromEntries(L2TP_DROP_REASONS.map((r) => [l2tpDropField(r), 0])) as L2tpDropCounters),
  };
}
