/**
 * What the operations layer (metrics, API, dashboard) reads from a running
 * server: structural views that PppLink, ServerStats, the GRE endpoint and
 * the TUN side satisfy, so tests can hand in fakes.
 */
import type { SessionCounters } from '../ppp/session.js';
import type { ServerStats } from '../server/stats.js';
import type { GreEndpointStats } from '../server/gre-endpoint.js';
import type { TunSideStats } from '../server/tun-side.js';
import type { RadiusStatsView } from '../server/radius/index.js';
import type { IpsecStatsView } from '../server/ipsec-service.js';

/** One PPP link as the operations layer sees it (PppLink fits). */
export interface LinkView {
  readonly id: number;
  readonly state: 'starting' | 'up' | 'down';
  readonly transport: { readonly proto: 'pptp' | 'l2tp'; readonly peerAddress: string };
  readonly session: { readonly counters: SessionCounters };
  readonly username: string | undefined;
  readonly authProtocol: string | undefined;
  readonly peerIp: string | undefined;
  readonly localIp: string | undefined;
  readonly mppe: string | undefined;
  readonly mtu: number;
  /** Wall-clock ms when the call started / when the link came up. */
  readonly startedAt: number;
  readonly upAt: number | undefined;
  uptimeS(): number;
  /** LCP Terminate-Request, then the transport's call clear. */
  close(reason: string, now: number): void;
  /** The rate limit in force and where it came from (absent: none). */
  readonly rateLimit?: { upBps?: number; downBps?: number } | undefined;
  readonly rateLimitSource?: string | undefined;
  /** The address RADIUS assigned (Framed-IP-Address), if it did. */
  readonly framedAddress?: string | undefined;
  /** Acct-Session-Id, when RADIUS tracks the link. */
  readonly acctSessionId?: string | undefined;
}

/** The counters and links the metrics are computed from on each scrape. */
export interface MetricsSource {
  links(): readonly LinkView[];
  stats: ServerStats;
  gre(): GreEndpointStats | undefined;
  tun(): TunSideStats | undefined;
  /** RADIUS clients and the Disconnect listener, when RADIUS is in use. */
  radius?(): RadiusStatsView | undefined;
  /** The built-in IPsec, when enabled. */
  ipsec?(): IpsecStatsView | undefined;
}
