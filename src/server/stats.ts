/** Server-wide counters: plain numbers, read by the metrics layer on scrape. */

/** Counters of one server. */
export interface ServerStats {
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
    spoofedSource: 0, isolated: 0, icmpTooBigSent: 0, fragmented: 0, mssClamped: 0, refusedAtLimit: 0,
    refusedStarting: 0, refusedStartingPerSource: 0, refusedPerSource: 0, refusedConnectRate: 0,
    authLockoutsUser: 0, authLockoutsSource: 0, authRefusedLocked: 0,
  };
}
