/**
 * L2TP on the server (LNS): one `L2tpPort` (l2tp-endpoint.ts) per listen
 * address, tunnel authentication and access control, and one PppLink per
 * session, on the same pool, TUN, MTU and MSS rules as PPTP. Tunnels left
 * without sessions are closed; a graceful stop ends links, then tunnels.
 *
 * Peer notes:
 *  - Windows (RasMan): refuses L2TP without IPsec unless the registry value
 *    ProhibitIpSec=1 is set; never sends a Challenge, so a tunnel secret
 *    (listen.l2tp.secret) locks Windows clients out. It answers from the port
 *    it sent from, 1701 (behind NAT-T the kernel sees the NAT's address).
 *  - macOS / iOS: plain L2TP needs `l2tpnoipsec` in the PPP options (macOS
 *    only; iOS always uses IPsec); they end calls with CDN then StopCCN.
 *  - Linux xl2tpd + pppd: may challenge us when `challenge = yes`, then the
 *    secret must match its l2tp-secrets entry; sends Hello every 60 s.
 *  - MikroTik RouterOS: the L2TP client brings up IPsec itself with
 *    `use-ipsec=yes`; without it, plain L2TP as here.
 */
import { readFileSync } from 'node:fs';
import type { Millis } from '../core/machine.js';
import { ConfigError } from '../core/errors.js';
import { findL2tpSecret, parseL2tpSecrets } from '../config/l2tp-secrets.js';
import { CDN_RESULT, STOPCCN_RESULT } from '../l2tp/constants.js';
import type { UdpPeer } from '../l2tp/endpoint.js';
import type { L2tpTunnelEvent } from '../l2tp/tunnel-fsm.js';
import type { Logger } from '../log/logger.js';
import type { ServerContext } from './context.js';
import { PppLink, serverSessionOptions } from './link.js';
import { guardOf } from './guard.js';
import { gracefulStop } from './graceful-stop.js';
import { L2tpPort } from './l2tp-endpoint.js';

/** Seconds a tunnel may stay without sessions before we end it with StopCCN. */
const EMPTY_TUNNEL_MS = 30_000;

interface TunnelRecord {
  port: L2tpPort;
  peer: UdpPeer;
  /** When the tunnel last had no session (undefined while it has one). */
  emptySince: Millis | undefined;
}

/** The L2TP server side (LNS). */
export class L2tpService {
  readonly stats = { tunnelsUp: 0, sessionsUp: 0, sessionsRefused: 0 };
  readonly ports: L2tpPort[] = [];
  private readonly tunnels = new Map<L2tpPort, Map<number, TunnelRecord>>();
  private readonly log: Logger;
  /** How long an established tunnel may stay without sessions (ms). */
  emptyTunnelMs = EMPTY_TUNNEL_MS;

  constructor(readonly ctx: ServerContext) {
    this.log = ctx.log.child({ proto: 'l2tp' });
  }

  /** Live sessions across every port. */
  get linkCount(): number {
    let n = 0;
    for (const p of this.ports) n += p.sessions.size;
    return n;
  }

  /** Live tunnels across every port (including those closing). */
  get tunnelCount(): number {
    let n = 0;
    for (const p of this.ports) n += p.tunnelCount;
    return n;
  }

  /** Every live link. */
  links(): PppLink[] {
    return this.ports.flatMap((p) => [...p.sessions.values()].map((s) => s.link));
  }

  /** A port that is not bound to a socket (tests attach their own). */
  createPort(): L2tpPort {
    const c = this.ctx.config;
    const { secret, secretsFile, challenge } = c.listen.l2tp;
    const mode = c.ppp.mppe.l2tpMode;
    // Tunnel authentication (RFC 2661 §5.1.1): one secret for every LAC, or per peer from an l2tp-secrets file.
    const auth = secret !== undefined
      ? { secret: new TextEncoder().encode(secret), challengePeer: challenge ?? true }
      : secretsFile !== undefined
        ? { secretFor: (peer: string) => this.tunnelSecret(peer), challengePeer: challenge ?? false }
        : {};
    const port = new L2tpPort(
      this.ctx,
      {
        tunnel: {
          role: 'lns',
          hostName: c.listen.l2tp.hostName ?? c.ppp.name,
          vendorName: 'tunppp',
          ...auth,
          // Hostile-peer limit: one tunnel must not take every connection slot.
          maxSessions: Math.min(c.connections.max, c.limits?.maxSessionsPerTunnel ?? 16),
        },
        maxTunnels: Math.max(16, c.connections.max * 2),
      },
      { onTunnelEvent: (p, id, peer, e, now) => this.onTunnelEvent(p, id, peer, e, now) },
      this.log,
      mode !== 'refuse',
    );
    this.ports.push(port);
    this.tunnels.set(port, new Map());
    return port;
  }

  /**
   * The secret for a new tunnel from `peerHostName`, from listen.l2tp.secretsFile
   * as the configuration names it now. Like xl2tpd, the file is read for each
   * lookup, so an edited file takes effect without a reload.
   */
  private tunnelSecret(peerHostName: string): Uint8Array | undefined {
    const c = this.ctx.config;
    const file = c.listen.l2tp.secretsFile;
    if (file === undefined) return undefined;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      this.log.warn('l2tp-secrets-unreadable', `cannot read the L2TP tunnel secrets ${file}: ${(err as Error).message}; no secret for '${peerHostName}'`);
      return undefined;
    }
    const us = c.listen.l2tp.hostName ?? c.ppp.name;
    const found = findL2tpSecret(parseL2tpSecrets(text, file).entries, us, peerHostName);
    if (!found) {
      this.log.info('l2tp-no-secret', `no tunnel secret for us '${us}' and peer '${peerHostName}' in ${file}`);
      return undefined;
    }
    this.log.debug('l2tp-secret', `tunnel secret for peer '${peerHostName}' from ${file}:${found.line}`);
    return new TextEncoder().encode(found.secret);
  }

  /** Binds every configured address; resolves with what it bound. */
  async listen(): Promise<{ address: string; port: number }[]> {
    const { addresses, port, secretsFile, challenge } = this.ctx.config.listen.l2tp;
    if (secretsFile !== undefined) {
      try {
        readFileSync(secretsFile, 'utf8');
      } catch (err) {
        // Required tunnel authentication without its secrets refuses every LAC: fail at start.
        // Otherwise the file only answers peers that challenge us, and xl2tpd starts without it too.
        if (challenge) throw new ConfigError('CONFIG_READ', `cannot read the L2TP tunnel secrets: ${(err as Error).message}`, { file: secretsFile }, 'create it (lines: our-hostname peer-hostname secret, mode 0600) or turn challenge off');
        this.log.warn('l2tp-secrets-unreadable', `cannot read the L2TP tunnel secrets ${secretsFile}: ${(err as Error).message}; a LAC that challenges us is refused`);
      }
    }
    if (this.ctx.config.ppp.mppe.l2tpMode !== 'require') {
      // node:dgram cannot see whether IPsec protects the socket; say what the policy means once.
      this.log.warn('l2tp-cleartext', `L2TP: MPPE is ${this.ctx.config.ppp.mppe.l2tpMode === 'refuse' ? 'refused' : 'not required'} (ppp.mppe.l2tpMode); sessions are unencrypted unless IPsec protects UDP ${port} (docs/l2tp.md)`);
    }
    const bound: { address: string; port: number }[] = [];
    try {
      for (const address of addresses) {
        const p = this.createPort();
        bound.push({ address, port: await p.bind(address, port) });
      }
    } catch (err) {
      for (const p of this.ports) p.close();
      throw err;
    }
    return bound;
  }

  private onTunnelEvent(port: L2tpPort, tunnelId: number, peer: UdpPeer, e: L2tpTunnelEvent, now: Millis): void {
    const recs = this.tunnels.get(port)!;
    switch (e.type) {
      case 'tunnel-up':
        this.stats.tunnelsUp++;
        recs.set(tunnelId, { port, peer, emptySince: now });
        this.log.info('tunnel-up', `Connection established to ${peer.address}, ${peer.port}. Local: ${tunnelId}, Remote: ${e.peerTunnelId} (host ${e.peerHostName || '?'})`, { tunnel: tunnelId });
        this.scheduleEmpty(port, tunnelId);
        break;
      case 'session-up':
        this.sessionUp(port, tunnelId, peer, e, now);
        break;
      case 'session-down': {
        const rec = recs.get(tunnelId);
        if (rec && port.sessionsOf(tunnelId).length === 0) {
          rec.emptySince = now;
          this.scheduleEmpty(port, tunnelId);
        }
        this.log.info('session-down', `Call ${e.sessionId} of tunnel ${tunnelId} closed: ${e.reason}`, { tunnel: tunnelId });
        break;
      }
      case 'tunnel-down':
        this.log.info('tunnel-down', `Tunnel ${tunnelId} to ${peer.address}:${peer.port} closed: ${e.reason}`, { tunnel: tunnelId });
        this.forgetTunnel(port, tunnelId);
        break;
      case 'closed':
        this.forgetTunnel(port, tunnelId);
        break;
      case 'link-info':
        break;
    }
  }

  private forgetTunnel(port: L2tpPort, tunnelId: number): void {
    const recs = this.tunnels.get(port)!;
    const rec = recs.get(tunnelId);
    if (rec) this.ctx.scheduler.delete(rec);
    recs.delete(tunnelId);
  }

  /** Ends tunnels that stay without sessions: every remote-access client opens its call at once. */
  private scheduleEmpty(port: L2tpPort, tunnelId: number): void {
    const rec = this.tunnels.get(port)?.get(tunnelId);
    if (!rec || rec.emptySince === undefined) return;
    this.ctx.scheduler.set(rec, rec.emptySince + this.emptyTunnelMs, (t) => {
      if (rec.emptySince === undefined || port.sessionsOf(tunnelId).length > 0) return;
      this.log.info('tunnel-idle', `Tunnel ${tunnelId} has had no call for ${Math.round(this.emptyTunnelMs / 1000)} s: closing it`);
      port.command(tunnelId, { type: 'close', result: { result: STOPCCN_RESULT.GENERAL_REQUEST, message: 'no sessions' }, reason: 'no sessions' }, t);
      this.ctx.tun.flush();
    });
  }

  private sessionUp(port: L2tpPort, tunnelId: number, peer: UdpPeer, e: Extract<L2tpTunnelEvent, { type: 'session-up' }>, now: Millis): void {
    const ctx = this.ctx;
    // Hostile-peer limits (guard.ts): unauthenticated sessions per source, fairness at connections.max.
    const why = guardOf(ctx).admitSession(peer.address, this.links(), ctx.config.connections.max, now);
    if (why !== undefined) {
      this.stats.sessionsRefused++;
      const text = why === 'connection-limit' ? `connection limit ${ctx.config.connections.max} reached` : `${peer.address} has limits.maxUnauthenticatedPerSource sessions not yet authenticated`;
      this.log.warn('limit', `call refused: ${text}`);
      port.command(tunnelId, { type: 'close-session', sessionId: e.sessionId, result: { result: CDN_RESULT.TEMPORARY_NO_FACILITIES, error: 4, message: why }, reason: text }, now);
      return;
    }
    const rec = this.tunnels.get(port)?.get(tunnelId);
    if (rec) {
      rec.emptySince = undefined;
      ctx.scheduler.delete(rec);
    }
    const t = port.openSession(tunnelId, peer, e);
    // Proxy LCP and proxy authentication AVPs (§4.4.5) are ignored: we negotiate LCP afresh, as xl2tpd does without `ppp debug` hacks.
    const link = new PppLink(ctx, t, serverSessionOptions(ctx, 'l2tp'));
    t.link = link;
    this.stats.sessionsUp++;
    this.log.info('call-start', `Call established with ${peer.address}, Local: ${e.sessionId}, Remote: ${e.peerSessionId}, Serial: ${e.info.callSerialNumber ?? 0}, link ${link.id}${e.sequencingRequired ? ', sequencing' : ''}`, { link: link.id, tunnel: tunnelId });
    link.start(now);
    for (const frame of port.takeEarly(tunnelId, e.sessionId)) link.fromTransport(frame, now);
  }

  /**
   * Graceful stop: LCP Terminate-Request on every link (then CDN), StopCCN on
   * every tunnel, and the sockets close once the peers acked or `graceMs`
   * passed.
   */
  async stop(graceMs = 1500): Promise<void> {
    await gracefulStop(
      {
        closeLinks: () => {
          for (const link of this.links()) link.close('server shutting down', this.ctx.clock.now());
          this.ctx.tun.flush();
        },
        stopControl: () => {
          for (const p of this.ports) {
            for (const id of p.endpoint.tunnelIds()) p.command(id, { type: 'close', result: { result: STOPCCN_RESULT.BEING_SHUT_DOWN, message: 'server shutting down' }, reason: 'server shutting down' });
          }
        },
        pending: () => this.ports.some((p) => p.endpoint.tunnelIds().some((id) => p.endpoint.tunnel(id)?.channel.idle === false)),
      },
      graceMs,
    );
    for (const p of this.ports) p.close();
    for (const recs of this.tunnels.values()) for (const rec of recs.values()) this.ctx.scheduler.delete(rec);
  }
}
