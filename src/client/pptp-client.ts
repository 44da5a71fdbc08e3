/**
 * `tunppp connect pptp://…` as a library: one PPTP control connection, one
 * call, one PppLink in the client role, and a TUN device configured once IPCP
 * gives us an address. Uses the same GRE endpoint, link and TUN side as the
 * server, so both ends share one data path.
 */
import { lookup } from 'node:dns/promises';
import { connect as tcpConnect, type Socket } from 'node:net';
import type { Millis } from '../core/machine.js';
import { IoError, UsageError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import { defaultConfig } from '../config/schema.js';
import { parseIpv4 } from '../config/ipv4.js';
import { monotonicClock, type Clock } from '../io/clock.js';
import { openGreSocket, type GreSocket } from '../io/gre-socket.js';
import { cryptoRng } from '../io/rng.js';
import { openTun, type Tun } from '../io/tun.js';
import type { Logger } from '../log/logger.js';
import type { AuthProtocol } from '../ppp/auth/types.js';
import type { MppeStrength } from '../ppp/mppe/options.js';
import { PptpControl, type ControlInput } from '../pptp/control-fsm.js';
import { AddressBook } from '../server/addresses.js';
import type { ServerContext } from '../server/context.js';
import { GreEndpoint } from '../server/gre-endpoint.js';
import { PppLink } from '../server/link.js';
import { Scheduler } from '../server/scheduler.js';
import { newServerStats } from '../server/stats.js';
import { TunSide } from '../server/tun-side.js';
import { addRoutes, type RouteHandle } from './routes.js';

/** What to connect to and how. */
export interface PptpClientOptions {
  host: string;
  port?: number;
  username: string;
  password: string;
  /** MPPE: require (default), allow, refuse. */
  mppe?: 'require' | 'allow' | 'refuse';
  mppeStrengths?: MppeStrength[];
  /** Accept stateful MPPE if the server insists (default false, like pppd's nomppe-stateful). */
  mppeStateful?: boolean;
  /** Auth protocols we agree to, most preferred first. */
  accept?: AuthProtocol[];
  /** Route everything through the tunnel (0.0.0.0/1 + 128.0.0.0/1, keeping a host route to the server). */
  defaultRoute?: boolean;
  /** Prefixes (CIDR) to route through the tunnel. */
  routes?: string[];
  /** Cap on the link MTU (default: from the path, as the server does). */
  mtu?: number;
  /** TUN interface name (default tunppp-c%d). */
  tunName?: string;
  keepaliveS?: number;
  log: Logger;
  clock?: Clock;
  rng?: Rng;
}

/** What IPCP gave us. */
export interface ClientInfo {
  localAddress: string;
  peerAddress: string;
  dns: string[];
  mtu: number;
  tun: string;
  mppe: string | undefined;
}

/** A connected client. */
export interface RunningClient {
  info: ClientInfo;
  link: PppLink;
  /** Resolves with the reason when the link goes down. */
  closed: Promise<string>;
  /** Tells the server (LCP Terminate, Call-Clear, Stop-Control-Connection) and cleans up. */
  stop(reason?: string): Promise<void>;
}

/** Connects; resolves once the link is up (or rejects with the reason it failed). */
export async function connectPptp(opts: PptpClientOptions): Promise<RunningClient> {
  const clock = opts.clock ?? monotonicClock;
  const rng = opts.rng ?? cryptoRng;
  const log = opts.log.child({ proto: 'pptp' });
  let serverAddr = opts.host;
  if (parseIpv4(serverAddr) === undefined) {
    try {
      serverAddr = (await lookup(opts.host, { family: 4 })).address;
    } catch (err) {
      throw new UsageError(`cannot resolve '${opts.host}': ${(err as Error).message}`, 'give the server as an IPv4 address or a resolvable name');
    }
  }
  const serverU32 = parseIpv4(serverAddr)!;
  const config = defaultConfig();
  config.clientIsolation = false;
  const scheduler = new Scheduler(clock);
  let link: PppLink | undefined;
  const tunSide = new TunSide({ ownerOf: () => link }, clock, () => gre?.flush());
  const ctx: ServerContext = {
    config,
    secrets: [],
    clock,
    rng,
    log,
    scheduler,
    backend: { verify: () => ({ ok: false }) },
    addresses: new AddressBook(config, [], 'client'),
    tun: tunSide,
    stats: newServerStats(),
    nextLinkId: () => 1,
  };
  const socket = openGreSocket({ pmtuDiscovery: 'do' });
  const gre: GreEndpoint | undefined = new GreEndpoint(ctx, socket as GreSocket, log);
  scheduler.afterFire = () => {
    gre.flush();
    tunSide.flush();
  };
  const control = new PptpControl({ role: 'client', rng, hostName: 'tunppp', vendorName: 'tunppp' });
  // Connects on the next tick; the handlers are attached below, before any event can fire.
  const tcp: Socket = tcpConnect({ host: serverAddr, port: opts.port ?? 1723 });
  let tun: Tun | undefined;
  let routes: RouteHandle | undefined;
  let resolveUp!: (c: ClientInfo) => void;
  let rejectUp!: (e: Error) => void;
  const up = new Promise<ClientInfo>((res, rej) => ((resolveUp = res), (rejectUp = rej)));
  let resolveClosed!: (r: string) => void;
  const closed = new Promise<string>((res) => (resolveClosed = res));
  let finished = false;
  /** The first reason the link or the connection ended: what the user is told. */
  let endReason: string | undefined;

  const cleanup = async (why: string): Promise<void> => {
    let reason = why;
    if (finished) return;
    finished = true;
    reason = endReason ?? reason;
    scheduler.stop();
    await routes?.remove().catch(() => {});
    tun?.close();
    socket.close();
    if (!tcp.destroyed) tcp.destroy();
    rejectUp(new IoError('CONNECT_FAILED', reason));
    resolveClosed(reason);
  };

  const handle = (input: ControlInput, now: Millis): void => {
    for (const o of control.handle(input, now)) {
      if (o.kind === 'send') {
        if (!tcp.destroyed) tcp.write(o.bytes);
      } else if (o.kind === 'drop') log.debug('pptp-drop', `control message dropped: ${o.reason}`);
      else {
        const e = o.event;
        if (e.type === 'control-up') {
          log.info('control-up', `control connection to ${serverAddr} up (server ${e.peer.hostName || '?'} / ${e.peer.vendorName || '?'})`);
          handle({ type: 'open-call' }, now);
        } else if (e.type === 'call-up') {
          const call = gre.open(serverU32, e.callId, e.peerCallId, e.peerRecvWindow);
          call.onClose = (t) => handle({ type: 'close-call', callId: e.callId }, t);
          const strengths = opts.mppe === 'refuse' ? [] : (opts.mppeStrengths ?? [128, 56, 40]);
          const l = new PppLink(ctx, call, {
            role: 'client',
            auth: { accept: opts.accept ?? ['mschap-v2', 'mschap-v1', 'chap-md5'], username: opts.username, password: opts.password },
            mppe: { strengths, required: (opts.mppe ?? 'require') === 'require', allowStateful: opts.mppeStateful ?? false },
            ipv4: true,
            ipv6: false,
            requestDns: true,
            echoIntervalMs: (opts.keepaliveS ?? 30) * 1000,
            ...(opts.mtu ? { mtu: opts.mtu, mru: opts.mtu } : {}),
          });
          call.link = l;
          link = l;
          l.onUp = () => {
            void onLinkUp(l);
          };
          l.onEnded = (reason) => {
            endReason ??= reason;
            handle({ type: 'stop' }, clock.now());
            setTimeout(() => void cleanup(reason), 200);
          };
          l.start(now);
        } else if (e.type === 'call-down') {
          link?.lowerDown(`call cleared by the server (${e.reason}${e.resultCode !== undefined ? `, result ${e.resultCode}` : ''})`, now);
          if (!link) void cleanup(`call refused by the server (${e.reason}${e.resultCode !== undefined ? `, result ${e.resultCode}` : ''})`);
        } else if (e.type === 'control-down') {
          link?.lowerDown(`control connection closed (${e.reason})`, now);
          void cleanup(`control connection closed (${e.reason}${e.detail ? `: ${e.detail}` : ''})`);
        }
      }
    }
    scheduler.set(control, finished ? undefined : control.nextDeadline(), (t) => handle({ type: 'timeout' }, t));
    gre.flush();
  };

  const onLinkUp = async (l: PppLink): Promise<void> => {
    try {
      tun = openTun({ name: opts.tunName ?? 'tunppp-c%d', mtu: l.mtu, address: l.localIp!, peer: l.peerIp! });
      tunSide.attach(tun);
      routes = await addRoutes({ tun: tun.name, server: serverAddr, defaultRoute: opts.defaultRoute ?? false, prefixes: opts.routes ?? [] });
      const info: ClientInfo = { localAddress: l.localIp!, peerAddress: l.peerIp!, dns: l.dns, mtu: l.mtu, tun: tun.name, mppe: l.mppe };
      log.info('connected', `connected: local IP address ${info.localAddress}, remote IP address ${info.peerAddress}, DNS ${info.dns.join(' ') || 'none'}, MTU ${info.mtu}, ${tun.name}`);
      resolveUp(info);
    } catch (err) {
      l.close(`client setup failed: ${(err as Error).message}`, clock.now());
      rejectUp(err as Error);
    }
  };

  tcp.setNoDelay(true);
  tcp.on('connect', () => handle({ type: 'tcp-open' }, clock.now()));
  tcp.on('data', (b: Buffer) => handle({ type: 'data', bytes: b }, clock.now()));
  tcp.on('error', (err) => {
    log.warn('tcp-error', `control connection to ${serverAddr}:${opts.port ?? 1723}: ${err.message}`);
    void cleanup(`cannot reach ${serverAddr}:${opts.port ?? 1723}: ${err.message}`);
  });
  tcp.on('close', () => handle({ type: 'tcp-closed' }, clock.now()));

  const info = await up;
  return {
    info,
    link: link!,
    closed,
    async stop(reason = 'user request') {
      if (finished) return;
      link?.close(reason, clock.now());
      gre.flush();
      await Promise.race([closed, new Promise((r) => setTimeout(r, 3000))]);
      await cleanup(reason);
    },
  };
}
