/**
 * The API backend on a running server: sessions from its links, kick through
 * the link (LCP Terminate-Request, then the transport's call clear), reload
 * through the reloader, metrics, and the dashboard's views of the log ring
 * (recent auth failures, `tunppp doctor` on the server's own log).
 */
import type { ServerMetrics } from '../metrics/metrics.js';
import type { LinkView } from '../metrics/source.js';
import type { LogRing } from '../ops/log-ring.js';
import type { ServerStats } from '../server/stats.js';
import { runDoctor, type DoctorLimits } from './doctor-runner.js';
import type { ApiBackend, AuthFailureInfo, DoctorOutcome, ReloadReport, SessionInfo, StatusInfo } from './types.js';

/** The parts of a RunningServer the backend uses (RunningServer fits; tests pass fakes). */
export interface OpsServer {
  /** `config`: the running configuration, for fixes that name its files (absent in some tests). */
  ctx: { stats: ServerStats; clock: { now(): number }; config?: { auth: { chapSecrets: string }; ppp: { name: string }; radius?: { nasIdentifier: string } } };
  links(): readonly LinkView[];
  listening: readonly { proto: string; address: string; port: number }[];
  tun: { name: string };
  /** Sends what the links queued (GRE batch, TUN batch). */
  flush(): void;
}

/** Everything the backend is built from. */
export interface OpsOptions {
  server: OpsServer;
  ring: LogRing;
  metrics: ServerMetrics;
  /** Re-reads the configuration and applies it (serve.ts builds it). */
  reload: () => Promise<ReloadReport>;
  version: string;
  masquerade?: string | null;
  user?: string | null;
  /** How long DELETE waits for the link to end before answering 202. Default 3000 ms. */
  kickWaitMs?: number;
  /** Caps of `GET /doctor` (input size, time, heap). */
  doctorLimits?: DoctorLimits;
}

/** The backend plus its bookkeeping. */
export interface Ops extends ApiBackend {
  /** Number of reloads done (SIGHUP and API). */
  readonly reloads: number;
}

/** Converts a link to its API shape. */
export function sessionInfo(l: LinkView, nas: string | null = null): SessionInfo {
  const c = l.session.counters;
  return {
    id: l.id,
    protocol: l.transport.proto,
    state: l.state,
    user: l.username ?? null,
    clientAddress: l.transport.peerAddress,
    assignedIp: l.peerIp ?? null,
    localIp: l.localIp ?? null,
    auth: l.authProtocol ?? null,
    mppe: l.mppe ?? null,
    mtu: l.mtu,
    uptimeS: Math.round(l.uptimeS() * 10) / 10,
    startedAt: new Date(l.startedAt).toISOString(),
    bytesIn: c.bytesIn,
    bytesOut: c.bytesOut,
    packetsIn: c.packetsIn,
    packetsOut: c.packetsOut,
    nas,
    addressFrom: l.peerIp === undefined ? null : l.framedAddress !== undefined && l.framedAddress === l.peerIp ? 'radius' : 'local',
    acctSessionId: l.acctSessionId ?? null,
    rateLimit: l.rateLimit === undefined ? null : { upBps: l.rateLimit.upBps ?? null, downBps: l.rateLimit.downBps ?? null, source: l.rateLimitSource ?? '' },
  };
}

/** Builds the backend. */
export function createOps(o: OpsOptions): Ops {
  const started = Date.now();
  let reloads = 0;
  let lastReload: string | null = null;
  let reloading: Promise<ReloadReport> | undefined;
  // The doctor reads up to the ring's capacity of lines: run it again only when lines were added
  // (a capped run too: the same log would hit the same cap). One run at a time.
  let doctorCache: { total: number; outcome: Promise<DoctorOutcome> } | undefined;
  /** A run queued behind the one in flight (at most one). */
  let doctorWaiting: { total: number; outcome: Promise<DoctorOutcome> } | undefined;
  const liveLinks = (): LinkView[] => o.server.links().filter((l) => l.state !== 'down');

  const ops: Ops = {
    get reloads() {
      return reloads;
    },
    sessions() {
      return liveLinks()
        .map((l) => sessionInfo(l, o.server.ctx.config?.radius?.nasIdentifier ?? null))
        .sort((a, b) => a.id - b.id);
    },
    async kick(id) {
      const link = liveLinks().find((l) => l.id === id);
      if (!link) return undefined;
      link.close('disconnected by the administrator', o.server.ctx.clock.now());
      o.server.flush();
      // The link ends when the peer acks the Terminate-Request (or the restart timer gives up).
      const deadline = Date.now() + (o.kickWaitMs ?? 3000);
      while (link.state !== 'down' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      return { id, ended: link.state === 'down' };
    },
    reload() {
      // One at a time: a second SIGHUP during a reload waits for it and reloads again.
      const run = async (): Promise<ReloadReport> => {
        const r = await o.reload();
        o.metrics.reloaded(r.ok);
        if (r.ok) {
          reloads++;
          lastReload = new Date().toISOString();
        }
        return r;
      };
      const next = (reloading ?? Promise.resolve()).then(run, run);
      reloading = next;
      return next;
    },
    metrics() {
      return o.metrics.scrape();
    },
    status(): StatusInfo {
      const links = liveLinks();
      const totals = { bytesIn: 0, bytesOut: 0, packetsIn: 0, packetsOut: 0 };
      for (const l of links) {
        const c = l.session.counters;
        totals.bytesIn += c.bytesIn;
        totals.bytesOut += c.bytesOut;
        totals.packetsIn += c.packetsIn;
        totals.packetsOut += c.packetsOut;
      }
      const s = o.server.ctx.stats;
      return {
        version: o.version,
        pid: process.pid,
        startedAt: new Date(started).toISOString(),
        uptimeS: Math.round((Date.now() - started) / 1000),
        listening: o.server.listening.map((l) => ({ ...l })),
        tun: o.server.tun.name,
        sessions: { total: links.length, up: links.filter((l) => l.state === 'up').length, starting: links.filter((l) => l.state === 'starting').length },
        totals,
        authOk: s.authOk,
        authFailuresByReason: o.metrics.authFailuresByReason(),
        counters: { ...s },
        ops: { masquerade: o.masquerade ?? null, user: o.user ?? null, reloads, lastReload },
      };
    },
    authFailures(): AuthFailureInfo[] {
      return o.ring
        .recentRecords('auth-failed')
        .filter((r) => /^Peer /.test(r.msg))
        .slice(-50)
        .reverse()
        .map((r) => {
          const f = r.fields;
          const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
          const m = /failed (\S+) authentication/.exec(r.msg);
          const reason = /\((rejected|timeout|backend-error)[,)]/.exec(r.msg)?.[1] ?? 'unknown';
          return { time: new Date(r.time).toISOString(), user: str(f.user), peer: str(f.peer), protocol: m?.[1] ?? null, reason, message: r.msg };
        });
    },
    doctor(): Promise<DoctorOutcome> {
      const total = o.ring.total;
      if (doctorCache && doctorCache.total === total) return doctorCache.outcome;
      // One run at a time, and at most one waiting behind it: requests while one waits share it
      // (it reads the log ring when it starts, so it sees their lines too).
      if (doctorWaiting) return doctorWaiting.outcome;
      const running = doctorCache?.outcome;
      const c = o.server.ctx.config;
      const here = c ? { chapSecrets: c.auth.chapSecrets, serverName: c.ppp.name } : undefined;
      const entry = { total, outcome: undefined as unknown as Promise<DoctorOutcome> };
      const start = (): Promise<DoctorOutcome> => {
        if (doctorWaiting === entry) doctorWaiting = undefined;
        entry.total = o.ring.total;
        return runDoctor(o.ring.recentLines(), o.doctorLimits, here);
      };
      entry.outcome = running ? running.then(start, start) : start();
      if (running) doctorWaiting = entry;
      doctorCache = entry;
      return entry.outcome;
    },
    log() {
      return o.ring.recentLines();
    },
  };
  return ops;
}
