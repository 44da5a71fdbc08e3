/**
 * Prometheus metrics of a running server (prom-client). Everything is read on
 * scrape from the plain counters the server keeps (ServerStats, the GRE
 * endpoint, the TUN side, each session's counters) — no per-packet work.
 * Control-plane events that have no counter of their own (auth failures by
 * reason, session setup latency, a link's final counters) come from the log
 * tap (src/ops/log-ring.ts): `observe(record)`.
 *
 * Names follow the Prometheus conventions: `tunppp_` prefix, `_total` for
 * counters, base units (bytes, seconds). docs/operations.md lists them.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { LogRecord } from '../ops/log-ring.js';
import type { MetricsSource } from './source.js';
import { addIpsecMetrics } from './ipsec-metrics.js';
import { SessionTotals, type ProtoTotals } from './totals.js';
import { L2TP_DROP_REASONS, l2tpDropField } from '../server/stats.js';

/** Auth failure reasons the metrics label with (from PPP's auth machines). */
export const AUTH_FAILURE_REASONS = ['rejected', 'timeout', 'backend-error', 'unknown'] as const;

/** The metrics of one server. */
export interface ServerMetrics {
  registry: Registry;
  /** Feeds one log record (auth failures, link-up latency, link-down totals). */
  observe(rec: LogRecord): void;
  /** Counts a reload. */
  reloaded(ok: boolean): void;
  /** The exposition text. */
  scrape(): Promise<{ contentType: string; body: string }>;
  /** Auth failures by reason so far (for the dashboard). */
  authFailuresByReason(): Record<string, number>;
}

/** Options. */
export interface MetricsOptions {
  /** Process metrics (CPU, memory, event-loop lag, fds). Default true. */
  processMetrics?: boolean;
  /** Labels on every series (`nas`: metrics.nasLabel, so one Prometheus tells servers apart). */
  labels?: Record<string, string>;
}

/** Reason of an auth-failed log line ("… (rejected)", "… (timeout, may retry)"). */
export function authFailureReason(msg: string): (typeof AUTH_FAILURE_REASONS)[number] {
  const m = /\((rejected|timeout|backend-error)[,)]/.exec(msg);
  return (m?.[1] as 'rejected' | 'timeout' | 'backend-error' | undefined) ?? 'unknown';
}

/** Builds the registry for `src`. */
export function createServerMetrics(src: MetricsSource, opts: MetricsOptions = {}): ServerMetrics {
  const registry = new Registry();
  if (opts.labels !== undefined) registry.setDefaultLabels(opts.labels);
  if (opts.processMetrics ?? true) {
    collectDefaultMetrics({ register: registry, prefix: 'tunppp_' });
    // prom-client's totals of these are gauges named …_total, which `promtool check metrics` rejects;
    // the same gauges by type (…{type="…"}) stay, and their sum is the total.
    for (const n of ['active_handles_total', 'active_requests_total', 'active_resources_total']) registry.removeSingleMetric(`tunppp_nodejs_${n}`);
  }
  const totals = new SessionTotals();
  const authFailures: Record<string, number> = {};
  /** Every Peer auth-failed record (attempts), to find the ones the tap missed. */
  let authFailureEvents = 0;
  /** Links that already have a failed login counted. */
  const failedLinks = new Set<number>();
  const reloads = { ok: 0, failed: 0 };
  const registers = [registry];

  /** A counter whose value is read from a plain number on scrape. */
  const mirror = (name: string, help: string, read: () => number): void => {
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  };

  new Gauge({
    name: 'tunppp_sessions',
    help: 'Live PPP sessions by transport and state (starting: negotiating; up: data flows)',
    labelNames: ['protocol', 'state'] as const,
    registers,
    collect() {
      this.reset();
      for (const protocol of ['pptp', 'l2tp']) for (const state of ['starting', 'up']) this.set({ protocol, state }, 0);
      for (const l of src.links()) if (l.state !== 'down') this.inc({ protocol: l.transport.proto, state: l.state });
    },
  });
  mirror('tunppp_sessions_started_total', 'PPP sessions started (calls accepted)', () => src.stats.linksStarted);
  mirror('tunppp_sessions_established_total', 'PPP sessions that reached the up state', () => src.stats.linksUp);
  mirror('tunppp_sessions_ended_total', 'PPP sessions ended', () => src.stats.linksEnded);
  mirror('tunppp_auth_successes_total', 'Peers that authenticated', () => src.stats.authOk);
  new Counter({
    name: 'tunppp_auth_failures_total',
    help: 'Failed peer logins by reason, once per session however often the peer retried (rejected: wrong user or password; timeout: no answer; backend-error)',
    labelNames: ['reason'] as const,
    registers,
    collect() {
      this.reset();
      for (const r of AUTH_FAILURE_REASONS) this.inc({ reason: r }, authFailures[r] ?? 0);
      // Failures the log tap did not see (it starts with the process; counters do too) count as unknown.
      const missing = src.stats.authFailed - authFailureEvents;
      if (missing > 0) this.inc({ reason: 'unknown' }, missing);
    },
  });
  mirror('tunppp_auth_lockouts_total', 'Brute-force lockouts started (a user or source address crossed limits.authFailures)', () => src.stats.authLockoutsUser + src.stats.authLockoutsSource);
  mirror('tunppp_pmtu_events_total', 'Path-MTU events that lowered a link MTU (ICMP fragmentation needed, EMSGSIZE)', () => src.stats.pmtuEvents);
  new Counter({
    name: 'tunppp_pmtu_changes_total',
    help: 'Link MTU changes from the outer path (lowered: by ICMP fragmentation needed or EMSGSIZE; clamped: events below pmtu.minPathMtu, taken as the floor; raised: a step back up after pmtu.raiseAfterS)',
    labelNames: ['change'] as const,
    registers,
    collect() {
      this.reset();
      this.inc({ change: 'lowered' }, src.stats.pmtuEvents);
      this.inc({ change: 'clamped' }, src.stats.pmtuClamped ?? 0);
      this.inc({ change: 'raised' }, src.stats.pmtuRaised ?? 0);
    },
  });
  mirror('tunppp_icmp_too_big_sent_total', 'ICMP fragmentation-needed sent toward inner senders', () => src.stats.icmpTooBigSent);
  mirror('tunppp_fragmented_total', 'IPv4 packets fragmented to fit the tunnel', () => src.stats.fragmented);
  mirror('tunppp_mss_clamped_total', 'TCP SYNs whose MSS was lowered', () => src.stats.mssClamped);

  let lastTotals = new Map<string, ProtoTotals>();
  /** Read by each of the byte, packet and drop metrics (O(links), only on scrape). */
  const refreshTotals = (): void => {
    lastTotals = totals.scrape(src.links());
  };
  /** One in/out counter per protocol from the scrape-time totals. */
  const directionCounter = (name: string, help: string, pick: (t: ProtoTotals | undefined, dir: 'in' | 'out') => number): void => {
    new Counter({
      name,
      help,
      labelNames: ['protocol', 'direction'] as const,
      registers,
      collect() {
        refreshTotals();
        this.reset();
        for (const protocol of ['pptp', 'l2tp']) {
          const t = lastTotals.get(protocol);
          this.inc({ protocol, direction: 'in' }, pick(t, 'in'));
          this.inc({ protocol, direction: 'out' }, pick(t, 'out'));
        }
      },
    });
  };
  directionCounter('tunppp_bytes_total', 'IP payload bytes through PPP sessions (in: from clients; out: to clients)', (t, d) => (d === 'in' ? t?.bytesIn : t?.bytesOut) ?? 0);
  directionCounter('tunppp_packets_total', 'IP packets through PPP sessions (in: from clients; out: to clients)', (t, d) => (d === 'in' ? t?.packetsIn : t?.packetsOut) ?? 0);
  new Counter({
    name: 'tunppp_drops_total',
    help: 'Packets dropped, by where (server, guard, l2tp, gre, tun, ppp) and why',
    labelNames: ['source', 'reason'] as const,
    registers,
    collect() {
      refreshTotals();
      this.reset();
      const s = src.stats;
      this.inc({ source: 'server', reason: 'no-route' }, s.tunNoRoute);
      this.inc({ source: 'server', reason: 'spoofed-source' }, s.spoofedSource);
      this.inc({ source: 'server', reason: 'client-isolation' }, s.isolated);
      for (const reason of L2TP_DROP_REASONS) this.inc({ source: 'l2tp', reason }, s[l2tpDropField(reason)]);
      const g = src.gre();
      if (g) {
        this.inc({ source: 'gre', reason: 'malformed' }, g.malformed);
        this.inc({ source: 'gre', reason: 'unknown-call' }, g.unknownCall);
        this.inc({ source: 'gre', reason: 'out-of-window' }, g.outOfWindow ?? 0);
        this.inc({ source: 'gre', reason: 'tx-failed' }, g.txFailed);
      }
      const t = src.tun();
      if (t) {
        this.inc({ source: 'tun', reason: 'no-route' }, t.noRoute);
        this.inc({ source: 'tun', reason: 'not-ipv4' }, t.notIp);
        this.inc({ source: 'tun', reason: 'tx-failed' }, t.txFailed);
        this.inc({ source: 'tun', reason: 'offload-malformed' }, t.offloadMalformed ?? 0);
      }
      const ppp: Record<string, number> = {};
      for (const tt of lastTotals.values()) for (const [k, v] of Object.entries(tt.drops)) ppp[k] = (ppp[k] ?? 0) + v;
      for (const [reason, v] of Object.entries(ppp)) this.inc({ source: 'ppp', reason }, v);
    },
  });
  new Counter({
    name: 'tunppp_rate_limited_total',
    help: 'Packets dropped by per-session rate limits (in: from clients; out: to clients)',
    labelNames: ['direction'] as const,
    registers,
    collect() {
      this.reset();
      this.inc({ direction: 'in' }, src.stats.rateLimitedIn);
      this.inc({ direction: 'out' }, src.stats.rateLimitedOut);
    },
  });
  // Refusals are not dropped packets: a connection, tunnel, call or login turned away by a limit.
  new Counter({
    name: 'tunppp_refusals_total',
    help: 'Connections, tunnels, calls and logins refused by limits (connections.max and the hostile-peer limits of src/server/guard.ts)',
    labelNames: ['reason'] as const,
    registers,
    collect() {
      this.reset();
      const s = src.stats;
      this.inc({ reason: 'connection-limit' }, s.refusedAtLimit);
      this.inc({ reason: 'too-many-starting' }, s.refusedStarting);
      this.inc({ reason: 'too-many-starting-from-source' }, s.refusedStartingPerSource);
      this.inc({ reason: 'too-many-from-source' }, s.refusedPerSource);
      this.inc({ reason: 'connect-rate' }, s.refusedConnectRate);
      this.inc({ reason: 'auth-locked-out' }, s.authRefusedLocked);
      this.inc({ reason: 'starting-evicted' }, s.evictedStarting);
      this.inc({ reason: 'too-many-unauthenticated-from-source' }, s.refusedUnauthenticatedPerSource);
      this.inc({ reason: 'unauthenticated-evicted' }, s.evictedUnauthenticated);
    },
  });
  new Counter({
    name: 'tunppp_gre_packets_total',
    help: 'GRE packets on the raw socket',
    labelNames: ['direction'] as const,
    registers,
    collect() {
      this.reset();
      const g = src.gre();
      this.inc({ direction: 'rx' }, g?.rx ?? 0);
      this.inc({ direction: 'tx' }, g?.tx ?? 0);
    },
  });
  mirror('tunppp_gre_icmp_errors_total', 'ICMP errors received for GRE (calls are kept)', () => src.gre()?.icmpErrors ?? 0);
  new Counter({
    name: 'tunppp_tun_packets_total',
    help: 'Packets read from (rx) and written to (tx) the TUN device',
    labelNames: ['direction'] as const,
    registers,
    collect() {
      this.reset();
      const t = src.tun();
      this.inc({ direction: 'rx' }, t?.rxPackets ?? 0);
      this.inc({ direction: 'tx' }, t?.txPackets ?? 0);
    },
  });
  new Counter({
    name: 'tunppp_tun_offload_total',
    help: 'TUN offloads: TCP super-packets read (gso-read) and the segments cut from them (gso-segments); segments merged before a TUN write (gro-merged)',
    labelNames: ['kind'] as const,
    registers,
    collect() {
      this.reset();
      const t = src.tun();
      this.inc({ kind: 'gso-read' }, t?.gsoPackets ?? 0);
      this.inc({ kind: 'gso-segments' }, t?.gsoSegments ?? 0);
      this.inc({ kind: 'gro-merged' }, t?.groMerged ?? 0);
    },
  });
  new Counter({
    name: 'tunppp_reloads_total',
    help: 'Configuration reloads (SIGHUP, POST /reload) by result',
    labelNames: ['result'] as const,
    registers,
    collect() {
      this.reset();
      this.inc({ result: 'ok' }, reloads.ok);
      this.inc({ result: 'failed' }, reloads.failed);
    },
  });
  addRadiusMetrics(src, registers);
  addIpsecMetrics(src, registers);
  const setup = new Histogram({
    name: 'tunppp_session_setup_seconds',
    help: 'Time from call start to link up (LCP, authentication, IPCP, CCP)',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30],
    registers,
  });

  return {
    registry,
    observe(rec) {
      if (rec.event === 'auth-failed' && /^Peer /.test(rec.msg)) {
        authFailureEvents++;
        // One failed login is one, however many times the peer retried on the link (MS-CHAP allows three).
        const link = rec.fields.link;
        if (typeof link === 'number') {
          if (failedLinks.has(link)) return;
          if (failedLinks.size >= 65_536) failedLinks.delete(failedLinks.values().next().value!);
          failedLinks.add(link);
        }
        const r = authFailureReason(rec.msg);
        authFailures[r] = (authFailures[r] ?? 0) + 1;
      } else if (rec.event === 'link-up' || rec.event === 'link-down') {
        const id = rec.fields.link;
        if (typeof id !== 'number') return;
        if (rec.event === 'link-down') failedLinks.delete(id);
        const link = src.links().find((l) => l.id === id);
        if (!link) return;
        if (rec.event === 'link-up' && link.upAt !== undefined) setup.observe(Math.max(0, (link.upAt - link.startedAt) / 1000));
        else if (rec.event === 'link-down') totals.retire(link);
      }
    },
    reloaded(ok) {
      if (ok) reloads.ok++;
      else reloads.failed++;
    },
    async scrape() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
    authFailuresByReason() {
      const out: Record<string, number> = { ...authFailures };
      const missing = src.stats.authFailed - authFailureEvents;
      if (missing > 0) out.unknown = (out.unknown ?? 0) + missing;
      return out;
    },
  };
}

/**
 * RADIUS: per server and type (auth: Access-Requests; acct: Accounting-Requests)
 * from the client machines' counters, the response-time histogram fed by the
 * glue's hook, and the Disconnect-Request listener (RFC 5176).
 */
function addRadiusMetrics(src: MetricsSource, registers: Registry[]): void {
  const clients = () => src.radius?.()?.clients() ?? [];
  /** One counter per (server, type) from a client view. */
  const perServer = (name: string, help: string, read: (c: ReturnType<typeof clients>[number], i: number) => number): void => {
    new Counter({
      name,
      help,
      labelNames: ['server', 'type'] as const,
      registers,
      collect() {
        this.reset();
        for (const c of clients()) for (const [i, server] of c.servers.entries()) this.inc({ server, type: c.type }, read(c, i));
      },
    });
  };
  new Counter({
    name: 'tunppp_radius_requests_total',
    help: 'RADIUS requests a server finished, by result (accept, reject, challenge: Access-*; ack: Accounting-Response; timeout: no answer after 1 + retries transmissions, the request moved to the next server or failed)',
    labelNames: ['server', 'type', 'result'] as const,
    registers,
    collect() {
      this.reset();
      for (const c of clients()) {
        for (const [i, server] of c.servers.entries()) {
          const k = c.counters[i];
          if (!k) continue;
          const type = c.type;
          if (type === 'auth') {
            this.inc({ server, type, result: 'accept' }, k.accepts);
            this.inc({ server, type, result: 'reject' }, k.rejects);
            this.inc({ server, type, result: 'challenge' }, k.challenges);
          } else this.inc({ server, type, result: 'ack' }, k.accountingResponses);
          this.inc({ server, type, result: 'timeout' }, k.timeouts);
        }
      }
    },
  });
  perServer('tunppp_radius_sent_total', 'RADIUS requests sent to a server (first transmissions; a failover to it counts here too)', (c, i) => c.counters[i]?.requests ?? 0);
  perServer('tunppp_radius_retransmissions_total', 'RADIUS requests sent again after timeoutMs (same Identifier and authenticator)', (c, i) => c.counters[i]?.retransmissions ?? 0);
  perServer('tunppp_radius_failovers_total', 'Times a silent RADIUS server stopped being the first choice', (c, i) => c.counters[i]?.failovers ?? 0);
  perServer('tunppp_radius_send_errors_total', 'RADIUS datagrams the UDP socket could not send', (c, i) => c.sendErrors[i] ?? 0);
  new Counter({
    name: 'tunppp_radius_reply_drops_total',
    help: 'RADIUS replies dropped, by reason (bad-authenticator: wrong secret or forged; unknown-identifier: late duplicate; unknown-source: not from a configured server)',
    labelNames: ['server', 'type', 'reason'] as const,
    registers,
    collect() {
      this.reset();
      for (const c of clients()) {
        for (const [i, server] of c.servers.entries()) for (const [reason, v] of Object.entries(c.counters[i]?.drops ?? {})) this.inc({ server, type: c.type, reason }, v ?? 0);
        if (c.unknownSource > 0) this.inc({ server: 'unknown', type: c.type, reason: 'unknown-source' }, c.unknownSource);
      }
    },
  });
  new Counter({
    name: 'tunppp_radius_unanswered_total',
    help: 'RADIUS requests no server answered (auth: the next backend decides or the login fails; acct: the record is lost)',
    labelNames: ['type'] as const,
    registers,
    collect() {
      this.reset();
      for (const c of clients()) this.inc({ type: c.type }, c.unanswered);
    },
  });
  new Gauge({
    name: 'tunppp_radius_outstanding',
    help: 'RADIUS requests in flight or waiting for a free Identifier (acct: the accounting backlog)',
    labelNames: ['type'] as const,
    registers,
    collect() {
      this.reset();
      for (const c of clients()) this.set({ type: c.type }, c.outstanding);
    },
  });
  const rtt = new Histogram({
    name: 'tunppp_radius_response_seconds',
    help: 'Time from the first transmission to a RADIUS server until its verified answer (includes retransmission waits)',
    labelNames: ['server', 'type'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  src.radius?.()?.onResponseTime((type, server, seconds) => rtt.observe({ server, type }, seconds));
  new Counter({
    name: 'tunppp_radius_disconnect_requests_total',
    help: 'RFC 5176 requests on the Disconnect listener by result (ack, nak-not-found, nak-missing-attribute, coa-ack, coa-nak; duplicate: answered again, not acted on; dropped: unknown-client, malformed, bad-authenticator, stale-timestamp)',
    labelNames: ['result'] as const,
    registers,
    collect() {
      this.reset();
      const d = src.radius?.()?.disconnect;
      if (!d) return;
      this.inc({ result: 'ack' }, d.ack);
      this.inc({ result: 'nak-not-found' }, d.nakNotFound);
      this.inc({ result: 'nak-missing-attribute' }, d.nakMissingAttribute);
      this.inc({ result: 'coa-ack' }, d.coaAck);
      this.inc({ result: 'coa-nak' }, d.coaNak);
      this.inc({ result: 'unknown-client' }, d.unknownClient);
      this.inc({ result: 'malformed' }, d.malformed);
      this.inc({ result: 'bad-authenticator' }, d.badAuthenticator);
      this.inc({ result: 'stale-timestamp' }, d.staleTimestamp);
      this.inc({ result: 'duplicate' }, d.duplicate);
    },
  });
  new Counter({
    name: 'tunppp_radius_disconnect_sessions_closed_total',
    help: 'Sessions closed because a Disconnect-Request named them',
    registers,
    collect() {
      this.reset();
      this.inc(src.radius?.()?.disconnect.sessionsClosed ?? 0);
    },
  });
}
