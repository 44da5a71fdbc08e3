/**
 * RADIUS for one server process, split by job as accel-ppp's radius/ is:
 *  - transport.ts: the UDP client around the pure machine (src/radius/client.ts);
 *  - setup.ts: secrets and server addresses read at start;
 *  - auth-backend.ts: the backend chain (chap-secrets and RADIUS) the links call;
 *  - accounting.ts: accounting records and the Access-Accept's session limits;
 *  - dae-listener.ts: the RFC 5176 Disconnect-Request listener;
 *  - coa.ts: CoA-Requests applied to live sessions.
 * `RadiusService` wires them up, and is the `AuthBackend` and the link
 * observer the server hands to its links. Its timers (the clients'
 * retransmissions, the once-a-second limit and interim check) live on the
 * scheduler.
 */
import type { Config } from '../../config/schema.js';
import type { ChapSecret } from '../../config/chap-secrets.js';
import type { Millis } from '../../core/machine.js';
import type { Rng } from '../../core/rng.js';
import type { Clock } from '../../io/clock.js';
import type { Logger } from '../../log/logger.js';
import type { AuthBackend, AuthVerdict, VerifyRequest } from '../../ppp/auth/types.js';
import type { PppLink } from '../link.js';
import { Scheduler } from '../scheduler.js';
import { RadiusAccounting } from './accounting.js';
import { RadiusAuthChain } from './auth-backend.js';
import { DaeListener, type DisconnectCounters } from './dae-listener.js';
import type { RadiusEndpoint } from './setup.js';
import type { CoaNas } from '../../radius/coa.js';
import { RadiusUdpClient, type RadiusClientView } from './transport.js';

export { resolveRadiusServers, type RadiusEndpoint } from './setup.js';
export { RadiusRequestRefused, RadiusUdpClient, type RadiusAnswer, type RadiusClientView, type RadiusUdpOptions } from './transport.js';
export type { DisconnectCounters } from './dae-listener.js';

/** RADIUS as the metrics see it: read on scrape, plus a hook for response times. */
export interface RadiusStatsView {
  clients(): RadiusClientView[];
  disconnect: DisconnectCounters;
  /** Calls `fn` for each verified answer with the seconds since the first transmission to that server. Returns an unsubscribe. */
  onResponseTime(fn: (type: 'auth' | 'acct', server: string, seconds: number) => void): () => void;
}

/**
 * RADIUS for one server process: the auth backend (chained with
 * chap-secrets), accounting, session limits and Disconnect-Request.
 */
export class RadiusService implements AuthBackend {
  private readonly sessions: RadiusAccounting;
  private readonly chain: RadiusAuthChain;
  private dae: DaeListener | undefined;
  private readonly scheduler: Scheduler;
  private readonly ownScheduler: boolean;
  /** Scheduler key of the poll tick. */
  private readonly tick = {};
  private ticking = false;
  /** How often timeouts and interim updates are checked; 0 leaves polling to the caller (tests drive `poll`). */
  pollIntervalMs = 1000;
  /** Wall-clock seconds for Event-Timestamp (tests replace it). */
  wallClockS: () => number = () => Date.now() / 1000;
  private readonly disconnectCounts: DisconnectCounters = { ack: 0, nakNotFound: 0, nakMissingAttribute: 0, staleTimestamp: 0, duplicate: 0, coaAck: 0, coaNak: 0, unknownClient: 0, malformed: 0, badAuthenticator: 0, sessionsClosed: 0 };
  private readonly responseTimeObservers = new Set<(type: 'auth' | 'acct', server: string, seconds: number) => void>();
  /** The counters the metrics read (src/metrics/metrics.ts). */
  readonly stats: RadiusStatsView = {
    clients: () => [...(this.chain.client ? [this.chain.client.view('auth')] : []), ...(this.sessions.client ? [this.sessions.client.view('acct')] : [])],
    disconnect: this.disconnectCounts,
    onResponseTime: (fn) => {
      this.responseTimeObservers.add(fn);
      return () => this.responseTimeObservers.delete(fn);
    },
  };

  constructor(
    private readonly config: Config,
    secrets: readonly ChapSecret[],
    private readonly endpoints: readonly RadiusEndpoint[],
    private readonly clock: Clock,
    private readonly rng: Rng,
    private readonly log: Logger,
    /** The server's scheduler; a private one when absent. */
    scheduler?: Scheduler,
  ) {
    this.scheduler = scheduler ?? new Scheduler(clock);
    this.ownScheduler = scheduler === undefined;
    // 64 random bits: Acct-Session-Ids stay unique across servers sharing one RADIUS and across restarts (RFC 2866 §5.5).
    const bootId = [...rng.bytes(8)].map((b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();
    this.sessions = new RadiusAccounting(config.radius, bootId, clock, log);
    this.chain = new RadiusAuthChain(config, secrets, this.sessions, log);
  }

  /** True when the configuration uses RADIUS at all. */
  static wanted(config: Config): boolean {
    return config.auth.backends.includes('radius') || config.radius.accounting || config.radius.disconnect.enabled;
  }

  /** Where the Disconnect listener is bound. */
  get disconnectPort(): number | undefined {
    return this.dae?.port;
  }

  /** Opens the sockets and the Disconnect listener. */
  async start(): Promise<void> {
    const r = this.config.radius;
    const opts = { timeoutMs: r.timeoutMs, retries: r.retries, requireMessageAuthenticator: r.requireMessageAuthenticator };
    if (this.config.auth.backends.includes('radius')) {
      const auth = new RadiusUdpClient(this.endpoints.map((e) => ({ address: e.address, port: e.port, secret: e.secret })), opts, this.clock, this.rng, this.log, this.scheduler);
      this.chain.client = auth;
      this.observeTimes(auth, 'auth');
      await auth.start();
    }
    if (r.accounting) {
      const acct = new RadiusUdpClient(this.endpoints.map((e) => ({ address: e.address, port: e.acctPort, secret: e.secret })), { timeoutMs: r.timeoutMs, retries: r.retries }, this.clock, this.rng, this.log, this.scheduler);
      this.sessions.client = acct;
      this.observeTimes(acct, 'acct');
      await acct.start();
      this.sessions.onOff(true);
      // Wait for its answer (bounded by the retransmission budget) before the server takes logins:
      // a RADIUS pool (sqlippool) frees this NAS's leases on Accounting-On, and a login answered
      // before that would get a lease the Accounting-On then frees under it.
      await this.sessions.drain();
    }
    if (r.disconnect.enabled) {
      const nas: CoaNas = { nasIdentifier: r.nasIdentifier };
      if (r.nasIpAddress !== undefined) nas.nasIpAddress = r.nasIpAddress;
      this.dae = new DaeListener(r.disconnect, this.endpoints, this.sessions, this.disconnectCounts, this.clock, () => this.wallClockS(), this.log, nas);
      await this.dae.listen(r.disconnect.address, r.disconnect.port);
    }
    if (this.pollIntervalMs > 0) {
      this.ticking = true;
      this.armTick(this.clock.now());
    }
  }

  private armTick(now: Millis): void {
    this.scheduler.set(this.tick, this.ticking ? now + this.pollIntervalMs : undefined, (t) => {
      this.poll(t);
      this.armTick(t);
    });
  }

  private observeTimes(client: RadiusUdpClient, type: 'auth' | 'acct'): void {
    const names = client.view(type).servers;
    client.onResponseTime = (server, seconds) => {
      for (const fn of this.responseTimeObservers) fn(type, names[server] ?? '?', seconds);
    };
  }

  /** New configuration and secrets for links that start from now on (the radius section stays as started). */
  reload(config: Config, secrets: readonly ChapSecret[]): void {
    this.chain.config = { ...config, radius: this.config.radius };
    this.chain.secrets = secrets;
  }

  /** Waits (bounded by the retransmission budget) for Stop records, then closes the sockets. */
  async stop(): Promise<void> {
    this.ticking = false;
    this.scheduler.delete(this.tick);
    await this.sessions.drain();
    if (this.sessions.client) {
      this.sessions.onOff(false);
      await this.sessions.drain();
    }
    this.chain.client?.close();
    this.sessions.client?.close();
    this.dae?.close();
    this.chain.client = this.sessions.client = this.dae = undefined;
    if (this.ownScheduler) this.scheduler.stop();
  }

  /** AuthBackend without link context. */
  verify(request: VerifyRequest): Promise<AuthVerdict> {
    return this.chain.verify(request, undefined);
  }

  /**
   * AuthBackend with the link: NAS-Port, Calling-Station-Id and Acct-Session-Id
   * go in the request. `signal` (the link gave up on the exchange) frees the
   * RADIUS Identifier at once.
   */
  verifyForLink(request: VerifyRequest, link: PppLink | undefined, signal?: AbortSignal): Promise<AuthVerdict> {
    return this.chain.verify(request, link, signal);
  }

  /** Link observer: the peer got in with the verdict of `requestId`; what that answer granted applies now. */
  linkAuthenticated(link: PppLink, requestId: number, now: Millis = this.clock.now()): void {
    this.chain.linkAuthenticated(link, requestId, now);
  }

  /** Link observer: IPCP is up. */
  linkUp(link: PppLink, now: Millis): void {
    this.sessions.linkUp(link, now);
  }

  /** Link observer: the link is down and gone. */
  linkEnded(link: PppLink, reason: string, now: Millis): void {
    this.sessions.linkEnded(link, reason, now);
  }

  /** Session-Timeout, Idle-Timeout and Interim-Update at `now`; the service calls it once a second. */
  poll(now: Millis): void {
    this.sessions.poll(now);
  }

  /** The Acct-Session-Id of a link, if RADIUS tracks it. */
  sessionIdOf(link: PppLink): string | undefined {
    return this.sessions.tracked.get(link)?.sessionId;
  }
}
