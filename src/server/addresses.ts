/**
 * Client addresses: the pools from the configuration, per-user fixed
 * addresses from chap-secrets (the IP column), and the map from an assigned
 * address to the link that owns it (the TUN side routes by it).
 */
import { AddressPool } from '../config/pool.js';
import { fixedAddress, lookupSecret, type ChapSecret } from '../config/chap-secrets.js';
import { formatIpv4, parseIpv4 } from '../config/ipv4.js';
import type { Config } from '../config/schema.js';

/** Who owns an address. */
export interface AddressOwner {
  readonly id: number;
}

/** One pool with its server-side address. */
interface NamedPool {
  name: string;
  local: string;
  pool: AddressPool;
  protocols: readonly string[];
}

/** Address allocation and the address → link table. */
export class AddressBook<T extends AddressOwner = AddressOwner> {
  private readonly pools: NamedPool[];
  private readonly owners = new Map<number, T>();
  /** Told when an address gets its first owner ('up') and loses its last ('down'): the host route (peer-routes.ts). */
  onPeer: ((op: 'up' | 'down', address: string) => void) | undefined;

  constructor(
    config: Config,
    private secrets: readonly ChapSecret[],
    private serverName: string,
  ) {
    this.pools = config.pools.map((p) => ({
      name: p.name,
      local: p.local,
      pool: AddressPool.fromSpecs(p.ranges, [parseIpv4(p.local)!]),
      protocols: p.protocols,
    }));
  }

  /** New chap-secrets (reload): fixed addresses for the next allocations; addresses in use stay. */
  setSecrets(secrets: readonly ChapSecret[], serverName: string): void {
    this.secrets = secrets;
    this.serverName = serverName;
  }

  /** The server's tunnel address for `proto` (the first pool that serves it). */
  localAddress(proto: 'pptp' | 'l2tp'): string | undefined {
    return this.pools.find((p) => p.protocols.includes(proto))?.local;
  }

  /** True when a pool named `name` serves `proto`. */
  hasPool(proto: 'pptp' | 'l2tp', name: string): boolean {
    return this.pools.some((p) => p.name === name && p.protocols.includes(proto));
  }

  /** Free addresses across the pools for `proto`. */
  available(proto: 'pptp' | 'l2tp'): number {
    return this.pools.filter((p) => p.protocols.includes(proto)).reduce((n, p) => n + p.pool.available, 0);
  }

  /**
   * An address for `user` over `proto`: the fixed one from chap-secrets when
   * it names one (and it is free), else the next free pool address; only
   * from the pool named `poolName` when given (RADIUS Framed-Pool).
   */
  allocate(proto: 'pptp' | 'l2tp', user: string | undefined, poolName?: string): string | undefined {
    const pools = this.pools.filter((p) => p.protocols.includes(proto) && (poolName === undefined || p.name === poolName));
    if (user !== undefined) {
      const s = lookupSecret(this.secrets, user, this.serverName);
      const fixed = s ? fixedAddress(s.addresses) : undefined;
      if (fixed !== undefined) {
        const a = parseIpv4(fixed)!;
        // Reserved in whichever pool holds it (any protocol's), so no pool hands it out again;
        // with a Framed-Pool, a fixed address outside that pool is not given.
        const owning = this.pools.find((p) => p.pool.contains(a));
        if (owning) return (poolName === undefined || owning.name === poolName) && owning.pool.reserve(a) ? fixed : undefined;
        if (poolName !== undefined) return undefined;
        return this.owners.has(a) ? undefined : fixed; // outside every pool: only unique use is enforced
      }
    }
    for (const p of pools) {
      const a = p.pool.allocate();
      if (a !== undefined) return formatIpv4(a);
    }
    return undefined;
  }

  /**
   * A specific address for a link (RADIUS Framed-IP-Address): reserved in the
   * pool that holds it, or used as is outside every pool when no link owns it.
   * Undefined when it is taken.
   */
  allocateAddress(proto: 'pptp' | 'l2tp', address: string): string | undefined {
    const a = parseIpv4(address);
    if (a === undefined) return undefined;
    const owning = this.pools.filter((p) => p.protocols.includes(proto)).find((p) => p.pool.contains(a));
    if (owning) return owning.pool.reserve(a) ? address : undefined;
    return this.owners.has(a) ? undefined : address;
  }

  /** Whether the IPv4 address `a` (u32) lies in one of the pools. */
  inPool(a: number): boolean {
    return this.pools.some((p) => p.pool.contains(a));
  }

  /** Returns `address` to its pool. */
  release(address: string): void {
    const a = parseIpv4(address);
    if (a === undefined) return;
    for (const p of this.pools) if (p.pool.contains(a)) p.pool.release(a);
  }

  /** Records that `owner` now uses `address` (after IPCP). */
  claim(address: string, owner: T): void {
    const a = parseIpv4(address);
    if (a === undefined) return;
    const fresh = !this.owners.has(a);
    this.owners.set(a, owner);
    if (fresh) this.onPeer?.('up', address);
  }

  /** Forgets `address` if `owner` holds it. */
  unclaim(address: string, owner: T): void {
    const a = parseIpv4(address);
    if (a !== undefined && this.owners.get(a) === owner) {
      this.owners.delete(a);
      this.onPeer?.('down', address);
    }
  }

  /** The link that owns the IPv4 address `a` (u32), for routing TUN packets. */
  ownerOf(a: number): T | undefined {
    return this.owners.get(a);
  }

  /** Addresses in use. */
  get claimed(): number {
    return this.owners.size;
  }
}
