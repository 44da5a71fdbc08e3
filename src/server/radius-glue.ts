/**
 * The impure side of RADIUS: UDP sockets and timers around the pure client
 * machine (src/radius/client.ts), the `AuthBackend` the links call,
 * accounting driven by link events, session limits from the Access-Accept
 * (Session-Timeout, Idle-Timeout, Acct-Interim-Interval, Framed-IP-Address)
 * and the RFC 5176 Disconnect-Request listener.
 *
 * Backends chain in `auth.backends` order: chap-secrets answers for the users
 * it knows and passes the others on; RADIUS answers for everyone, and only
 * when no server answers does the next backend get the request.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import type { Config } from '../config/schema.js';
import { lookupSecret, type ChapSecret } from '../config/chap-secrets.js';
import { ConfigError } from '../core/errors.js';
import type { Millis } from '../core/machine.js';
import type { Rng } from '../core/rng.js';
import type { Clock } from '../io/clock.js';
import type { Logger } from '../log/logger.js';
import type { AuthBackend, AuthVerdict, VerifyRequest } from '../ppp/auth/types.js';
import { verifyWithSecret } from '../ppp/auth/verify.js';
import { accountingAttributes, accountingOnOffAttributes, terminateCauseFor, type AcctSession } from '../radius/accounting.js';
import { accessRequest, accessRequestProblem, authResultFromResponse, type AcceptInfo, type NasInfo } from '../radius/auth.js';
import { RadiusClient, type RadiusClientInput, type RadiusClientOutput, type RadiusServerCounters } from '../radius/client.js';
import { DaeReplayWindow, eventTimestampS } from '../radius/dae-replay.js';
import {
  ATTR,
  ERROR_CAUSE,
  RADIUS_CODE,
  attrIpv4,
  attrText,
  encodeRadiusPacket,
  findAttr,
  intAttr,
  messageAuthenticatorPlaceholder,
  parseRadiusPacket,
  signResponse,
  verifyRequest,
  type RadiusAttribute,
  type RadiusPacket,
} from '../radius/codec.js';
import type { PppLink } from './link.js';
import { answerCoa } from './radius-coa.js';
import type { CoaNas } from '../radius/coa.js';

/** A RADIUS server with its secret read and its address resolved. */
export interface RadiusEndpoint {
  address: string;
  port: number;
  acctPort: number;
  secret: string;
}

/** An answer from a server. */
export interface RadiusAnswer {
  packet: RadiusPacket;
  requestAuthenticator: Uint8Array;
  secret: Uint8Array | string;
  server: number;
}

/** Reads secrets (secretFile: first line) and resolves host names. Throws ConfigError. */
export async function resolveRadiusServers(config: Config): Promise<RadiusEndpoint[]> {
  const out: RadiusEndpoint[] = [];
  for (const [i, s] of config.radius.servers.entries()) {
    let secret = s.secret;
    if (secret === undefined && s.secretFile !== undefined) {
      try {
        secret = (await readFile(s.secretFile, 'utf8')).split(/\r?\n/)[0]!.trim();
      } catch (err) {
        throw new ConfigError('CONFIG_VALUE', `cannot read RADIUS secret file: ${(err as Error).message}`, { file: s.secretFile }, `create it with the shared secret on the first line, or set radius.servers[${i}].secret`);
      }
      if (secret === '') throw new ConfigError('CONFIG_VALUE', 'RADIUS secret file is empty', { file: s.secretFile }, 'put the shared secret on its first line');
    }
    let address = s.address;
    if (isIP(address) === 0) {
      try {
        address = (await lookup(address)).address;
      } catch (err) {
        throw new ConfigError('CONFIG_VALUE', `cannot resolve RADIUS server ${s.address}: ${(err as Error).message}`, { file: '(config)' }, `check radius.servers[${i}].address`);
      }
    }
    out.push({ address, port: s.port, acctPort: s.acctPort, secret: secret! });
  }
  return out;
}

/** One RADIUS client (auth or accounting port) as the metrics read it on scrape. */
export interface RadiusClientView {
  type: 'auth' | 'acct';
  /** "address:port" per server, in failover order. */
  servers: readonly string[];
  /** The machine's counters per server. */
  counters: readonly RadiusServerCounters[];
  /** Datagrams the socket could not send, per server. */
  sendErrors: readonly number[];
  /** Requests no server answered (auth: the next backend gets them; accounting: the record is lost). */
  unanswered: number;
  /** Requests in flight or waiting for a free Identifier. */
  outstanding: number;
  /** Datagrams from an address and port that is no configured server. */
  unknownSource: number;
}

/** What became of Disconnect-Requests and CoA-Requests (RFC 5176) on the listener. */
export interface DisconnectCounters {
  /** Disconnect-ACK sent: the named sessions were told to close. */
  ack: number;
  /** Disconnect-NAK, Error-Cause 503: no session matched. */
  nakNotFound: number;
  /** Disconnect-NAK, Error-Cause 402: no Acct-Session-Id, User-Name or Framed-IP-Address, or no Event-Timestamp while one is required. */
  nakMissingAttribute: number;
  /** Dropped: Event-Timestamp outside radius.disconnect.windowS of our clock (a replay or a skewed clock). */
  staleTimestamp: number;
  /** Seen before within the window (a retransmission or a replay): the first answer sent again, nothing done twice. */
  duplicate: number;
  /** CoA-ACK sent: the named sessions took the changes (radius-coa.ts). */
  coaAck: number;
  /** CoA-NAK sent, with the Error-Cause of radius/coa.ts (nothing changed). */
  coaNak: number;
  /** Dropped: the source address is no configured server. */
  unknownClient: number;
  /** Dropped: not a RADIUS packet, or neither Disconnect- nor CoA-Request. */
  malformed: number;
  /** Dropped: Request Authenticator or Message-Authenticator wrong for the server's secret. */
  badAuthenticator: number;
  /** Sessions closed by Disconnect-Requests. */
  sessionsClosed: number;
}

/** RADIUS as the metrics see it: read on scrape, plus a hook for response times. */
export interface RadiusStatsView {
  clients(): RadiusClientView[];
  disconnect: DisconnectCounters;
  /** Calls `fn` for each verified answer with the seconds since the first transmission to that server. Returns an unsubscribe. */
  onResponseTime(fn: (type: 'auth' | 'acct', server: string, seconds: number) => void): () => void;
}

/** Timing options of a UDP client. */
export interface RadiusUdpOptions {
  timeoutMs: number;
  retries: number;
  requireMessageAuthenticator?: boolean;
}

/**
 * One RADIUS client machine on one UDP socket per address family, for either the authentication
 * or the accounting port of each server. `request` resolves with the answer,
 * or undefined when no server answered.
 */
export class RadiusUdpClient {
  private readonly sockets = new Map<4 | 6, Socket>();
  private readonly machine: RadiusClient;
  private readonly waiters = new Map<number, { resolve: (a: RadiusAnswer | undefined) => void; reject: (err: Error) => void }>();
  private nextTag = 1;
  private timer: NodeJS.Timeout | undefined;
  /** Datagrams dropped, by reason. */
  readonly drops: Record<string, number> = {};
  /** Datagrams the socket could not send, per server. */
  readonly sendErrors: number[];
  /** Called with (server index, seconds) for each verified answer. */
  onResponseTime: ((server: number, seconds: number) => void) | undefined;

  constructor(
    private readonly servers: readonly { address: string; port: number; secret: string }[],
    opts: RadiusUdpOptions,
    private readonly clock: Clock,
    rng: Rng,
    private readonly log?: Logger,
  ) {
    const machineOpts: ConstructorParameters<typeof RadiusClient>[0] = { servers: servers.map((s) => ({ secret: s.secret })), timeoutMs: opts.timeoutMs, retries: opts.retries };
    if (opts.requireMessageAuthenticator !== undefined) machineOpts.requireMessageAuthenticator = opts.requireMessageAuthenticator;
    this.machine = new RadiusClient(machineOpts, rng);
    this.sendErrors = servers.map(() => 0);
  }

  /** The counters for the metrics. */
  view(type: 'auth' | 'acct'): RadiusClientView {
    return {
      type,
      servers: this.servers.map((s) => (isIP(s.address) === 6 ? `[${s.address}]:${s.port}` : `${s.address}:${s.port}`)),
      counters: this.machine.counters,
      sendErrors: this.sendErrors,
      unanswered: this.machine.unanswered,
      outstanding: this.machine.outstanding,
      unknownSource: this.drops['unknown-source'] ?? 0,
    };
  }

  /** Opens one socket per address family the servers use. */
  async start(): Promise<void> {
    for (const family of [4, 6] as const) {
      if (!this.servers.some((s) => isIP(s.address) === family)) continue;
      const sock = createSocket(family === 6 ? 'udp6' : 'udp4');
      sock.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
      sock.on('error', (err) => this.log?.warn('radius-socket', `RADIUS socket error: ${err.message}`));
      await new Promise<void>((resolve, reject) => {
        sock.once('error', reject);
        sock.bind(0, () => {
          sock.off('error', reject);
          resolve();
        });
      });
      sock.unref();
      this.sockets.set(family, sock);
    }
  }

  /** Requests in flight or queued. */
  get outstanding(): number {
    return this.machine.outstanding;
  }

  /**
   * Sends a request; resolves with the verified answer, or undefined after
   * every server timed out or when `signal` aborted it (its Identifier is
   * freed at once). Rejects with RadiusRequestRefused when the request is too
   * large to encode (nothing was sent).
   */
  request(code: typeof RADIUS_CODE.ACCESS_REQUEST | typeof RADIUS_CODE.ACCOUNTING_REQUEST, attributes: RadiusAttribute[], password?: Uint8Array, signal?: AbortSignal): Promise<RadiusAnswer | undefined> {
    const tag = this.nextTag++;
    const input: RadiusClientInput = { type: 'request', tag, code, attributes };
    if (password !== undefined) input.password = password;
    if (signal?.aborted) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      this.waiters.set(tag, { resolve, reject });
      signal?.addEventListener('abort', () => {
        const w = this.waiters.get(tag);
        if (!w) return;
        this.waiters.delete(tag);
        this.run({ type: 'cancel', tag });
        w.resolve(undefined);
      }, { once: true });
      this.run(input);
    });
  }

  /** Closes the socket; outstanding requests resolve as unanswered. */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const sock of this.sockets.values()) sock.close();
    this.sockets.clear();
    for (const [tag, w] of this.waiters) {
      this.machine.handle({ type: 'cancel', tag }, this.clock.now());
      w.resolve(undefined);
    }
    this.waiters.clear();
  }

  private onMessage(msg: Buffer, rinfo: RemoteInfo): void {
    const server = this.servers.findIndex((s) => sameAddress(s.address, rinfo.address) && s.port === rinfo.port);
    if (server < 0) {
      this.drops['unknown-source'] = (this.drops['unknown-source'] ?? 0) + 1;
      return;
    }
    this.run({ type: 'response', server, bytes: new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength) });
  }

  private run(input: RadiusClientInput): void {
    this.apply(this.machine.handle(input, this.clock.now()));
  }

  private apply(outs: RadiusClientOutput[]): void {
    for (const o of outs) {
      if (o.kind === 'send') {
        const s = this.servers[o.server]!;
        const server = o.server;
        this.sockets.get(isIP(s.address) === 6 ? 6 : 4)?.send(o.bytes, s.port, s.address, (err) => {
          if (!err) return;
          this.sendErrors[server] = (this.sendErrors[server] ?? 0) + 1;
          this.log?.debug('radius-send', `RADIUS send to ${s.address}:${s.port} failed: ${err.message}`);
        });
      } else if (o.kind === 'drop') {
        this.drops[o.reason] = (this.drops[o.reason] ?? 0) + 1;
        this.log?.debug('radius-drop', `RADIUS reply dropped: ${o.reason}${o.detail ? ` (${o.detail})` : ''}`);
      } else {
        const e = o.event;
        if (e.type === 'response') {
          const w = this.waiters.get(e.tag);
          this.waiters.delete(e.tag);
          this.onResponseTime?.(e.server, e.elapsedMs / 1000);
          w?.resolve({ packet: e.packet, requestAuthenticator: e.requestAuthenticator, secret: e.secret, server: e.server });
        } else if (e.type === 'timeout') {
          const w = this.waiters.get(e.tag);
          this.waiters.delete(e.tag);
          w?.resolve(undefined);
        } else if (e.type === 'refused') {
          const w = this.waiters.get(e.tag);
          this.waiters.delete(e.tag);
          w?.reject(new RadiusRequestRefused(e.problem));
        } else {
          const s = this.servers[e.server]!;
          this.log?.warn('radius-server-down', `RADIUS server ${s.address}:${s.port} does not answer; next requests go to server ${e.next + 1}`);
        }
      }
    }
    this.arm();
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const d = this.machine.nextDeadline();
    if (d === undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.apply(this.machine.handle({ type: 'timeout' }, this.clock.now()));
    }, Math.max(0, d - this.clock.now()));
  }
}

/** A request too large for RADIUS (an attribute over 253 octets, a packet over 4096): nothing was sent. */
export class RadiusRequestRefused extends Error {
  constructor(readonly problem: string) {
    super(`RADIUS request not sent: ${problem}`);
  }
}

function sameAddress(a: string, b: string): boolean {
  return a === b || `::ffff:${a}` === b || a === `::ffff:${b}`;
}

/** A link's RADIUS state, from Access-Accept to Stop. */
interface Tracked {
  link: PppLink;
  sessionId: string;
  accept: AcceptInfo | undefined;
  authentic: 'radius' | 'local';
  upAt: Millis | undefined;
  nextInterimAt: Millis | undefined;
  interimMs: number;
  lastActivityAt: Millis;
  lastPackets: number;
  stopSent: boolean;
  /**
   * What each backend answer granted, by requestId, until the session says
   * which one let the peer in (`linkAuthenticated`): a late answer for an
   * exchange that is gone never changes the link.
   */
  offers: Map<number, { authentic: 'radius' | 'local'; accept: AcceptInfo | undefined }>;
}

/** Thrown inside the chain when no RADIUS server answered. */
class RadiusUnreachable extends Error {}

/**
 * RADIUS for one server process: the auth backend (chained with
 * chap-secrets), accounting, session limits and Disconnect-Request.
 */
export class RadiusService implements AuthBackend {
  private auth: RadiusUdpClient | undefined;
  private acct: RadiusUdpClient | undefined;
  private dae: Socket | undefined;
  private tick: NodeJS.Timeout | undefined;
  /** How often timeouts and interim updates are checked; 0 leaves polling to the caller (tests drive `poll`). */
  pollIntervalMs = 1000;
  private readonly tracked = new Map<PppLink, Tracked>();
  private readonly acctPending = new Set<Promise<unknown>>();
  private sessionSeq = 0;
  private readonly bootId: string;
  /** Where the Disconnect listener is bound. */
  disconnectPort: number | undefined;
  private readonly disconnectCounts: DisconnectCounters = { ack: 0, nakNotFound: 0, nakMissingAttribute: 0, staleTimestamp: 0, duplicate: 0, coaAck: 0, coaNak: 0, unknownClient: 0, malformed: 0, badAuthenticator: 0, sessionsClosed: 0 };
  private replay: DaeReplayWindow | undefined;
  /** Wall-clock seconds for Event-Timestamp (tests replace it). */
  wallClockS: () => number = () => Date.now() / 1000;
  private readonly responseTimeObservers = new Set<(type: 'auth' | 'acct', server: string, seconds: number) => void>();
  /** The counters the metrics read (src/metrics/metrics.ts). */
  readonly stats: RadiusStatsView = {
    clients: () => [...(this.auth ? [this.auth.view('auth')] : []), ...(this.acct ? [this.acct.view('acct')] : [])],
    disconnect: this.disconnectCounts,
    onResponseTime: (fn) => {
      this.responseTimeObservers.add(fn);
      return () => this.responseTimeObservers.delete(fn);
    },
  };

  constructor(
    private config: Config,
    private secrets: readonly ChapSecret[],
    private readonly endpoints: readonly RadiusEndpoint[],
    private readonly clock: Clock,
    private readonly rng: Rng,
    private readonly log: Logger,
  ) {
    // 64 random bits: Acct-Session-Ids stay unique across servers sharing one RADIUS and across restarts (RFC 2866 §5.5).
    this.bootId = [...rng.bytes(8)].map((b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();
  }

  /** True when the configuration uses RADIUS at all. */
  static wanted(config: Config): boolean {
    return config.auth.backends.includes('radius') || config.radius.accounting || config.radius.disconnect.enabled;
  }

  /** Opens the sockets and the Disconnect listener. */
  async start(): Promise<void> {
    const r = this.config.radius;
    const opts = { timeoutMs: r.timeoutMs, retries: r.retries, requireMessageAuthenticator: r.requireMessageAuthenticator };
    if (this.config.auth.backends.includes('radius')) {
      this.auth = new RadiusUdpClient(this.endpoints.map((e) => ({ address: e.address, port: e.port, secret: e.secret })), opts, this.clock, this.rng, this.log);
      this.observeTimes(this.auth, 'auth');
      await this.auth.start();
    }
    if (r.accounting) {
      this.acct = new RadiusUdpClient(this.endpoints.map((e) => ({ address: e.address, port: e.acctPort, secret: e.secret })), { timeoutMs: r.timeoutMs, retries: r.retries }, this.clock, this.rng, this.log);
      this.observeTimes(this.acct, 'acct');
      await this.acct.start();
      this.sendAcct(accountingOnOffAttributes(true, this.nasInfo(undefined, undefined), this.bootId), 'Accounting-On');
    }
    if (r.disconnect.enabled) {
      this.replay = new DaeReplayWindow({ windowS: r.disconnect.windowS, requireEventTimestamp: r.disconnect.requireEventTimestamp });
      await this.listenDisconnect(r.disconnect.address, r.disconnect.port);
    }
    if (this.pollIntervalMs > 0) {
      this.tick = setInterval(() => this.poll(this.clock.now()), this.pollIntervalMs);
      this.tick.unref();
    }
  }

  private observeTimes(client: RadiusUdpClient, type: 'auth' | 'acct'): void {
    const names = client.view(type).servers;
    client.onResponseTime = (server, seconds) => {
      for (const fn of this.responseTimeObservers) fn(type, names[server] ?? '?', seconds);
    };
  }

  /** New configuration and secrets for links that start from now on. */
  reload(config: Config, secrets: readonly ChapSecret[]): void {
    this.config = { ...config, radius: this.config.radius };
    this.secrets = secrets;
  }

  /** Waits (bounded by the retransmission budget) for Stop records, then closes the sockets. */
  async stop(): Promise<void> {
    if (this.tick) clearInterval(this.tick);
    this.tick = undefined;
    await Promise.allSettled([...this.acctPending]);
    if (this.acct) {
      this.sendAcct(accountingOnOffAttributes(false, this.nasInfo(undefined, undefined), this.bootId), 'Accounting-Off');
      await Promise.allSettled([...this.acctPending]);
    }
    this.auth?.close();
    this.acct?.close();
    this.dae?.close();
    this.auth = this.acct = this.dae = undefined;
  }

  /** AuthBackend without link context. */
  verify(request: VerifyRequest): Promise<AuthVerdict> {
    return this.verifyForLink(request, undefined);
  }

  /**
   * AuthBackend with the link: NAS-Port, Calling-Station-Id and Acct-Session-Id
   * go in the request. `signal` (the link gave up on the exchange) frees the
   * RADIUS Identifier at once.
   */
  async verifyForLink(request: VerifyRequest, link: PppLink | undefined, signal?: AbortSignal): Promise<AuthVerdict> {
    let unreachable = false;
    for (const b of this.config.auth.backends) {
      if (b === 'chap-secrets') {
        const secret = lookupSecret(this.secrets, request.username, request.authenticatorName)?.secret;
        if (secret === undefined) continue;
        const v = verifyWithSecret(request, secret);
        if (link && v.ok) this.offer(link, request.requestId, 'local', undefined);
        return v;
      }
      try {
        return await this.radiusVerify(request, link, signal);
      } catch (err) {
        if (signal?.aborted) return { ok: false, retryable: false, message: 'cancelled', unavailable: true };
        if (!(err instanceof RadiusUnreachable)) throw err;
        unreachable = true;
        this.log.warn('radius-timeout', `no RADIUS server answered for ${request.username}`);
      }
    }
    return unreachable ? { ok: false, retryable: false, message: 'authentication server unavailable', unavailable: true } : { ok: false, retryable: false, message: 'authentication failed' };
  }

  private async radiusVerify(request: VerifyRequest, link: PppLink | undefined, signal: AbortSignal | undefined): Promise<AuthVerdict> {
    if (!this.auth) throw new RadiusUnreachable();
    // What RADIUS cannot carry is a failed login, counted like one: never a
    // request that cannot be encoded, never "server unavailable".
    const problem = accessRequestProblem(request);
    if (problem !== undefined) {
      this.log.warn('radius-refused', `login of ${request.username} refused before RADIUS: ${problem}`, { user: request.username });
      return { ok: false, retryable: false, message: 'authentication failed' };
    }
    const t = link ? this.track(link) : undefined;
    const parts = accessRequest(request, this.nasInfo(link, t?.sessionId));
    let answer: RadiusAnswer | undefined;
    try {
      answer = await this.auth.request(RADIUS_CODE.ACCESS_REQUEST, parts.attributes, parts.password, signal);
    } catch (err) {
      if (!(err instanceof RadiusRequestRefused)) throw err;
      this.log.warn('radius-refused', `login of ${request.username} refused before RADIUS: ${err.problem}`, { user: request.username });
      return { ok: false, retryable: false, message: 'authentication failed' };
    } finally {
      if (parts.password) parts.password.fill(0);
    }
    if (answer === undefined) throw new RadiusUnreachable();
    const result = authResultFromResponse(request, answer.packet, answer.secret, answer.requestAuthenticator);
    if (result.problem) this.log.warn('radius-reply', `RADIUS reply for ${request.username}: ${result.problem}`);
    if (link && result.verdict.ok) this.offer(link, request.requestId, 'radius', result.accept);
    // The server's Reply-Message says why (FreeRADIUS: "pool exhausted", "You are already logged in - access denied").
    const why = !result.verdict.ok && result.verdict.message !== undefined && result.verdict.message.trim() !== '' ? `: ${result.verdict.message.trim()}` : '';
    this.log.info('radius-auth', `RADIUS ${result.verdict.ok ? 'accepted' : 'rejected'} ${request.username} (${request.protocol})${why}`, { user: request.username });
    return result.verdict;
  }

  /** Remembers what an accepting answer grants; applied only if it is the one that lets the peer in. */
  private offer(link: PppLink, requestId: number, authentic: 'radius' | 'local', accept: AcceptInfo | undefined): void {
    const t = this.track(link);
    t.offers.set(requestId, { authentic, accept });
    // Bounded: a link has one exchange at a time; old offers of exchanges that are gone go first.
    while (t.offers.size > 4) t.offers.delete(t.offers.keys().next().value!);
  }

  /** Link observer: the peer got in with the verdict of `requestId`; what that answer granted applies now. */
  linkAuthenticated(link: PppLink, requestId: number, now: Millis = this.clock.now()): void {
    const t = this.tracked.get(link);
    if (!t) return;
    const o = t.offers.get(requestId);
    t.offers.clear();
    if (!o) return;
    t.authentic = o.authentic;
    t.accept = o.accept;
    if (o.accept?.framedIpAddress !== undefined) link.framedAddress = o.accept.framedIpAddress;
    const rate = o.accept?.rate;
    if (rate?.problem !== undefined) this.log.warn('radius-rate-limit', `rate limit for ${link.username ?? '?'}: ${rate.problem}`, { user: link.username });
    if (rate?.limit !== undefined) link.setRateLimit(rate.limit, `RADIUS ${rate.source ?? ''}`.trim(), now);
  }

  private track(link: PppLink): Tracked {
    let t = this.tracked.get(link);
    if (!t) {
      // Acct-Session-Id: boot id and a counter, unique across restarts (RFC 2866 §5.5).
      t = {
        link,
        sessionId: `${this.bootId}-${(++this.sessionSeq).toString(16).toUpperCase().padStart(8, '0')}`,
        accept: undefined,
        authentic: 'local',
        upAt: undefined,
        nextInterimAt: undefined,
        interimMs: 0,
        lastActivityAt: this.clock.now(),
        lastPackets: 0,
        stopSent: false,
        offers: new Map(),
      };
      this.tracked.set(link, t);
      link.acctSessionId = t.sessionId;
    }
    return t;
  }

  private nasInfo(link: PppLink | undefined, sessionId: string | undefined): NasInfo {
    const nas: NasInfo = { nasIdentifier: this.config.radius.nasIdentifier };
    if (this.config.radius.nasIpAddress !== undefined) nas.nasIpAddress = this.config.radius.nasIpAddress;
    if (link) {
      nas.nasPort = link.id;
      nas.nasPortId = link.transport.proto;
      nas.callingStationId = link.transport.peerAddress;
    }
    if (sessionId !== undefined) nas.acctSessionId = sessionId;
    return nas;
  }

  private acctSession(t: Tracked): AcctSession {
    const s: AcctSession = {
      sessionId: t.sessionId,
      username: t.link.username ?? '',
      nas: this.nasInfo(t.link, undefined),
      classes: t.accept?.classes ?? [],
      authentic: t.authentic,
    };
    if (t.link.peerIp !== undefined) s.framedIpAddress = t.link.peerIp;
    return s;
  }

  private counters(t: Tracked, now: Millis): { inputOctets: number; outputOctets: number; inputPackets: number; outputPackets: number; sessionTimeS: number } {
    const c = t.link.session.counters;
    return { inputOctets: c.bytesIn, outputOctets: c.bytesOut, inputPackets: c.packetsIn, outputPackets: c.packetsOut, sessionTimeS: t.upAt === undefined ? 0 : (now - t.upAt) / 1000 };
  }

  private sendAcct(attrs: RadiusAttribute[], what: string): void {
    const client = this.acct;
    if (!client) return;
    const p = client.request(RADIUS_CODE.ACCOUNTING_REQUEST, attrs).then(
      (a) => {
        if (!a) this.log.warn('radius-acct', `no RADIUS server acknowledged accounting ${what}`);
      },
      (err: Error) => this.log.warn('radius-acct', `accounting ${what} not sent: ${err.message}`),
    );
    this.acctPending.add(p);
    void p.finally(() => this.acctPending.delete(p));
  }

  /** Link observer: IPCP is up. */
  linkUp(link: PppLink, now: Millis): void {
    const t = this.track(link);
    t.upAt = now;
    t.lastActivityAt = now;
    const interimS = t.accept?.acctInterimIntervalS ?? this.config.radius.interimS;
    // RFC 2869 §5.16: not more often than every 60 s.
    t.interimMs = interimS > 0 ? Math.max(60, interimS) * 1000 : 0;
    if (t.interimMs > 0) t.nextInterimAt = now + t.interimMs;
    if (this.acct) this.sendAcct(accountingAttributes('start', this.acctSession(t)), `Start for ${link.username ?? '?'}`);
  }

  /** Link observer: the link is down and gone. */
  linkEnded(link: PppLink, reason: string, now: Millis): void {
    const t = this.tracked.get(link);
    if (!t) return;
    this.tracked.delete(link);
    if (t.upAt === undefined || t.stopSent || !this.acct) return;
    t.stopSent = true;
    this.sendAcct(accountingAttributes('stop', this.acctSession(t), this.counters(t, now), terminateCauseFor(reason)), `Stop for ${link.username ?? '?'}`);
  }

  /** Session-Timeout, Idle-Timeout and Interim-Update at `now`; the service calls it once a second. */
  poll(now: Millis): void {
    for (const t of [...this.tracked.values()]) {
      if (t.upAt === undefined) continue;
      const a = t.accept;
      if (a?.sessionTimeoutS !== undefined && now - t.upAt >= a.sessionTimeoutS * 1000) {
        t.link.close(`Session-Timeout (${a.sessionTimeoutS} s)`, now);
        continue;
      }
      const c = t.link.session.counters;
      const packets = c.packetsIn + c.packetsOut;
      if (packets !== t.lastPackets) {
        t.lastPackets = packets;
        t.lastActivityAt = now;
      }
      if (a?.idleTimeoutS !== undefined && now - t.lastActivityAt >= a.idleTimeoutS * 1000) {
        t.link.close(`Idle-Timeout (${a.idleTimeoutS} s)`, now);
        continue;
      }
      if (t.nextInterimAt !== undefined && now >= t.nextInterimAt && this.acct) {
        t.nextInterimAt = now + t.interimMs;
        this.sendAcct(accountingAttributes('interim-update', this.acctSession(t), this.counters(t, now)), `Interim-Update for ${t.link.username ?? '?'}`);
      }
    }
  }

  private async listenDisconnect(address: string, port: number): Promise<void> {
    const sock = createSocket(isIP(address) === 6 ? 'udp6' : 'udp4');
    sock.on('message', (msg, rinfo) => this.onDisconnect(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), rinfo));
    sock.on('error', (err) => this.log.warn('radius-dae', `Disconnect listener error: ${err.message}`));
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(port, address, () => {
        sock.off('error', reject);
        resolve();
      });
    });
    sock.unref();
    this.dae = sock;
    this.disconnectPort = sock.address().port;
    this.log.info('radius-dae', `RADIUS Disconnect-Request listener on ${address}:${this.disconnectPort}`);
  }

  /**
   * RFC 5176 §3: a Disconnect-Request from a configured server, signed with
   * its secret, naming a session by Acct-Session-Id, User-Name or
   * Framed-IP-Address. ACK after the links are told to close; NAK 503 when
   * nothing matches. CoA-Request changes the named sessions (radius-coa.ts).
   * Replays (§6.3): an Event-Timestamp outside the window is dropped, a
   * missing one NAKed with 402 when required, and a request seen before within
   * the window gets its first answer again without acting twice.
   */
  private onDisconnect(bytes: Uint8Array, rinfo: RemoteInfo): void {
    const server = this.endpoints.find((e) => sameAddress(e.address, rinfo.address));
    const counts = this.disconnectCounts;
    if (!server) {
      counts.unknownClient++;
      this.log.warn('radius-dae', `Disconnect-Request from unknown client ${rinfo.address} dropped`);
      return;
    }
    const r = parseRadiusPacket(bytes);
    if (!r.ok || (r.value.code !== RADIUS_CODE.DISCONNECT_REQUEST && r.value.code !== RADIUS_CODE.COA_REQUEST)) {
      counts.malformed++;
      return;
    }
    const req = r.value;
    const check = verifyRequest(bytes, server.secret);
    if (!check.ok) {
      counts.badAuthenticator++;
      this.log.warn('radius-dae', `Disconnect-Request from ${rinfo.address} dropped: ${check.reason}`);
      return;
    }
    const key = { client: `${rinfo.address}:${rinfo.port}`, identifier: req.identifier, authenticator: req.authenticator };
    const nowS = this.wallClockS();
    const seen = this.replay?.check(key, eventTimestampS(findAttr(req, ATTR.EVENT_TIMESTAMP)), nowS) ?? { kind: 'fresh' as const };
    if (seen.kind === 'stale') {
      counts.staleTimestamp++;
      this.log.warn('radius-dae', `request from ${rinfo.address} dropped: Event-Timestamp ${seen.skewS > 0 ? '+' : ''}${Math.round(seen.skewS)} s from our clock, outside radius.disconnect.windowS (${this.config.radius.disconnect.windowS} s): a replay, or unsynchronised clocks`);
      return;
    }
    if (seen.kind === 'duplicate') {
      counts.duplicate++;
      if (seen.reply) this.dae?.send(seen.reply, rinfo.port, rinfo.address);
      return;
    }
    // RFC 5176 §3.1: Proxy-State attributes are echoed in the reply, in order.
    const proxyState = req.attributes.filter((a) => a.type === ATTR.PROXY_STATE);
    const reply = (code: number, attrs: RadiusAttribute[]): void => {
      const out = encodeRadiusPacket({ code, identifier: req.identifier, authenticator: new Uint8Array(16), attributes: [...attrs, ...proxyState, messageAuthenticatorPlaceholder()] });
      signResponse(out, req.authenticator, server.secret);
      this.replay?.remember(key, out, nowS);
      this.dae?.send(out, rinfo.port, rinfo.address);
    };
    if (seen.kind === 'missing-timestamp') {
      counts.nakMissingAttribute++;
      this.log.warn('radius-dae', `request from ${rinfo.address} refused: no Event-Timestamp (required by radius.disconnect.requireEventTimestamp; radclient: add Event-Timestamp = <unix time>)`);
      reply(req.code === RADIUS_CODE.COA_REQUEST ? RADIUS_CODE.COA_NAK : RADIUS_CODE.DISCONNECT_NAK, [intAttr(ATTR.ERROR_CAUSE, ERROR_CAUSE.MISSING_ATTRIBUTE)]);
      return;
    }
    if (req.code === RADIUS_CODE.COA_REQUEST) {
      const nas: CoaNas = { nasIdentifier: this.config.radius.nasIdentifier };
      if (this.config.radius.nasIpAddress !== undefined) nas.nasIpAddress = this.config.radius.nasIpAddress;
      const a = answerCoa(req, this.tracked.values(), nas, this.clock.now(), rinfo.address, this.log);
      if (a.code === RADIUS_CODE.COA_ACK) counts.coaAck++;
      else counts.coaNak++;
      reply(a.code, a.attributes);
      return;
    }
    const sid = findAttr(req, ATTR.ACCT_SESSION_ID);
    const user = findAttr(req, ATTR.USER_NAME);
    const ip = attrIpv4(findAttr(req, ATTR.FRAMED_IP_ADDRESS));
    if (sid === undefined && user === undefined && ip === undefined) {
      counts.nakMissingAttribute++;
      reply(RADIUS_CODE.DISCONNECT_NAK, [intAttr(ATTR.ERROR_CAUSE, ERROR_CAUSE.MISSING_ATTRIBUTE)]);
      return;
    }
    const matches = [...this.tracked.values()].filter(
      (t) =>
        (sid === undefined || attrText(sid) === t.sessionId) &&
        (user === undefined || attrText(user) === t.link.username) &&
        (ip === undefined || ip === t.link.peerIp),
    );
    if (matches.length === 0) {
      counts.nakNotFound++;
      reply(RADIUS_CODE.DISCONNECT_NAK, [intAttr(ATTR.ERROR_CAUSE, ERROR_CAUSE.SESSION_CONTEXT_NOT_FOUND)]);
      return;
    }
    const now = this.clock.now();
    for (const t of matches) {
      this.log.info('radius-dae', `Disconnect-Request from ${rinfo.address}: closing session ${t.sessionId} of ${t.link.username ?? '?'}`);
      t.link.close('Disconnect-Request (admin reset)', now);
      counts.sessionsClosed++;
    }
    counts.ack++;
    reply(RADIUS_CODE.DISCONNECT_ACK, []);
  }

  /** The Acct-Session-Id of a link, if RADIUS tracks it. */
  sessionIdOf(link: PppLink): string | undefined {
    return this.tracked.get(link)?.sessionId;
  }
}
