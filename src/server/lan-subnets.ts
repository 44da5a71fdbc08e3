/**
 * Client pools against the host's own subnets, the way pppd sees them.
 *
 * pppd gives each peer a host route through its ppp unit and, with
 * `proxyarp`, publishes the peer's address on the LAN interface whose subnet
 * holds it (sys-linux.c sifproxyarp/get_ether_addr), so a client from a LAN
 * pool looks like a LAN host. A pool inside a LAN subnet without `proxyarp`
 * gives clients addresses no LAN host can reach (they ARP on the wire and
 * nobody answers): refused here with the fix. Pure: the caller passes the
 * interfaces (os.networkInterfaces()).
 */
import type { NetworkInterfaceInfo } from 'node:os';
import { formatIpv4, formatRange, parseIpv4, parseRangeSpec, type Ipv4Range } from '../config/ipv4.js';

/** An IPv4 subnet configured on a local interface. */
export interface LocalSubnet {
  iface: string;
  /** The interface's address (u32). */
  address: number;
  prefix: number;
  /** Network and broadcast addresses. */
  range: Ipv4Range;
}

/**
 * The broadcast subnets of `interfaces` (os.networkInterfaces() shape):
 * IPv4, not loopback, prefix shorter than 31 (a /32 or /31 has no LAN behind
 * it), not on `exclude` (our own TUN).
 */
export function localSubnets(interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>, exclude?: string): LocalSubnet[] {
  const out: LocalSubnet[] = [];
  for (const [iface, infos] of Object.entries(interfaces)) {
    if (iface === exclude || !infos) continue;
    for (const i of infos) {
      if (i.family !== 'IPv4' || i.internal || !i.cidr) continue;
      const prefix = Number(i.cidr.split('/')[1]);
      const address = parseIpv4(i.address);
      if (address === undefined || !(prefix >= 1 && prefix <= 30)) continue;
      const mask = (~0 << (32 - prefix)) >>> 0;
      const start = (address & mask) >>> 0;
      out.push({ iface, address, prefix, range: { start, end: (start | ~mask) >>> 0 } });
    }
  }
  return out;
}

/** The most specific local subnet that holds `addr` (u32), if any. */
export function subnetHolding(addr: number, subnets: readonly LocalSubnet[]): LocalSubnet | undefined {
  let best: LocalSubnet | undefined;
  for (const s of subnets) if (addr >= s.range.start && addr <= s.range.end && (!best || s.prefix > best.prefix)) best = s;
  return best;
}

/** A pool range that lies (partly) in a local subnet. */
export interface PoolOverlap {
  pool: string;
  range: string;
  subnet: LocalSubnet;
}

/** The pool ranges that overlap a local subnet. */
export function poolOverlaps(pools: readonly { name: string; ranges: readonly string[] }[], subnets: readonly LocalSubnet[]): PoolOverlap[] {
  const out: PoolOverlap[] = [];
  for (const p of pools) {
    for (const spec of p.ranges) {
      const r = parseRangeSpec(spec);
      if (typeof r === 'string') continue;
      for (const s of subnets) if (r.start <= s.range.end && r.end >= s.range.start) out.push({ pool: p.name, range: formatRange(r), subnet: s });
    }
  }
  return out;
}

/** How a subnet reads in a message: "eth0 (192.168.0.10/24)". */
export function describeSubnet(s: LocalSubnet): string {
  return `${s.iface} (${formatIpv4(s.address)}/${s.prefix})`;
}

/**
 * Why the pools cannot be served as configured, or undefined: a pool inside a
 * LAN subnet needs `proxyarp`, as with pppd, or the clients are unreachable
 * from the LAN (and answers to them would leave by the LAN).
 */
export function lanPoolProblem(overlaps: readonly PoolOverlap[], proxyArp: boolean): { message: string; fix: string } | undefined {
  const o = overlaps[0];
  if (proxyArp || !o) return undefined;
  return {
    message: `client addresses ${o.range} (pool '${o.pool}') are inside the subnet of ${describeSubnet(o.subnet)}, and proxyarp is off: LAN hosts could not reach those clients`,
    fix: `add \`proxyarp\` to the pppd options file ("ppp": {"proxyArp": true} in tunppp.json) so clients appear on the LAN as with pppd, or give the clients a range outside every local subnet`,
  };
}
