/**
 * `tunppp serve` as a library: builds the shared context (timers, auth,
 * addresses, TUN) and starts the transports. The CLI (src/cli/serve.ts)
 * loads the configuration and handles signals; tests start servers in their
 * own network namespaces through `startServer`.
 */
import { lookupSecret } from '../config/chap-secrets.js';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import type { LoadedConfig } from '../config/load.js';
import { effectivePppSizes } from '../config/schema.js';
import { ConfigError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import { monotonicClock, type Clock } from '../io/clock.js';
import { openGreSocket, type GreSocket } from '../io/gre-socket.js';
import { cryptoRng } from '../io/rng.js';
import { openDataPlaneTun, type Tun } from '../io/tun.js';
import type { Logger } from '../log/logger.js';
import { secretBackend } from '../ppp/auth/verify.js';
import type { AuthBackend } from '../ppp/auth/types.js';
import { AddressBook } from './addresses.js';
import type { ServerContext } from './context.js';
import type { PppLink } from './link.js';
import { PptpService } from './pptp-service.js';
import { RadiusService, resolveRadiusServers } from './radius/index.js';
import { L2tpService } from './l2tp-service.js';
import { Scheduler } from './scheduler.js';
import { newServerStats } from './stats.js';
import { TunSide } from './tun-side.js';
import { linkLocalAddresser } from '../io/ip6-address.js';
import { asPortInUse } from '../io/port-in-use.js';
import { startIpBatch } from '../io/ip-batch.js';
import { lanPoolProblem, localSubnets, poolOverlaps, type PoolOverlap } from './lan-subnets.js';
import { PeerRoutes } from './peer-routes.js';
import { nativeMppePrimitives } from '../io/native-crypto.js';

/** Options beyond the configuration. */
export interface StartOptions {
  log: Logger;
  clock?: Clock;
  rng?: Rng;
  /** Replaces the chap-secrets backend (RADIUS later). */
  backend?: AuthBackend;
}

/** A running server. */
export interface RunningServer {
  ctx: ServerContext;
  pptp: PptpService | undefined;
  l2tp: L2tpService | undefined;
  tun: Tun;
  /** RADIUS (auth, accounting, Disconnect-Request) when the configuration uses it. */
  radius: RadiusService | undefined;
  /** Host routes and proxy ARP entries of the live peers. */
  peerRoutes: PeerRoutes;
  /** Where each service listens. */
  listening: { proto: 'pptp' | 'l2tp'; address: string; port: number }[];
  /** Every live link. */
  links(): PppLink[];
  /** Graceful stop: clients are told (LCP Terminate, Call-Clear, Stop-Control-Connection). */
  stop(): Promise<void>;
  /** Sends what links queued (GRE and TUN batches), after acting on a link outside an I/O event (API kick). */
  flush(): void;
  /**
   * Applies a re-read configuration and chap-secrets to new sessions (SIGHUP,
   * POST /reload); live links keep what they negotiated. Listeners, pools and
   * the TUN device stay as started: changing them needs a restart.
   */
  reload(next: LoadedConfig): void;
}

/**
 * pppd's proxy ARP only answers with forwarding on the LAN interface (the
 * kernel's arp_process checks it); pppd leaves that to the admin, so do we,
 * loudly. A proxyarp pool outside every LAN subnet gets no entries (pppd:
 * "Cannot determine ethernet address for proxy ARP").
 */
function warnProxyArp(proxyArp: boolean, overlaps: readonly PoolOverlap[], log: Logger): void {
  if (!proxyArp) return;
  if (overlaps.length === 0) {
    log.warn('proxyarp', 'proxyarp: the pool is in no local LAN subnet, so no proxy ARP entries are made (as pppd); route the pool to this host instead');
    return;
  }
  for (const iface of new Set(overlaps.map((o) => o.subnet.iface))) {
    let on = '';
    try {
      on = readFileSync(`/proc/sys/net/ipv4/conf/${iface}/forwarding`, 'utf8').trim();
    } catch {
      continue;
    }
    if (on === '0') log.warn('proxyarp', `proxyarp: IPv4 forwarding is off on ${iface}, so the kernel neither answers ARP for the clients nor forwards to them; turn it on: sysctl -w net.ipv4.ip_forward=1 (persist it in /etc/sysctl.d/)`);
  }
}

/** Starts the configured services. Throws VpnError subclasses with a fix. */
export async function startServer(loaded: LoadedConfig, opts: StartOptions): Promise<RunningServer> {
  const { config, secrets } = loaded;
  const clock = opts.clock ?? monotonicClock;
  const rng = opts.rng ?? cryptoRng;
  const log = opts.log;
  const pool = config.pools[0];
  if (!pool) {
    throw new ConfigError('CONFIG_VALUE', 'no address pool is configured', { file: loaded.sources[0] ?? '(config)' }, 'add "pools": [{"local": "192.168.99.1", "ranges": ["192.168.99.10-192.168.99.250"]}] (or localip/remoteip in pptpd.conf)');
  }
  // pppd's layout: the TUN holds the server address alone (/32), each peer gets a /32 route when
  // its link is up, and a pool inside a LAN subnet needs proxyarp (lan-subnets.ts, peer-routes.ts).
  const subnets = localSubnets(networkInterfaces(), config.tun.name);
  const overlaps = poolOverlaps(config.pools, subnets);
  const problem = lanPoolProblem(overlaps, config.ppp.proxyArp);
  if (problem) throw new ConfigError('CONFIG_VALUE', problem.message, { file: loaded.sources[0] ?? '(config)' }, problem.fix);
  warnProxyArp(config.ppp.proxyArp, overlaps, log);
  const tunMtu = Math.max(
    ...(['pptp', 'l2tp'] as const).map((p) => {
      const s = effectivePppSizes(config, p);
      return Math.min(s.mtu, s.mru);
    }),
  );
  const scheduler = new Scheduler(clock);
  const addresses = new AddressBook<PppLink>(config, secrets, config.ppp.name);
  // RADIUS (auth.backends, accounting, Disconnect-Request) wraps chap-secrets in one chained backend.
  const radius = !opts.backend && RadiusService.wanted(config) ? new RadiusService(config, secrets, await resolveRadiusServers(config), clock, rng, log, scheduler) : undefined;
  await radius?.start();
  const backend = opts.backend ?? radius ?? secretBackend((user, server) => lookupSecret(secrets, user, server)?.secret);
  let linkIds = 0;
  const tun = openDataPlaneTun({ name: config.tun.name, mtu: tunMtu, address: pool.local, prefix: 32 });
  const peerRoutes = new PeerRoutes(
    startIpBatch((why) => log.error('peer-route', `${why}: routes and proxy ARP entries of new sessions can no longer be set; restart tunppp`)),
    tun.name,
    config.ppp.proxyArp ? [...new Set(overlaps.map((o) => o.subnet))] : undefined,
    log,
  );
  addresses.onPeer = (op, address) => (op === 'up' ? peerRoutes.up(address) : peerRoutes.down(address));
  if (config.ppp.proxyArp && overlaps.length) {
    const listing = spawnSync('ip', ['-4', 'neigh', 'show', 'proxy'], { encoding: 'utf8', timeout: 5000 });
    if (listing.status === 0) peerRoutes.clearStale(listing.stdout, (a) => addresses.inPool(a));
  }
  const flushers: (() => void)[] = [];
  const flushAll = (): void => {
    for (const f of flushers) f();
  };
  const tunSide = new TunSide(addresses, clock, flushAll);
  tunSide.onLinkLocal = linkLocalAddresser(log);
  tunSide.onWritableAgain = () => void peerRoutes.restore();
  tunSide.attach(tun);
  const ctx: ServerContext = {
    config,
    secrets,
    clock,
    rng,
    log,
    scheduler,
    backend,
    addresses,
    tun: tunSide,
    stats: newServerStats(),
    nextLinkId: () => ++linkIds,
  };
  const primitives = nativeMppePrimitives();
  if (primitives) ctx.mppePrimitives = primitives;
  if (radius) ctx.observers = [radius];
  scheduler.afterFire = () => {
    flushAll();
    tunSide.flush();
  };
  const listening: RunningServer['listening'] = [];
  let pptp: PptpService | undefined;
  let gre: GreSocket | undefined;
  let l2tp: L2tpService | undefined;
  let binding: 'tcp' | 'udp' = 'tcp';
  try {
    if (config.listen.pptp.enabled) {
      gre = openGreSocket({ pmtuDiscovery: 'do' });
      pptp = new PptpService(ctx, gre);
      const svc = pptp;
      flushers.push(() => svc.flush());
      for (const l of await svc.listen()) listening.push({ proto: 'pptp', ...l });
    }
    if (config.listen.l2tp.enabled) {
      binding = 'udp';
      l2tp = new L2tpService(ctx);
      for (const l of await l2tp.listen()) listening.push({ proto: 'l2tp', ...l });
    }
  } catch (err) {
    for (const p of l2tp?.ports ?? []) p.close();
    await pptp?.stop(0);
    gre?.close();
    tun.close();
    await peerRoutes.close();
    await radius?.stop();
    const l = binding === 'tcp' ? config.listen.pptp : config.listen.l2tp;
    throw asPortInUse(err, binding, { address: l.addresses.join(', '), port: l.port }) ?? err;
  }
  log.info('serve-start', `tunppp serving on ${listening.map((l) => `${l.proto} ${l.address}:${l.port}`).join(', ')}; TUN ${tun.name} ${pool.local}/32 MTU ${tunMtu}${config.ppp.proxyArp && overlaps.length ? `, proxy ARP on ${[...new Set(overlaps.map((o) => o.subnet.iface))].join(', ')}` : ''}`, { tun: tun.name });
  return {
    ctx,
    pptp,
    l2tp,
    tun,
    radius,
    peerRoutes,
    listening,
    links: () => [...(pptp?.links() ?? []), ...(l2tp?.links() ?? [])],
    flush() {
      flushAll();
      tunSide.flush();
    },
    reload(next) {
      ctx.config = { ...next.config, listen: ctx.config.listen, pools: ctx.config.pools, tun: ctx.config.tun };
      ctx.secrets = next.secrets;
      if (radius) radius.reload(next.config, next.secrets);
      else if (!opts.backend) ctx.backend = secretBackend((user, server) => lookupSecret(next.secrets, user, server)?.secret);
      addresses.setSecrets(next.secrets, next.config.ppp.name);
    },
    async stop() {
      await Promise.all([pptp?.stop(), l2tp?.stop()]);
      await radius?.stop();
      scheduler.stop();
      gre?.close();
      tun.close();
      await peerRoutes.close();
      log.info('serve-stop', 'tunppp stopped');
    },
  };
}
