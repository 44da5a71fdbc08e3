/**
 * PPTP on the server: TCP 1723 control connections (src/pptp/control-fsm.ts)
 * and one raw GRE socket for every call's data (src/pptp/gre-channel.ts),
 * each call carrying one PppLink.
 *
 * GRE is demultiplexed by (source address, Call ID) on one unconnected
 * socket, so several clients behind one NAT work, and an ICMP error is an
 * event for the calls toward that address — fragmentation-needed lowers
 * their MTU and MSS clamp — never a failed read that hangs up the call
 * (pptpd connects its socket, gets EMSGSIZE on read, and hangs up: the seed
 * log).
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Millis } from '../core/machine.js';
import { PptpControl, type ControlOutput, type PptpEvent } from '../pptp/control-fsm.js';
import { CallIdPool, type CallUp } from '../pptp/call-fsm.js';
import { parseIpv4 } from '../config/ipv4.js';
import { GreEndpoint, type GreSocketLike, type PptpCallTransport } from './gre-endpoint.js';
import type { Logger } from '../log/logger.js';
import type { ServerContext } from './context.js';
import { PppLink, serverSessionOptions } from './link.js';
import { guardOf } from './guard.js';
import { gracefulStop } from './graceful-stop.js';

/**
 * How long a control connection we closed may take to finish gracefully
 * (our queued messages and FIN out, the peer's FIN in) before its socket is
 * destroyed: a peer that never sends FIN, or never reads, must not keep the
 * descriptor after its guard slot (issue 12, finding 7).
 */
export const CONTROL_CLOSE_GRACE_MS = 2000;

/**
 * Replies queued for a peer that does not read them (beyond what the kernel
 * holds) before its connection is reset: a peer that sends Echo-Requests
 * and never reads the replies must not grow our memory without bound. A
 * real PNS has a few control messages in flight.
 */
export const CONTROL_WRITE_QUEUE_MAX_BYTES = 64 * 1024;

/** One TCP control connection. */
class PptpConnection {
  readonly control: PptpControl;
  readonly peerU32: number;
  readonly peerAddress: string;
  readonly calls = new Map<number, PptpCallTransport>();
  private readonly log: Logger;
  private ended = false;
  /**
   * Holds a guard "starting" slot until the handshake ends, and an "open"
   * slot until the socket is closed (not merely ended), so open descriptors
   * never outnumber the slots.
   */
  private guardStarting = true;
  private guardOpen = true;
  /** Scheduler key of the destroy that bounds a graceful close. */
  private readonly closeTimer = {};

  constructor(
    private readonly service: PptpService,
    readonly socket: Socket,
    callIds: CallIdPool,
  ) {
    const ctx = service.ctx;
    this.peerAddress = (socket.remoteAddress ?? '0.0.0.0').replace(/^::ffff:/, '');
    this.peerU32 = parseIpv4(this.peerAddress) ?? 0;
    this.log = ctx.log.child({ proto: 'pptp', peer: this.peerAddress });
    this.control = new PptpControl({
      role: 'server',
      rng: ctx.rng,
      hostName: ctx.config.ppp.name,
      vendorName: 'tunppp',
      callIds,
      handshakeTimeoutMs: ctx.config.listen.pptp.startTimeoutS * 1000,
      maxCalls: guardOf(ctx).limits.maxCallsPerConnection,
    });
    socket.setNoDelay(true);
    socket.on('data', (b: Buffer) => this.handle({ type: 'data', bytes: b }, ctx.clock.now()));
    socket.on('error', (err) => this.log.debug('tcp-error', `control connection error: ${err.message}`));
    socket.on('close', () => {
      this.handle({ type: 'tcp-closed' }, ctx.clock.now());
      ctx.scheduler.delete(this.closeTimer);
      this.releaseGuard();
    });
    this.log.info('control-start', `CTRL: Client ${this.peerAddress} control connection started`);
    this.handle({ type: 'tcp-open' }, ctx.clock.now());
  }

  handle(input: Parameters<PptpControl['handle']>[0], now: Millis): void {
    const outs: ControlOutput[] = this.control.handle(input, now);
    for (const o of outs) {
      if (o.kind === 'send') {
        if (!this.socket.destroyed) this.socket.write(o.bytes);
      } else if (o.kind === 'event') this.onEvent(o.event, now);
      else this.log.debug('pptp-drop', `control message dropped: ${o.reason}${o.detail ? ` (${o.detail})` : ''}`);
    }
    if (!this.socket.destroyed && this.socket.writableLength > CONTROL_WRITE_QUEUE_MAX_BYTES) {
      this.service.stats.controlDestroyed++;
      this.log.warn('control-destroy', `CTRL: Client ${this.peerAddress} does not read its replies (${this.socket.writableLength} bytes queued): connection reset`);
      this.socket.destroy();
    }
    this.service.ctx.scheduler.set(this, this.ended ? undefined : this.control.nextDeadline(), (t) => this.handle({ type: 'timeout' }, t));
    this.service.flush();
  }

  private onEvent(e: PptpEvent, now: Millis): void {
    switch (e.type) {
      case 'control-up':
        this.service.stats.controlConnections++;
        if (this.guardStarting) {
          this.guardStarting = false;
          guardOf(this.service.ctx).handshakeDone(this.peerAddress);
        }
        break;
      case 'call-up':
        this.callUp(e, now);
        break;
      case 'call-down': {
        // A call cleared because its control connection went down ends with the control
        // connection's reason (the control-down event that follows): "tcp-closed" is a lost
        // carrier for accounting, not a clear by the user.
        if (e.reason === 'control-down') break;
        const call = this.calls.get(e.callId);
        if (call) {
          call.closed = true;
          this.service.gre.forget(call);
          call.link.lowerDown(`call cleared (${e.reason})`, now);
        }
        break;
      }
      case 'control-down':
        this.ended = true;
        for (const call of [...this.calls.values()]) {
          call.closed = true;
          this.service.gre.forget(call);
          call.link.lowerDown(`control connection closed (${e.reason})`, now);
        }
        this.log.info('control-end', `CTRL: Client ${this.peerAddress} control connection finished (${e.reason}${e.detail ? `: ${e.detail}` : ''})`);
        this.service.connectionEnded(this);
        this.closeSocket(now);
        break;
      default:
        break;
    }
  }

  /**
   * Ends the socket (FIN after what is queued) and destroys it if it is not
   * closed within CONTROL_CLOSE_GRACE_MS; the guard slots go back on 'close'.
   */
  private closeSocket(now: Millis): void {
    if (this.socket.destroyed) return;
    this.socket.end();
    this.service.ctx.scheduler.set(this.closeTimer, now + CONTROL_CLOSE_GRACE_MS, () => {
      if (this.socket.destroyed) return;
      this.service.stats.controlDestroyed++;
      this.log.debug('control-destroy', `CTRL: Client ${this.peerAddress} did not close within ${CONTROL_CLOSE_GRACE_MS} ms: connection reset`);
      this.socket.destroy();
    });
  }

  /** Gives back the guard slots (idempotent). */
  private releaseGuard(): void {
    const g = guardOf(this.service.ctx);
    if (this.guardStarting) {
      this.guardStarting = false;
      g.handshakeDone(this.peerAddress);
    }
    if (this.guardOpen) {
      this.guardOpen = false;
      g.closed(this.peerAddress);
    }
  }

  private callUp(e: CallUp, now: Millis): void {
    const ctx = this.service.ctx;
    // Hostile-peer limits (guard.ts): unauthenticated sessions per source, fairness at connections.max.
    const why = guardOf(ctx).admitSession(this.peerAddress, this.service.links(), ctx.config.connections.max, now);
    if (why !== undefined) {
      this.log.warn('limit', `call refused: ${why === 'connection-limit' ? `connection limit ${ctx.config.connections.max} reached` : `${this.peerAddress} has limits.maxUnauthenticatedPerSource sessions not yet authenticated`}`);
      this.handle({ type: 'close-call', callId: e.callId }, now);
      return;
    }
    const call = this.service.gre.open(this.peerU32, e.callId, e.peerCallId, e.peerRecvWindow);
    call.onClose = (t) => this.handle({ type: 'close-call', callId: e.callId }, t);
    const link = new PppLink(ctx, call, serverSessionOptions(ctx, 'pptp'));
    call.link = link;
    link.onEnded = () => {
      this.calls.delete(e.callId);
      // pptpd ends the control connection with its call; clients expect it (pptp-linux waits for it).
      if (this.calls.size === 0 && !this.ended) queueMicrotask(() => this.handle({ type: 'stop' }, ctx.clock.now()));
    };
    this.calls.set(e.callId, call);
    this.log.info('call-start', `CTRL: Starting call (call ID ${e.callId}, peer call ID ${e.peerCallId}, link ${link.id})`, { link: link.id });
    this.service.stats.callsUp++;
    link.start(now);
  }
}

/** The PPTP server side. */
export class PptpService {
  /** controlDestroyed: connections reset because the peer did not close within CONTROL_CLOSE_GRACE_MS. */
  readonly stats = { controlConnections: 0, callsUp: 0, controlDestroyed: 0 };
  readonly gre: GreEndpoint;
  private readonly conns = new Set<PptpConnection>();
  /** Every accepted socket until it is closed, ended connections in their grace period included. */
  private readonly sockets = new Set<Socket>();
  private readonly servers: Server[] = [];
  private readonly callIds: CallIdPool;
  private readonly log: Logger;

  constructor(
    readonly ctx: ServerContext,
    socket: GreSocketLike,
  ) {
    this.callIds = new CallIdPool(ctx.rng);
    this.log = ctx.log.child({ proto: 'pptp' });
    this.gre = new GreEndpoint(ctx, socket, this.log);
  }

  /** Live calls. */
  get linkCount(): number {
    return this.gre.size;
  }

  /** Every live link. */
  links(): PppLink[] {
    return this.gre.allCalls().map((c) => c.link);
  }

  /** Listens on every configured address; resolves with what it bound. */
  async listen(): Promise<{ address: string; port: number }[]> {
    const { addresses, port } = this.ctx.config.listen.pptp;
    const bound: { address: string; port: number }[] = [];
    for (const address of addresses) {
      const server = createServer((socket) => {
        if (this.refused(socket)) return;
        this.sockets.add(socket);
        socket.once('close', () => this.sockets.delete(socket));
        this.conns.add(new PptpConnection(this, socket, this.callIds));
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: address, port }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      server.on('error', (err) => this.log.error('listen-error', `PPTP listener error: ${err.message}`));
      const a = server.address();
      bound.push({ address, port: typeof a === 'object' && a ? a.port : port });
      this.servers.push(server);
    }
    return bound;
  }

  /** Hostile-peer limits (guard.ts): true when the connection was refused and reset. */
  private refused(socket: Socket): boolean {
    const address = (socket.remoteAddress ?? '0.0.0.0').replace(/^::ffff:/, '');
    const why = guardOf(this.ctx).admit(address, this.ctx.clock.now());
    if (why === undefined) return false;
    this.log.debug('limit', `control connection from ${address} refused: ${why}`);
    socket.on('error', () => undefined);
    socket.destroy();
    return true;
  }

  /** @internal */
  connectionEnded(c: PptpConnection): void {
    this.conns.delete(c);
    this.ctx.scheduler.delete(c);
  }

  /** Sends batched GRE and TUN packets. */
  flush(): void {
    this.gre.flush();
    this.ctx.tun.flush();
  }

  /**
   * Graceful stop: LCP Terminate-Request on every link, Stop-Control-
   * Connection-Request on every connection, then the sockets close.
   */
  async stop(graceMs = 1500): Promise<void> {
    for (const s of this.servers) s.close();
    await gracefulStop(
      {
        closeLinks: () => {
          const now = this.ctx.clock.now();
          for (const call of this.gre.allCalls()) call.link.close('server shutting down', now);
          this.flush();
        },
        stopControl: () => {
          for (const c of [...this.conns]) c.handle({ type: 'stop' }, this.ctx.clock.now());
        },
        pending: () => this.conns.size > 0,
      },
      graceMs,
    );
    for (const s of [...this.sockets]) s.destroy();
  }
}
