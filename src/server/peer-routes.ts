/**
 * What pppd does to the host for each peer while its link is up: a /32 route
 * to the peer's address through the TUN device (pppd gets it from its
 * point-to-point unit), and with `proxyarp` a proxy neighbour entry for that
 * address on the LAN interface whose subnet holds it, so the host answers ARP
 * for the client. Both go when the session ends; the proxy entries left at
 * stop are removed then (the routes go with the device).
 *
 * The changes are lines to a long-lived `ip -batch` (io/ip-batch.ts): a
 * session costs a pipe write or two. Failures are logged, never thrown.
 */
import { parseIpv4 } from '../config/ipv4.js';
import type { IpBatch } from '../io/ip-batch.js';
import type { Logger } from '../log/logger.js';
import { subnetHolding, type LocalSubnet } from './lan-subnets.js';

/** Counters (read by metrics and tests). */
export interface PeerRouteStats {
  routesAdded: number;
  proxyArpAdded: number;
  /** Commands `ip` refused. */
  failed: number;
}

/** The host routes and proxy ARP entries of the live peers. */
export class PeerRoutes {
  readonly stats: PeerRouteStats = { routesAdded: 0, proxyArpAdded: 0, failed: 0 };
  /** Peer address → the interface its proxy entry is on. */
  private readonly proxied = new Map<string, string>();
  /** Addresses of the live peers (their routes are ours). */
  private readonly live = new Set<string>();

  constructor(
    private readonly batch: IpBatch,
    private readonly tunName: string,
    /** The LAN subnets proxy entries go on; undefined without `proxyarp`. */
    private readonly proxySubnets: readonly LocalSubnet[] | undefined,
    private readonly log: Logger,
  ) {}

  /** `address` (a dotted quad from IPCP) is now a peer's: route it, publish it. */
  up(address: string): void {
    const a = parseIpv4(address);
    if (a === undefined) return;
    this.live.add(address);
    this.stats.routesAdded++;
    this.batch.run(`route replace ${address}/32 dev ${this.tunName} scope link`, (why) => this.failed('warn', `cannot route ${address} through ${this.tunName}: ${why}; packets to this client do not reach it`));
    const lan = this.proxySubnets && subnetHolding(a, this.proxySubnets);
    if (!lan) return;
    this.stats.proxyArpAdded++;
    this.proxied.set(address, lan.iface);
    this.batch.run(`neigh replace proxy ${address} dev ${lan.iface}`, (why) => this.failed('warn', `cannot publish ${address} on ${lan.iface} (proxy ARP): ${why}; LAN hosts cannot reach this client`));
  }

  /** The peer at `address` is gone: take its route and proxy entry away. */
  down(address: string): void {
    if (parseIpv4(address) === undefined) return;
    this.live.delete(address);
    this.batch.run(`route del ${address}/32 dev ${this.tunName}`, (why) => this.failed('debug', `route del ${address}: ${why}`));
    const iface = this.proxied.get(address);
    if (iface === undefined) return;
    this.proxied.delete(address);
    this.batch.run(`neigh del proxy ${address} dev ${iface}`, (why) => this.failed('warn', `cannot remove the proxy ARP entry of ${address} on ${iface}: ${why}; remove it with \`ip neigh del proxy ${address} dev ${iface}\``));
  }

  /**
   * Sets every live peer's route again: the kernel deletes a device's routes
   * when it goes down, and nothing else brings them back when it comes up.
   */
  restore(): number {
    for (const address of this.live) {
      this.stats.routesAdded++;
      this.batch.run(`route replace ${address}/32 dev ${this.tunName} scope link`, (why) => this.failed('warn', `cannot route ${address} through ${this.tunName} again: ${why}; packets to this client do not reach it`));
    }
    if (this.live.size > 0) this.log.info('peer-route', `${this.tunName} takes packets again: ${this.live.size} peer route${this.live.size === 1 ? '' : 's'} set again`);
    return this.live.size;
  }

  /**
   * Removes proxy entries a killed server left behind: `listing` is the output
   * of `ip -4 neigh show proxy`; entries for `inPool` addresses on our LAN
   * interfaces are ours (nothing else publishes the pool), the rest stay.
   */
  clearStale(listing: string, inPool: (a: number) => boolean): number {
    if (!this.proxySubnets) return 0;
    const ifaces = new Set(this.proxySubnets.map((x) => x.iface));
    let n = 0;
    for (const line of listing.split('\n')) {
      const m = /^(\d+\.\d+\.\d+\.\d+) dev (\S+)/.exec(line);
      const a = m ? parseIpv4(m[1]!) : undefined;
      if (!m || a === undefined || !ifaces.has(m[2]!) || !inPool(a) || this.proxied.has(m[1]!)) continue;
      n++;
      this.batch.run(`neigh del proxy ${m[1]} dev ${m[2]}`, (why) => this.failed('debug', `stale proxy entry ${m[1]}: ${why}`));
    }
    if (n > 0) this.log.info('peer-route', `removed ${n} proxy ARP entr${n === 1 ? 'y' : 'ies'} for pool addresses left by an earlier run`);
    return n;
  }

  /** Proxy entries still published (for tests and the stop path). */
  get published(): ReadonlyMap<string, string> {
    return this.proxied;
  }

  /** Removes every proxy entry left and ends the `ip` child. */
  async close(): Promise<void> {
    for (const address of [...this.proxied.keys()]) this.down(address);
    await this.batch.close();
  }

  private failed(level: 'warn' | 'debug', line: string): void {
    this.stats.failed++;
    this.log[level]('peer-route', line);
  }
}
