/**
 * The RADIUS client on UDP: one pure client machine (src/radius/client.ts:
 * Identifiers, retransmission, failover, answer verification) behind one
 * socket per address family, for the authentication or the accounting port
 * of every server. Its retransmission deadline lives on the scheduler.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import type { Rng } from '../../core/rng.js';
import type { Clock } from '../../io/clock.js';
import type { Logger } from '../../log/logger.js';
import { RadiusClient, type RadiusClientInput, type RadiusClientOutput, type RadiusServerCounters } from '../../radius/client.js';
import type { RADIUS_CODE, RadiusAttribute, RadiusPacket } from '../../radius/codec.js';
import { Scheduler } from '../scheduler.js';

/** An answer from a server. */
export interface RadiusAnswer {
  packet: RadiusPacket;
  requestAuthenticator: Uint8Array;
  secret: Uint8Array | string;
  server: number;
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
  private readonly scheduler: Scheduler;
  /** The scheduler is this client's own (stopped on close). */
  private readonly ownScheduler: boolean;
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
    /** Where the retransmission deadline is kept (the server's; a private one by default). */
    scheduler?: Scheduler,
  ) {
    this.scheduler = scheduler ?? new Scheduler(clock);
    this.ownScheduler = scheduler === undefined;
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
    this.scheduler.delete(this);
    if (this.ownScheduler) this.scheduler.stop();
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
    this.scheduler.set(this, this.machine.nextDeadline(), (now) => this.apply(this.machine.handle({ type: 'timeout' }, now)));
  }
}

/** A request too large for RADIUS (an attribute over 253 octets, a packet over 4096): nothing was sent. */
export class RadiusRequestRefused extends Error {
  constructor(readonly problem: string) {
    super(`RADIUS request not sent: ${problem}`);
  }
}

/** Same address, IPv4 or its IPv4-mapped IPv6 form. */
export function sameAddress(a: string, b: string): boolean {
  return a === b || `::ffff:${a}` === b || a === `::ffff:${b}`;
}
