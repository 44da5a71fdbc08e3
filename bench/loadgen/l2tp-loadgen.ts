/**
 * A load generator for the L2TP server (LNS), the L2TP twin of loadgen.ts:
 * one process, one UDP socket (one L2tpPort, as `tunppp connect l2tp://`
 * uses), many tunnels, many sessions per tunnel — the way a LAC concentrator
 * loads an LNS. Each session is an incoming call (ICRQ → ICRP → ICCN)
 * carrying a client-role PppLink brought up with MS-CHAPv2 and (by default)
 * MPPE-128, then IPCP. No TUN: the IP side is the shared in-process
 * responder (loadgen-common.ts).
 *
 * Tunnels. A tunnel carries at most `sessionsPerTunnel` calls (default 100).
 * Before a batch is opened, enough new tunnels are started (SCCRQ → SCCRP →
 * SCCCN) to hold it, and at least `minTunnels`; each session goes to the
 * tunnel with the most room left, so a batch is spread evenly and the calls
 * in setup share the tunnels' control windows (8 messages in flight each, so
 * the number of tunnels bounds the setup rate). A session's setup time runs from the moment it
 * is started, so the first calls of a new tunnel include the tunnel's own
 * setup. The LNS must allow that many sessions per tunnel
 * (limits.maxSessionsPerTunnel, 16 by default) or the extra ICRQs get a CDN.
 *
 * Used by `npm run bench -- tunnel` through loadgen.ts's command line
 * (`--proto l2tp`) and by l2tp-loadgen.test.ts.
 */
import type { Millis } from '../../src/core/machine.js';
import type { Rng } from '../../src/core/rng.js';
import { parseIpv4 } from '../../src/config/ipv4.js';
import { monotonicClock, type Clock } from '../../src/io/clock.js';
import { cryptoRng } from '../../src/io/rng.js';
import type { Logger } from '../../src/log/logger.js';
import { STOPCCN_RESULT } from '../../src/l2tp/constants.js';
import type { UdpPeer } from '../../src/l2tp/endpoint.js';
import type { L2tpTunnelEvent } from '../../src/l2tp/tunnel-fsm.js';
import type { ServerContext } from '../../src/server/context.js';
import { L2tpPort, type L2tpPortStats } from '../../src/server/l2tp-endpoint.js';
import { PppLink } from '../../src/server/link.js';
import { countUp, LoadgenIpSide, loadgenContext, newLoadgenStats, openInPool, pingSessions, sleep, type LoadSession, type LoadgenStats, type OpenResult } from './loadgen-common.js';

/** What to connect to and how. */
export interface L2tpLoadgenOptions {
  /** The LNS's IPv4 address. */
  host: string;
  /** The LNS's UDP port (default 1701). */
  port?: number;
  /** Our address and UDP port (default 0.0.0.0, an ephemeral port). */
  localAddress?: string;
  localPort?: number;
  username: string;
  password: string;
  /** MPPE policy of every session: require (default), allow, refuse. */
  mppe?: 'require' | 'allow' | 'refuse';
  /** Sessions per tunnel at most (default 100). */
  sessionsPerTunnel?: number;
  /** Tunnels to keep at least, started with the first batch (default 0: as many as the sessions need). */
  minTunnels?: number;
  /** Shared tunnel secret, when the LNS demands tunnel authentication. */
  secret?: string;
  /** LCP echo interval of our side (default 30 s; the server's keepalive is what reaps). */
  keepaliveS?: number;
  log: Logger;
  clock?: Clock;
  rng?: Rng;
}

/** One tunnel of the load generator. */
interface LoadTunnel {
  readonly id: number;
  state: 'connecting' | 'up' | 'down';
  /** Sessions placed on this tunnel that are not over yet (in setup or up). */
  assigned: number;
  /** Sessions waiting for the tunnel to come up before their ICRQ goes out. */
  readonly waiting: Pending[];
  /** Sessions by our Session ID, from their ICRQ on. */
  readonly bySession: Map<number, Pending>;
}

/** A session from its start until it is over. */
interface Pending {
  readonly s: LoadSession;
  readonly tunnel: LoadTunnel;
  readonly t0: number;
  sessionId?: number;
  over: boolean;
  settle: () => void;
}

/** Counters beyond the sessions: tunnels and the UDP port. */
export interface L2tpLoadgenCounters {
  tunnelsOpened: number;
  tunnelsUp: number;
  tunnelsFailed: number;
  /** Control messages we retransmitted and ZLB acks we sent, over the live tunnels. */
  retransmitted: number;
  zlbSent: number;
  port: L2tpPortStats;
}

/** Many L2TP sessions over a few tunnels and one UDP socket. */
export class L2tpLoadgen {
  readonly sessions: LoadSession[] = [];
  readonly stats: LoadgenStats = newLoadgenStats();
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly ctx: ServerContext;
  private readonly port: L2tpPort;
  private readonly ipSide: LoadgenIpSide;
  private readonly peer: UdpPeer;
  private readonly perTunnel: number;
  private readonly tunnels = new Map<number, LoadTunnel>();
  private readonly live = new Set<Pending>();
  private readonly tunnelCounts = { opened: 0, up: 0, failed: 0 };
  private bound: Promise<number> | undefined;
  /** The session whose ICRQ is being placed (an immediate refusal names Session ID 0). */
  private placing: Pending | undefined;
  private serial = 0;
  private closed = false;

  constructor(private readonly opts: L2tpLoadgenOptions) {
    if (parseIpv4(opts.host) === undefined) throw new Error(`l2tp loadgen: host must be an IPv4 address, got '${opts.host}'`);
    this.peer = { address: opts.host, port: opts.port ?? 1701 };
    this.perTunnel = Math.max(1, Math.min(65535, opts.sessionsPerTunnel ?? 100));
    this.clock = opts.clock ?? monotonicClock;
    this.log = opts.log.child({ proto: 'l2tp' });
    this.ipSide = new LoadgenIpSide(this.clock, this.stats, () => {});
    this.ctx = loadgenContext({ clock: this.clock, rng: opts.rng ?? cryptoRng, log: this.log, tun: this.ipSide });
    this.ctx.scheduler.afterFire = () => this.ipSide.flush();
    this.port = new L2tpPort(
      this.ctx,
      {
        tunnel: {
          role: 'lac',
          hostName: 'tunppp-loadgen',
          vendorName: 'tunppp',
          maxSessions: this.perTunnel,
          ...(opts.secret !== undefined ? { secret: new TextEncoder().encode(opts.secret), challengePeer: true } : {}),
        },
        maxTunnels: 65535,
      },
      { onTunnelEvent: (_p, id, peer, e, now) => this.onTunnelEvent(id, peer, e, now) },
      this.log,
      (opts.mppe ?? 'require') !== 'refuse',
    );
  }

  /** Binds the UDP socket (once; `open` does it when needed). Resolves with our UDP port. */
  bind(): Promise<number> {
    this.bound ??= this.port.bind(this.opts.localAddress ?? '0.0.0.0', this.opts.localPort ?? 0);
    return this.bound;
  }

  /** Sessions whose link is up. */
  get upCount(): number {
    return countUp(this.sessions);
  }

  /** Tunnel and UDP counters. */
  get counters(): L2tpLoadgenCounters {
    let retransmitted = 0;
    let zlbSent = 0;
    for (const id of this.port.endpoint.tunnelIds()) {
      const st = this.port.endpoint.tunnel(id)?.channel.stats;
      retransmitted += st?.retransmitted ?? 0;
      zlbSent += st?.zlbSent ?? 0;
    }
    return { tunnelsOpened: this.tunnelCounts.opened, tunnelsUp: this.tunnelCounts.up, tunnelsFailed: this.tunnelCounts.failed, retransmitted, zlbSent, port: { ...this.port.stats } };
  }

  /** Tunnels not yet down. */
  get tunnelCount(): number {
    let n = 0;
    for (const t of this.tunnels.values()) if (t.state !== 'down') n++;
    return n;
  }

  /**
   * Opens `count` sessions, at most `concurrency` in setup at once, each
   * bounded by `timeoutMs`; starts the tunnels they need; resolves when every
   * one is up or failed.
   */
  async open(count: number, o: { concurrency?: number; timeoutMs?: number } = {}): Promise<OpenResult> {
    await this.bind();
    this.reserveTunnels(count);
    return openInPool(this.sessions, count, o, (s, timeoutMs) => this.startOne(s, timeoutMs), () => this.closed);
  }

  /** ICMP echo from every up session to the server's tunnel address (see pingSessions). */
  pingAll(payloadBytes = 56, count = 1, waitMs = 2000): Promise<{ sent: number; replies: number }> {
    return pingSessions(this.sessions, { clock: this.clock, stats: this.stats, flush: () => {} }, payloadBytes, count, waitMs);
  }

  /**
   * Graceful stop, as a LAC ends its calls: LCP Terminate and CDN on every
   * session, then StopCCN on every tunnel once the calls are down; the socket
   * closes when the StopCCNs are acknowledged or `graceMs` has passed.
   */
  async stop(graceMs = 3000): Promise<void> {
    if (this.closed) return;
    const deadline = Date.now() + graceMs;
    const now = this.clock.now();
    for (const s of this.sessions) if (s.state === 'up' || s.state === 'connecting') s.link?.close('loadgen stop', now);
    while ([...this.live].some((p) => p.s.link !== undefined) && Date.now() < deadline - graceMs / 3) await sleep(25);
    for (const id of this.port.endpoint.tunnelIds()) {
      this.port.command(id, { type: 'close', result: { result: STOPCCN_RESULT.GENERAL_REQUEST, message: 'loadgen stop' }, reason: 'loadgen stop' });
    }
    const unacked = (): boolean => this.port.endpoint.tunnelIds().some((id) => this.port.endpoint.tunnel(id)?.channel.idle === false);
    while (unacked() && Date.now() < deadline) await sleep(25);
    this.destroy();
  }

  /** Closes the socket at once (no goodbyes); every session still open is over. */
  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of [...this.live]) this.over(p, 'loadgen destroyed');
    this.ctx.scheduler.stop();
    this.port.close();
  }

  /** Starts as many tunnels as `count` more sessions need beyond the room the live ones have, and at least `minTunnels`. */
  private reserveTunnels(count: number): void {
    let room = 0;
    let live = 0;
    for (const t of this.tunnels.values()) {
      if (t.state === 'down') continue;
      room += this.perTunnel - t.assigned;
      live++;
    }
    while ((room < count || live < (this.opts.minTunnels ?? 0)) && !this.closed) {
      const id = this.port.connect(this.peer);
      if (id === undefined) break; // our endpoint's tunnel limit: the sessions without a tunnel fail
      this.tunnels.set(id, { id, state: 'connecting', assigned: 0, waiting: [], bySession: new Map() });
      this.tunnelCounts.opened++;
      room += this.perTunnel;
      live++;
    }
  }

  /** The live tunnel with the most room, if any has room. */
  private pickTunnel(): LoadTunnel | undefined {
    let best: LoadTunnel | undefined;
    for (const t of this.tunnels.values()) {
      if (t.state === 'down' || t.assigned >= this.perTunnel) continue;
      if (!best || t.assigned < best.assigned) best = t;
    }
    return best;
  }

  private startOne(s: LoadSession, timeoutMs: number): Promise<void> {
    return new Promise<void>((settle) => {
      const tunnel = this.pickTunnel();
      if (!tunnel) {
        s.state = 'failed';
        s.reason = 'no tunnel with room for another session';
        settle();
        return;
      }
      tunnel.assigned++;
      s.tunnelId = tunnel.id;
      const timer = setTimeout(() => this.giveUp(p, `no link after ${timeoutMs} ms`), timeoutMs);
      const p: Pending = {
        s,
        tunnel,
        t0: performance.now(),
        over: false,
        settle: () => {
          clearTimeout(timer);
          settle();
        },
      };
      this.live.add(p);
      if (tunnel.state === 'up') this.placeCall(p, this.clock.now());
      else tunnel.waiting.push(p);
    });
  }

  /** ICRQ for `p` on its (established) tunnel. */
  private placeCall(p: Pending, now: Millis): void {
    const serial = (this.serial = (this.serial + 1) >>> 0);
    this.placing = p;
    this.port.command(p.tunnel.id, { type: 'open-session', callSerialNumber: serial }, now);
    this.placing = undefined;
    if (p.over) return; // refused on the spot (session limit of our side)
    // The call's Session ID is chosen inside the tunnel FSM; find it by the serial number we gave.
    for (const [id, fsm] of this.port.endpoint.tunnel(p.tunnel.id)?.sessions ?? []) {
      if (fsm.callSerialNumber === serial && !p.tunnel.bySession.has(id)) {
        p.sessionId = id;
        p.tunnel.bySession.set(id, p);
        return;
      }
    }
    this.over(p, 'the tunnel did not place the call');
  }

  /** The session's own timeout: ends it however far it got. */
  private giveUp(p: Pending, reason: string): void {
    if (p.over || p.s.state !== 'connecting') return;
    p.s.reason = reason;
    const now = this.clock.now();
    if (p.s.link) p.s.link.lowerDown(reason, now); // the link's end sends the CDN
    else if (p.sessionId !== undefined) this.port.command(p.tunnel.id, { type: 'close-session', sessionId: p.sessionId, reason }, now);
    this.over(p, reason);
  }

  /** The session is over (failed in setup, or down after being up). Idempotent. */
  private over(p: Pending, reason: string): void {
    if (p.over) return;
    p.over = true;
    const s = p.s;
    s.reason ??= reason;
    s.state = s.state === 'up' ? 'down' : 'failed';
    this.live.delete(p);
    p.tunnel.assigned--;
    if (p.sessionId !== undefined && p.tunnel.bySession.get(p.sessionId) === p) p.tunnel.bySession.delete(p.sessionId);
    const w = p.tunnel.waiting.indexOf(p);
    if (w >= 0) p.tunnel.waiting.splice(w, 1);
    if (s.localIp !== undefined) {
      const a = parseIpv4(s.localIp)!;
      if (this.ipSide.byAddr.get(a) === s.link) this.ipSide.byAddr.delete(a);
    }
    p.settle();
  }

  private onTunnelEvent(tunnelId: number, peer: UdpPeer, e: L2tpTunnelEvent, now: Millis): void {
    const t = this.tunnels.get(tunnelId);
    if (!t) return;
    switch (e.type) {
      case 'tunnel-up':
        t.state = 'up';
        this.tunnelCounts.up++;
        for (const p of t.waiting.splice(0)) this.placeCall(p, now);
        break;
      case 'tunnel-down': {
        // Session-down events for its calls came first; what is left never sent an ICRQ.
        if (t.state === 'connecting') this.tunnelCounts.failed++;
        t.state = 'down';
        const why = `tunnel closed (${e.reason})`;
        for (const p of [...t.waiting, ...t.bySession.values()]) if (!p.s.link) this.over(p, why);
        break;
      }
      case 'closed':
        t.state = 'down';
        this.tunnels.delete(tunnelId);
        break;
      case 'session-up':
        this.sessionUp(t, peer, e, now);
        break;
      case 'session-down': {
        if (e.sessionId === 0) {
          // Refused before an ICRQ went out; it names no session, so it is the one being placed.
          if (this.placing) this.over(this.placing, `call not placed (${e.reason})`);
          break;
        }
        const p = t.bySession.get(e.sessionId);
        // With a link, the port ends the link next and onEnded finishes the session.
        if (p && !p.s.link) this.over(p, `call refused by the server (${e.reason})`);
        break;
      }
      case 'link-info':
        break;
    }
  }

  private sessionUp(t: LoadTunnel, peer: UdpPeer, e: Extract<L2tpTunnelEvent, { type: 'session-up' }>, now: Millis): void {
    const p = t.bySession.get(e.sessionId);
    if (!p || p.over) {
      this.port.command(t.id, { type: 'close-session', sessionId: e.sessionId, reason: 'no load session waits for this call' }, now);
      return;
    }
    const opts = this.opts;
    const transport = this.port.openSession(t.id, peer, e);
    const mppe = opts.mppe ?? 'require';
    const link = new PppLink(this.ctx, transport, {
      role: 'client',
      auth: { accept: ['mschap-v2'], username: opts.username, password: opts.password },
      mppe: { strengths: mppe === 'refuse' ? [] : [128], required: mppe === 'require', allowStateful: false },
      ipv4: true,
      ipv6: false,
      requestDns: false,
      echoIntervalMs: (opts.keepaliveS ?? 30) * 1000,
    });
    transport.link = link;
    const s = p.s;
    s.link = link;
    link.onUp = () => {
      s.state = 'up';
      s.setupMs = performance.now() - p.t0;
      s.localIp = link.localIp;
      s.peerIp = link.peerIp;
      if (link.mppe !== undefined) s.mppe = link.mppe;
      if (link.localIp !== undefined) this.ipSide.byAddr.set(parseIpv4(link.localIp)!, link);
      p.settle();
    };
    link.onEnded = (reason) => this.over(p, reason);
    link.start(now);
  }
}
