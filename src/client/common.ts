/**
 * What `tunppp connect` does the same for PPTP and L2TP: resolve the server,
 * build the process context around one link, the client's PPP options, and
 * the TUN device plus routes once IPCP gave us an address.
 */
import { lookup } from 'node:dns/promises';
import { UsageError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import { defaultConfig } from '../config/schema.js';
import { parseIpv4 } from '../config/ipv4.js';
import { monotonicClock, type Clock } from '../io/clock.js';
import { cryptoRng } from '../io/rng.js';
import { openDataPlaneTun, type Tun } from '../io/tun.js';
import type { Logger } from '../log/logger.js';
import type { AuthProtocol } from '../ppp/auth/types.js';
import type { MppeStrength } from '../ppp/mppe/options.js';
import type { SessionOptions } from '../ppp/session.js';
import { bestTunnelMtu, type TunnelOptions } from '../mtu/overhead.js';
import { AddressBook } from '../server/addresses.js';
import type { ServerContext } from '../server/context.js';
import type { PppLink } from '../server/link.js';
import { Scheduler } from '../server/scheduler.js';
import { newServerStats } from '../server/stats.js';
import { TunSide } from '../server/tun-side.js';
import { addRoutes, type RouteHandle } from './routes.js';
import { linkLocalAddresser } from '../io/ip6-address.js';
import { nativeMppePrimitives } from '../io/native-crypto.js';

/** Options every client protocol takes. */
export interface CommonClientOptions {
  host: string;
  username: string;
  password: string;
  mppeStrengths?: MppeStrength[];
  /** Accept stateful MPPE if the server insists (default false, like pppd's nomppe-stateful). */
  mppeStateful?: boolean;
  /** Negotiate IPV6CP too (default false: IPV6CP is Protocol-Rejected). */
  ipv6?: boolean;
  /** Auth protocols we agree to, most preferred first. */
  accept?: AuthProtocol[];
  /** Route everything through the tunnel (0.0.0.0/1 + 128.0.0.0/1, keeping a host route to the server). */
  defaultRoute?: boolean;
  /** Prefixes (CIDR) to route through the tunnel. */
  routes?: string[];
  /** Cap on the link MTU. */
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
  /** Tells the server and cleans up. */
  stop(reason?: string): Promise<void>;
}

/** The server's IPv4 address: given, or looked up. */
export async function resolveServer(host: string): Promise<string> {
  const h = host.replace(/^\[|\]$/g, '');
  if (parseIpv4(h) !== undefined) return h;
  try {
    return (await lookup(h, { family: 4 })).address;
  } catch (err) {
    throw new UsageError(`cannot resolve '${host}': ${(err as Error).message}`, 'give the server as an IPv4 address or a resolvable name');
  }
}

/**
 * Waits for `p`, `ms` at most. The timer is cleared when `p` settles first: a
 * pending one holds the process open, and `tunppp connect` would linger that
 * long after Ctrl-C.
 */
export async function waitAtMost(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([p, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** The process context of a client: one link, everything from the TUN goes to it. */
export interface ClientRuntime {
  ctx: ServerContext;
  scheduler: Scheduler;
  tunSide: TunSide;
  /** The link the TUN side routes to (set once the call is up). */
  link: PppLink | undefined;
}

/** Builds the context a client's link runs in. `flush` sends the transport's batched packets. */
export function clientRuntime(opts: { log: Logger; clock?: Clock; rng?: Rng }, flush: () => void = () => {}): ClientRuntime {
  const clock = opts.clock ?? monotonicClock;
  const config = defaultConfig();
  config.clientIsolation = false;
  const scheduler = new Scheduler(clock);
  const rt: ClientRuntime = { ctx: undefined as unknown as ServerContext, scheduler, tunSide: undefined as unknown as TunSide, link: undefined };
  rt.tunSide = new TunSide({ ownerOf: () => rt.link }, clock, flush);
  rt.tunSide.onLinkLocal = linkLocalAddresser(opts.log);
  rt.ctx = {
    config,
    secrets: [],
    clock,
    rng: opts.rng ?? cryptoRng,
    log: opts.log,
    scheduler,
    backend: { verify: () => ({ ok: false }) },
    addresses: new AddressBook(config, [], 'client'),
    tun: rt.tunSide,
    stats: newServerStats(),
    nextLinkId: () => 1,
  };
  const primitives = nativeMppePrimitives();
  if (primitives) rt.ctx.mppePrimitives = primitives;
  scheduler.afterFire = () => {
    flush();
    rt.tunSide.flush();
  };
  return rt;
}

/**
 * The client role's PPP options. Without --mtu the MTU/MRU come from a
 * 1500-byte path less this transport's headers (src/mtu), as on the server,
 * so the first full-size packet does not need a path-MTU round trip.
 */
export function clientSessionOptions(opts: CommonClientOptions, mppe: 'require' | 'allow' | 'refuse', proto: 'pptp' | 'l2tp', outer?: Partial<TunnelOptions>): SessionOptions {
  const strengths = mppe === 'refuse' ? [] : (opts.mppeStrengths ?? [128, 56, 40]);
  // `outer`: headers around the datagrams (L2TP/IPsec: ESP in UDP 4500).
  const size = opts.mtu ?? bestTunnelMtu(1500, { proto, mppe: mppe !== 'refuse', ...outer }).pppMru;
  return {
    role: 'client',
    auth: { accept: opts.accept ?? ['mschap-v2', 'mschap-v1', 'chap-md5'], username: opts.username, password: opts.password },
    mppe: { strengths, required: mppe === 'require', allowStateful: opts.mppeStateful ?? false },
    ipv4: true,
    ipv6: opts.ipv6 ?? false,
    requestDns: true,
    echoIntervalMs: (opts.keepaliveS ?? 30) * 1000,
    mtu: size,
    mru: size,
  };
}

/** Opens the TUN for an up link and adds the routes; returns them with the info to print. */
export async function bringUpTun(
  l: PppLink,
  rt: ClientRuntime,
  opts: CommonClientOptions,
  serverAddr: string,
  withTun = true,
): Promise<{ tun: Tun | undefined; routes: RouteHandle | undefined; info: ClientInfo }> {
  let tun: Tun | undefined;
  let routes: RouteHandle | undefined;
  if (withTun) {
    tun = openDataPlaneTun({ name: opts.tunName ?? 'tunppp-c%d', mtu: l.mtu, address: l.localIp!, peer: l.peerIp! });
    rt.tunSide.attach(tun);
    try {
      routes = await addRoutes({ tun: tun.name, server: serverAddr, defaultRoute: opts.defaultRoute ?? false, prefixes: opts.routes ?? [] });
    } catch (err) {
      tun.close();
      throw err;
    }
  }
  const info: ClientInfo = { localAddress: l.localIp!, peerAddress: l.peerIp!, dns: l.dns, mtu: l.mtu, tun: tun?.name ?? '(none)', mppe: l.mppe };
  rt.ctx.log.info('connected', `connected: local IP address ${info.localAddress}, remote IP address ${info.peerAddress}, DNS ${info.dns.join(' ') || 'none'}, MTU ${info.mtu}, ${info.tun}`);
  return { tun, routes, info };
}
