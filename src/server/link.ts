/**
 * One PPP link of the server or the client, transport-neutral: a PppSession
 * plus everything around it that is not protocol — timers, credential checks
 * through the backend, addresses, routes, the MTU/MSS rules of the data
 * plane, logging. PPTP and L2TP transports create one per call and feed it
 * PPP frames; the TUN side feeds it IP packets for its peer.
 *
 * MTU (ARCHITECTURE.md "Rules"): the link's effective IP MTU is the smaller
 * of what PPP negotiated (session.currentMtu) and what the outer path allows
 * (bestTunnelMtu of the path MTU). A packet from the TUN larger than that is
 * answered with ICMP fragmentation-needed (DF set) or fragmented (IPv4
 * without DF); TCP SYNs are clamped to the matching MSS in both directions.
 * A path-MTU event lowers the effective MTU and the clamp follows; the call
 * is never dropped for it (pptpd's failure in the seed log).
 */
import type { Millis } from '../core/machine.js';
import { PppSession, type SessionEvent, type SessionOptions, type SessionOutput } from '../ppp/session.js';
import type { AuthBackend, AuthProtocol, AuthVerdict, VerifyRequest } from '../ppp/auth/types.js';
import { bestTunnelMtu, mssFor, type TunnelOptions } from '../mtu/overhead.js';
import { clampTcpMss, fragmentIpv4, icmpFragNeeded, ipv4DontFragment, ipv4Dst, ipv4Src, ipVersion } from '../wire/ip.js';
import { parseIpv4 } from '../config/ipv4.js';
import { effectivePppSizes, localRateLimit } from '../config/schema.js';
import { formatRateLimit, TokenBucket, type RateLimit } from '../core/rate-limit.js';
import type { Logger } from '../log/logger.js';
import type { ServerContext } from './context.js';
import { guardOf } from './guard.js';
import type { TunRoute } from './tun-side.js';

/** Path MTUs tried on the way back up (RFC 1191 §7 plateaus, plus 1280 and 1500). */
const PMTU_PLATEAUS = [296, 508, 552, 1006, 1280, 1492, 1500, 2002, 4352, 8166, 17914, 32000, 65535] as const;

/** What a link needs from its transport (a PPTP call or an L2TP session). */
export interface LinkTransport {
  readonly proto: 'pptp' | 'l2tp';
  /** The peer's outer address, for logs and path-MTU matching. */
  readonly peerAddress: string;
  /** Sends one PPP frame to the peer (copied or encapsulated before returning). */
  sendFrame(frame: Uint8Array, now: Millis): void;
  /** Ends the call at the transport level (CDN / Call-Clear); the PPP link is already down. */
  close(reason: string, now: Millis): void;
  /** Headers the transport adds, for the MTU arithmetic. */
  tunnelOptions(): TunnelOptions;
}

/** Config → the session's auth protocol names. */
export const AUTH_NAME: Readonly<Record<string, AuthProtocol>> = {
  'mschap-v2': 'mschap-v2',
  mschap: 'mschap-v1',
  chap: 'chap-md5',
  pap: 'pap',
};

/** Session options for a server link from the configuration. */
export function serverSessionOptions(ctx: ServerContext, proto: 'pptp' | 'l2tp', outer?: Partial<TunnelOptions>): SessionOptions {
  const c = ctx.config;
  // L2TP may have its own MPPE mode (xl2tpd setups often run without MPPE, under IPsec).
  const mode = proto === 'l2tp' ? ((c.ppp.mppe as { l2tpMode?: typeof c.ppp.mppe.mode }).l2tpMode ?? c.ppp.mppe.mode) : c.ppp.mppe.mode;
  const strengths = mode === 'refuse' ? [] : [...c.ppp.mppe.keyBits].sort((a, b) => b - a);
  const sizes = effectivePppSizes(c, proto, outer);
  const opts: SessionOptions = {
    role: 'server',
    auth: c.auth.required ? { require: c.ppp.authProtocols.map((p) => AUTH_NAME[p]!), name: c.ppp.name } : { require: [], name: c.ppp.name },
    mppe: { strengths, required: mode === 'require', allowStateful: c.ppp.mppe.stateful === 'allow' },
    mtu: sizes.mtu,
    mru: sizes.mru,
    ipv4: true,
    ipv6: c.ppp.ipv6,
    echoIntervalMs: c.ppp.keepalive.intervalS * 1000,
    echoFailures: c.ppp.keepalive.failures,
    dns: c.dns,
    nbns: c.wins,
  };
  const local = ctx.addresses.localAddress(proto);
  if (local !== undefined) opts.localAddress = local;
  return opts;
}

/** Watches every link of a server (RADIUS accounting, session limits). */
export interface LinkObserver {
  /** The link is up (IPCP opened). */
  linkUp?(link: PppLink, now: Millis): void;
  /** The link is down and gone; its counters are final. */
  linkEnded?(link: PppLink, reason: string, now: Millis): void;
  /**
   * The peer authenticated with the verdict of request `requestId`: what the
   * backend granted for that request (and only that one) now applies.
   */
  linkAuthenticated?(link: PppLink, requestId: number, now: Millis): void;
}

/**
 * A backend that wants the link a request comes from (RADIUS: NAS-Port,
 * Calling-Station-Id, limits). `signal` aborts when the exchange is gone (LCP
 * renegotiated, the link ended): the backend may stop waiting; its answer is
 * dropped anyway.
 */
export interface LinkAuthBackend extends AuthBackend {
  verifyForLink(request: VerifyRequest, link: PppLink, signal?: AbortSignal): AuthVerdict | Promise<AuthVerdict>;
}

/** Link lifecycle states, for the API and logs. */
export type LinkState = 'starting' | 'up' | 'down';

/** One PPP link. */
export class PppLink implements TunRoute {
  readonly id: number;
  readonly session: PppSession;
  state: LinkState = 'starting';
  username: string | undefined;
  authProtocol: AuthProtocol | undefined;
  /** The peer's tunnel address once IPCP is up. */
  peerIp: string | undefined;
  private peerIpU32 = 0;
  localIp: string | undefined;
  dns: string[] = [];
  /** MPPE in use, e.g. '128-bit stateless'. */
  mppe: string | undefined;
  readonly startedAt: number;
  upAt: number | undefined;
  endReason: string | undefined;
  /** Effective IP MTU toward the peer and the MSS clamps that go with it. */
  mtu: number;
  mssV4: number;
  mssV6: number;
  /** The inner IP MTU the outer path allows (Infinity: no path-MTU event in force). */
  private pathIpMtu = Infinity;
  /** The outer path MTU in force after a path-MTU event, until raised back. */
  private assumedPathMtu: number | undefined;
  /** Scheduler key of the next step up of a lowered path MTU. */
  private readonly pmtuTimer = {};
  private readonly log: Logger;
  private readonly pendingVerdicts: { request: VerifyRequest; verdict: AuthVerdict }[] = [];
  /** Verifications the backend is working on, by requestId (aborted when the session cancels them). */
  private readonly verifying = new Map<number, AbortController>();
  private reserved: string | undefined;
  private readonly role: 'server' | 'client';
  /** Scheduler key of the setup deadline (limits.setupTimeoutS). */
  private readonly setupTimer = {};
  /** Set when LCP keepalive declared the peer dead (the link ends without waiting for Terminate-Ack). */
  private peerDead: string | undefined;
  /** Called once when the link is down and gone (the transport forgets it). */
  onEnded: ((reason: string) => void) | undefined;
  /**
   * Client role: called once, when the link is up and IPCP gave the addresses
   * (IPV6CP may open first and bring the link up without them).
   */
  onUp: (() => void) | undefined;
  private upNotified = false;
  /** Link-local addresses once IPV6CP is up. */
  localIp6: string | undefined;
  peerIp6: string | undefined;
  /** peerIp6 as 16 octets: the only IPv6 source address accepted from the peer (server role). */
  private peerIp6Bytes: Uint8Array | undefined;
  /** An address the auth backend assigned (RADIUS Framed-IP-Address); IPCP offers it instead of a pool address. */
  framedAddress: string | undefined;
  /** The local pool the auth backend named (RADIUS Framed-Pool): addresses come only from it. */
  framedPool: string | undefined;
  /** Acct-Session-Id, set by the RADIUS glue when it tracks the link. */
  acctSessionId: string | undefined;
  /** The rate limit in force and where it came from (server role; undefined: none). */
  rateLimit: RateLimit | undefined;
  rateLimitSource: string | undefined;
  /** Token buckets of the limit per direction; null when unlimited (the data path's only cost is that null check). */
  private upBucket: TokenBucket | null = null;
  private downBucket: TokenBucket | null = null;

  constructor(
    private readonly ctx: ServerContext,
    readonly transport: LinkTransport,
    options: SessionOptions,
  ) {
    this.id = ctx.nextLinkId();
    this.startedAt = Date.now();
    this.log = ctx.log.child({ link: this.id, proto: transport.proto, peer: transport.peerAddress });
    this.role = options.role;
    const sessionOptions: SessionOptions = { ...options, ipSink: (p) => this.fromPeer(p) };
    const primitives = options.mppePrimitives ?? ctx.mppePrimitives;
    if (primitives) sessionOptions.mppePrimitives = primitives;
    if (options.role === 'server') {
      sessionOptions.addressPool = {
        allocate: () => {
          const a = this.framedAddress !== undefined ? ctx.addresses.allocateAddress(transport.proto, this.framedAddress) : ctx.addresses.allocate(transport.proto, this.username, this.framedPool);
          if (a !== undefined) this.reserved = a;
          return a;
        },
        release: (a) => {
          ctx.addresses.release(a);
          if (this.reserved === a) this.reserved = undefined;
        },
      };
    }
    this.session = new PppSession(sessionOptions, ctx.rng);
    this.mtu = this.session.currentMtu;
    this.mssV4 = mssFor(this.mtu, false);
    this.mssV6 = mssFor(this.mtu, true);
    ctx.stats.linksStarted++;
  }

  /** Scheduler key of a delayed LCP start (`waitForPeerMs`). */
  private readonly startTimer = {};
  private started = false;

  /**
   * Starts LCP. With `waitForPeerMs`, our first Configure-Request waits until
   * the peer's first PPP frame arrives or that time has passed, whichever is
   * first: an LNS like xl2tpd starts pppd only after the call is up, so a
   * request sent at once is lost and LCP would sit out its 3 s restart timer.
   */
  start(now: Millis, opts: { waitForPeerMs?: number } = {}): void {
    const wait = opts.waitForPeerMs ?? 0;
    if (wait > 0 && !this.started) {
      this.ctx.scheduler.set(this.startTimer, now + wait, (t) => this.startNow(t));
      return;
    }
    this.startNow(now);
  }

  private startNow(now: Millis): void {
    if (this.started || this.state === 'down') return;
    this.started = true;
    this.ctx.scheduler.delete(this.startTimer);
    if (this.role === 'server') {
      // Hostile-peer limit: a peer that keeps renegotiating (LCP option storms, endless Naks) or
      // stalls authentication must not hold a call slot for ever.
      const ms = guardOf(this.ctx).limits.setupTimeoutS * 1000;
      this.ctx.scheduler.set(this.setupTimer, now + ms, (t) => {
        if (this.state !== 'starting') return;
        this.log.warn('setup-timeout', `link not up after ${ms / 1000} s: closing it`);
        this.close('setup timeout', t);
      });
    }
    this.apply(this.session.start(now), now);
  }

  /** A PPP frame from the transport (a view, valid during the call). */
  fromTransport(frame: Uint8Array, now: Millis): void {
    if (!this.started) this.startNow(now);
    this.apply(this.session.receiveFrame(frame, now), now);
  }

  /** Closes the link: LCP Terminate-Request, then the transport call. */
  close(reason: string, now: Millis): void {
    if (this.state === 'down') return;
    this.apply(this.session.close(reason, now), now);
  }

  /** The transport is gone (TCP closed, tunnel down): the link dies at once. */
  lowerDown(reason: string, now: Millis): void {
    if (this.state === 'down') return;
    this.endReason ??= reason;
    this.apply(this.session.lowerDown(now), now);
  }

  /** An IP packet from the TUN for this peer. */
  fromTun(packet: Uint8Array, now: Millis): void {
    if (this.state !== 'up') return;
    if (this.downBucket !== null && !this.downBucket.take(packet.length, now)) {
      this.ctx.stats.rateLimitedOut++;
      return;
    }
    const v = ipVersion(packet);
    if (packet.length > this.mtu) {
      if (v === 4 && !ipv4DontFragment(packet)) {
        const frags = fragmentIpv4(packet, this.mtu);
        if (frags) {
          this.ctx.stats.fragmented++;
          for (const f of frags) this.sendIp(f, now);
        }
        return;
      }
      if (v === 4 && this.localIp !== undefined) {
        // From our tunnel address, as a router on the path would; but when the
        // sender is this host itself (its source is our own address) Linux drops
        // an ICMP from a local address arriving on the TUN (martian source), so
        // it comes from the peer's address then.
        const local = parseIpv4(this.localIp)!;
        const from = ipv4Src(packet) === local && this.peerIp !== undefined ? parseIpv4(this.peerIp)! : local;
        const icmp = icmpFragNeeded(packet, this.mtu, from);
        if (icmp) {
          this.ctx.stats.icmpTooBigSent++;
          this.ctx.tun.write(icmp);
        }
      }
      return;
    }
    if (clampTcpMss(packet, v === 6 ? this.mssV6 : this.mssV4)) this.ctx.stats.mssClamped++;
    this.sendIp(packet, now);
  }

  private sendIp(packet: Uint8Array, now: Millis): void {
    const frame = this.session.sendIp(packet, now);
    if (frame) this.transport.sendFrame(frame, now);
    this.schedule();
  }

  /** An IP packet the peer sent (decrypted; a view). */
  private fromPeer(packet: Uint8Array): void {
    const v = ipVersion(packet);
    if (v === 4) {
      if ((this.peerIpU32 !== 0 || this.role === 'server') && ipv4Src(packet) !== this.peerIpU32) {
        this.ctx.stats.spoofedSource++;
        return;
      }
      if (this.ctx.config.clientIsolation && this.ctx.addresses.ownerOf(ipv4Dst(packet)) !== undefined) {
        this.ctx.stats.isolated++;
        return;
      }
    }
    if (v === 6 && this.role === 'server') {
      // The peer's only IPv6 address is the link-local one IPV6CP gave it (no global prefix is delegated).
      if (this.peerIp6Bytes === undefined || !ipv6SrcIs(packet, this.peerIp6Bytes)) {
        this.ctx.stats.spoofedSource++;
        return;
      }
      const other = this.ctx.config.clientIsolation ? this.ctx.tun.linkOfV6Destination(packet) : undefined;
      if (other !== undefined && other !== this) {
        this.ctx.stats.isolated++;
        return;
      }
    }
    if (this.upBucket !== null && !this.upBucket.take(packet.length, this.ctx.clock.now())) {
      this.ctx.stats.rateLimitedIn++;
      return;
    }
    if (clampTcpMss(packet, v === 6 ? this.mssV6 : this.mssV4)) this.ctx.stats.mssClamped++;
    this.ctx.tun.write(packet);
  }

  /**
   * Polices the session at `limit` from `now` on (undefined or no direction
   * set: unlimited). Buckets start full; `source` says where the limit came
   * from, for the log and the API.
   */
  setRateLimit(limit: RateLimit | undefined, source: string, now: Millis): void {
    const burstMs = this.ctx.config.rateLimits.burstMs;
    const had = this.rateLimit !== undefined;
    this.rateLimit = limit !== undefined && (limit.upBps !== undefined || limit.downBps !== undefined) ? { ...limit } : undefined;
    this.rateLimitSource = this.rateLimit !== undefined ? source : undefined;
    this.upBucket = this.rateLimit?.upBps !== undefined ? new TokenBucket(this.rateLimit.upBps, burstMs, now) : null;
    this.downBucket = this.rateLimit?.downBps !== undefined ? new TokenBucket(this.rateLimit.downBps, burstMs, now) : null;
    if (this.rateLimit !== undefined) this.log.info('rate-limit', `rate limit ${formatRateLimit(this.rateLimit)} (${source})`, { user: this.username });
    else if (had) this.log.info('rate-limit', `rate limit removed (${source})`, { user: this.username });
  }

  /**
   * The outer path toward the peer has MTU `pathMtu` (ICMP fragmentation
   * needed, or EMSGSIZE with the kernel's path MTU). Lowers the link MTU; never
   * ends the call. A claim below `pmtu.minPathMtu` is taken as that floor
   * (one forged ICMP must not shrink a call to nothing); `pmtu.raiseAfterS`
   * after the last event the MTU goes back up a step at a time (raisePathMtu).
   */
  onPathMtu(pathMtu: number, source: string, now: Millis = this.ctx.clock.now()): void {
    const { minPathMtu } = this.ctx.config.pmtu;
    const clamped = pathMtu < minPathMtu;
    if (clamped) this.ctx.stats.pmtuClamped++;
    const path = Math.max(pathMtu, minPathMtu);
    const ipMtu = this.ipMtuForPath(path);
    if (ipMtu > this.pathIpMtu) return;
    // Lowered, or confirmed at the current value: either way the path is that small now.
    this.armPathMtuRaise(now + this.ctx.config.pmtu.raiseAfterS * 1000);
    if (ipMtu === this.pathIpMtu) return;
    this.pathIpMtu = ipMtu;
    this.assumedPathMtu = path;
    const before = this.mtu;
    this.updateMtu();
    if (this.mtu < before) {
      this.ctx.stats.pmtuEvents++;
      const why = clamped ? `${source}; it claimed ${pathMtu}, below the floor ${minPathMtu}` : source;
      this.log.warn('pmtu', `path MTU to ${this.transport.peerAddress} is ${path} (${why}); link MTU lowered from ${before} to ${this.mtu}, TCP MSS clamped to ${this.mssV4}; call kept`, { pathMtu: path, mtu: this.mtu, mss: this.mssV4 });
    }
  }

  /** The largest inner IP packet that fits a path MTU on this transport. */
  private ipMtuForPath(pathMtu: number): number {
    try {
      return bestTunnelMtu(pathMtu, this.transport.tunnelOptions()).ipMtu;
    } catch {
      return 576;
    }
  }

  private armPathMtuRaise(at: Millis): void {
    this.ctx.scheduler.set(this.pmtuTimer, at, (t) => this.raisePathMtu(t));
  }

  /**
   * No path-MTU event for a while: assume the next plateau above the current
   * path MTU (RFC 1191 §7's table plus 1280 and 1500) and raise the link MTU
   * to match, every `pmtu.raiseStepS`, until the path no longer limits it.
   * Traffic is the probe (RFC 8899 §4.4 with the data as probes): if the path
   * is still small, the router's ICMP or the kernel's EMSGSIZE lowers it again.
   */
  private raisePathMtu(now: Millis): void {
    if (this.state === 'down' || this.assumedPathMtu === undefined) return;
    const next = PMTU_PLATEAUS.find((p) => p > this.assumedPathMtu!) ?? 65535;
    const ipMtu = this.ipMtuForPath(next);
    const before = this.mtu;
    if (ipMtu >= this.session.currentMtu || next >= 65535) {
      this.pathIpMtu = Infinity;
      this.assumedPathMtu = undefined;
    } else {
      this.pathIpMtu = ipMtu;
      this.assumedPathMtu = next;
      this.armPathMtuRaise(now + this.ctx.config.pmtu.raiseStepS * 1000);
    }
    this.updateMtu();
    if (this.mtu === before) return;
    this.ctx.stats.pmtuRaised++;
    this.log.info('pmtu-raise', `no path-MTU event toward ${this.transport.peerAddress} lately: link MTU raised from ${before} to ${this.mtu}${this.assumedPathMtu === undefined ? ' (as negotiated)' : ` (path MTU ${next} assumed)`}, TCP MSS clamped to ${this.mssV4}`, { mtu: this.mtu, mss: this.mssV4 });
  }

  private updateMtu(): void {
    this.mtu = Math.min(this.session.currentMtu, this.pathIpMtu);
    this.mssV4 = mssFor(this.mtu, false);
    this.mssV6 = mssFor(this.mtu, true);
  }

  /** Seconds since the link started. */
  uptimeS(): number {
    return (Date.now() - (this.upAt ?? this.startedAt)) / 1000;
  }

  private apply(outs: SessionOutput[], now: Millis): void {
    for (const o of outs) {
      if (o.kind === 'send') this.transport.sendFrame(o.bytes, now);
      else if (o.kind === 'event') this.onEvent(o.event, now);
      else this.log.debug('drop', `dropped: ${o.reason}${o.detail ? ` (${o.detail})` : ''}`);
    }
    while (this.pendingVerdicts.length > 0 && this.state !== 'down') {
      const v = this.pendingVerdicts.shift()!;
      this.apply(this.session.verdict(v.request, v.verdict, now), now);
    }
    if (this.peerDead !== undefined && this.state !== 'down') {
      // Keepalive gave up: the one Terminate-Request is sent, but a peer that
      // answers no echo will not ack it either; end now, not after the
      // terminate retransmissions (the session is reaped within intervalS × failures).
      const reason = this.peerDead;
      this.peerDead = undefined;
      this.lowerDown(reason, now);
      return;
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.state === 'down') return;
    this.ctx.scheduler.set(this, this.session.nextDeadline(), (t) => this.apply(this.session.timeout(t), t));
  }

  private verify(req: VerifyRequest): void {
    this.username = req.username;
    let verdict: AuthVerdict | Promise<AuthVerdict>;
    const guard = guardOf(this.ctx);
    const source = this.transport.peerAddress;
    if (this.role === 'server' && guard.authLocked(req.username, source, this.ctx.clock.now())) {
      // Brute-force lockout (guard.ts): refuse at once, without asking the backend.
      this.log.warn('auth-locked', `login of ${req.username} from ${source} refused: too many failures, locked out`, { user: req.username });
      this.pendingVerdicts.push({ request: req, verdict: { ok: false, retryable: false, message: 'too many failures; try again later' } });
      return;
    }
    const abort = new AbortController();
    try {
      const b = this.ctx.backend as Partial<LinkAuthBackend> & AuthBackend;
      verdict = b.verifyForLink ? b.verifyForLink(req, this, abort.signal) : b.verify(req);
    } catch (err) {
      this.log.error('auth-backend', `authentication backend failed: ${(err as Error).message}`);
      verdict = { ok: false, retryable: false, message: 'authentication backend error', unavailable: true };
    }
    if (this.role === 'server') {
      const record = (v: AuthVerdict): AuthVerdict => {
        // A backend that could not decide says nothing about the password: no lockout counting.
        if (!v.ok && v.unavailable) return v;
        this.recordAuth(req.username, v.ok);
        return v;
      };
      verdict = verdict instanceof Promise ? verdict.then(record) : record(verdict);
    }
    if (!(verdict instanceof Promise)) {
      this.pendingVerdicts.push({ request: req, verdict });
      return;
    }
    // Asynchronous: the verdict goes to the session with its request, which
    // drops it unless that exact exchange is still the current one.
    this.verifying.set(req.requestId, abort);
    const deliver = (v: AuthVerdict): void => {
      if (this.verifying.get(req.requestId) !== abort) return;
      this.verifying.delete(req.requestId);
      if (this.state === 'down') return;
      const now = this.ctx.clock.now();
      this.apply(this.session.verdict(req, v, now), now);
    };
    verdict.then(deliver, (err: Error) => {
      if (abort.signal.aborted) return;
      this.log.error('auth-backend', `authentication backend failed: ${err.message}`);
      deliver({ ok: false, retryable: false, message: 'authentication backend error', unavailable: true });
    });
  }

  /** Counts one judged login for the brute-force lockout and logs a lockout it starts. */
  private recordAuth(user: string, ok: boolean): void {
    const guard = guardOf(this.ctx);
    const source = this.transport.peerAddress;
    const r = guard.authResult(user, source, ok, this.ctx.clock.now());
    if (r.lockedUser) this.log.warn('auth-lockout', `user ${user} locked out for ${guard.limits.authFailures.lockoutS} s after repeated failures`, { user });
    if (r.lockedSource) this.log.warn('auth-lockout', `address ${source} locked out for ${guard.limits.authFailures.lockoutS} s after repeated failures`);
  }

  /** The session gave up on a verification (LCP went down): stop waiting for it. */
  private cancelVerify(requestId: number): void {
    const abort = this.verifying.get(requestId);
    if (abort === undefined) return;
    this.verifying.delete(requestId);
    abort.abort();
  }

  private onEvent(e: SessionEvent, now: Millis): void {
    switch (e.type) {
      case 'verify':
        this.verify(e.request);
        break;
      case 'verify-cancelled':
        this.cancelVerify(e.requestId);
        break;
      case 'auth-ok':
        this.authProtocol = e.protocol;
        if (e.direction === 'peer') {
          this.username = e.username;
          this.ctx.stats.authOk++;
          this.log.info('auth-ok', `${protoText(e.protocol)} peer ${e.username} authenticated`, { user: e.username });
          if (this.role === 'server') {
            // Local limits first; a RADIUS answer (an observer below) may replace them.
            const local = localRateLimit(this.ctx.config, e.username);
            const key = Object.hasOwn(this.ctx.config.rateLimits.users, e.username) ? `rateLimits.users[${JSON.stringify(e.username)}]` : 'rateLimits.default';
            if (local !== undefined) this.setRateLimit(local, key, now);
          }
          if (e.requestId !== undefined) for (const o of this.ctx.observers ?? []) o.linkAuthenticated?.(this, e.requestId, now);
        } else {
          this.username ??= e.username;
          this.log.info('auth-ok', `${protoText(e.protocol)} authentication succeeded`, { user: e.username });
        }
        break;
      case 'auth-failed':
        if (e.direction === 'peer') this.ctx.stats.authFailed++;
        if (e.direction === 'peer' && e.malformed !== undefined) {
          // Refused at the protocol edge, never sent to a backend: it still counts as a failed login.
          this.username = e.username ?? this.username;
          this.log.warn('auth-malformed', `login refused: the peer's answer breaks the protocol: ${e.malformed}`, { user: this.username });
          if (this.role === 'server') this.recordAuth(this.username ?? '', false);
        }
        this.log.warn(
          'auth-failed',
          e.direction === 'peer'
            ? `Peer ${this.username ?? '?'} failed ${protoText(e.protocol)} authentication${e.code ? `: E=${e.code}` : ''} (${e.reason}${e.final ? '' : ', may retry'})`
            : `${protoText(e.protocol)} authentication failed${e.code ? `: E=${e.code}` : ''} (${e.reason})${e.message ? `: ${e.message}` : ''}`,
          { user: this.username, code: e.code, final: e.final },
        );
        // Our own final failure is why this link ends, even when the server clears
        // the call (TCP) before LCP closes (GRE): the end reason must say so.
        if (e.direction === 'self' && e.final) {
          this.endReason ??= `${protoText(e.protocol)} authentication failed${e.code ? `: E=${e.code}` : ''} (${e.reason})${e.message ? `: ${e.message}` : ''}`;
        }
        break;
      case 'ipv4-up':
        this.peerIp = e.peerAddress;
        this.localIp = e.localAddress;
        this.dns = e.dns;
        if (this.role === 'server') {
          this.peerIpU32 = parseIpv4(e.peerAddress) ?? 0;
          this.ctx.addresses.claim(e.peerAddress, this);
        }
        this.log.info('ipcp-up', `local  IP address ${e.localAddress}, remote IP address ${e.peerAddress}`, { local: e.localAddress, remote: e.peerAddress, user: this.username });
        this.notifyUp();
        break;
      case 'ipv6-up':
        this.localIp6 = e.localAddress;
        this.peerIp6 = e.peerAddress;
        this.peerIp6Bytes = linkLocalBytes(e.peerIdentifier);
        this.ctx.tun.claimLinkLocal(e.localAddress, e.peerIdentifier, this);
        this.log.info('ipv6cp-up', `local  LL address ${e.localAddress}, remote LL address ${e.peerAddress}`, { local: e.localAddress, remote: e.peerAddress, user: this.username });
        break;
      case 'mppe-up':
        this.mppe = `${e.strength}-bit ${e.stateless ? 'stateless' : 'stateful'}`;
        this.log.info('mppe-up', `MPPE ${e.strength}-bit ${e.stateless ? 'stateless' : 'stateful'} compression enabled`);
        break;
      case 'mtu':
        this.updateMtu();
        break;
      case 'link-up':
        this.state = 'up';
        this.ctx.scheduler.delete(this.setupTimer);
        this.upAt = Date.now();
        this.updateMtu();
        this.ctx.stats.linksUp++;
        this.log.info('link-up', `link up: user ${this.username ?? '(none)'}, local ${this.localIp ?? '-'}, remote ${this.peerIp ?? '-'}, MTU ${this.mtu}`, { user: this.username, ip: this.peerIp, mtu: this.mtu });
        this.notifyUp();
        for (const o of this.ctx.observers ?? []) o.linkUp?.(this, now);
        break;
      case 'phase':
        if (e.phase === 'Terminate' && this.session.lcp.keepaliveFailed) this.peerDead = this.session.lcp.fsm.reason;
        break;
      case 'protocol-rejected':
        this.log.debug('protocol-reject', `Protocol-Reject received for ${e.name} (0x${e.protocol.toString(16)}): the peer does not speak it, ${e.name} stays down on this link`);
        break;
      case 'link-down':
        this.ended(e.reason, now);
        break;
      default:
        break;
    }
  }

  /** Calls onUp once the link is up with its IPv4 addresses. */
  private notifyUp(): void {
    if (this.upNotified || this.state !== 'up' || this.localIp === undefined) return;
    this.upNotified = true;
    this.onUp?.();
  }

  private ended(reason: string, now: Millis): void {
    if (this.state === 'down') return;
    this.state = 'down';
    this.endReason ??= reason;
    this.ctx.scheduler.delete(this);
    this.ctx.scheduler.delete(this.setupTimer);
    this.ctx.scheduler.delete(this.startTimer);
    for (const id of [...this.verifying.keys()]) this.cancelVerify(id);
    this.pendingVerdicts.length = 0;
    this.ctx.scheduler.delete(this.pmtuTimer);
    if (this.peerIp !== undefined) this.ctx.addresses.unclaim(this.peerIp, this);
    if (this.peerIp6 !== undefined) this.ctx.tun.releaseLinkLocal(this);
    this.ctx.stats.linksEnded++;
    const c = this.session.counters;
    const minutes = ((Date.now() - this.startedAt) / 60000).toFixed(1);
    this.log.info('link-down', `link down: ${this.endReason}. Connect time ${minutes} minutes. Sent ${c.bytesOut} bytes, received ${c.bytesIn} bytes.`, {
      user: this.username,
      ip: this.peerIp,
      sent: c.bytesOut,
      received: c.bytesIn,
    });
    this.transport.close(this.endReason, now);
    this.onEnded?.(this.endReason);
    for (const o of this.ctx.observers ?? []) o.linkEnded?.(this, this.endReason, now);
  }
}

/** fe80::<Interface-Identifier> (16 hex digits) as 16 octets. */
function linkLocalBytes(identifier: string): Uint8Array {
  const b = new Uint8Array(16);
  b[0] = 0xfe;
  b[1] = 0x80;
  for (let i = 0; i < 8; i++) b[8 + i] = parseInt(identifier.slice(2 * i, 2 * i + 2), 16) & 0xff;
  return b;
}

/** True when the Source Address of the IPv6 packet `p` is `addr`. */
function ipv6SrcIs(p: Uint8Array, addr: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (p[8 + i] !== addr[i]) return false;
  return true;
}

function protoText(p: AuthProtocol): string {
  return p === 'mschap-v2' ? 'MS-CHAP-v2' : p === 'mschap-v1' ? 'MS-CHAP' : p === 'chap-md5' ? 'CHAP' : 'PAP';
}
