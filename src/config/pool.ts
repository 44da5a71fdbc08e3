/**
 * An IPv4 address pool for client addresses, built from pptpd/xl2tpd/tunppp
 * ranges. Pure: no I/O, no clock, no randomness.
 *
 * Allocation walks the pool round-robin from just after the last address
 * handed out, so an address released a moment ago is not reused at once
 * (stale ARP/conntrack entries and late packets of the old session then do not
 * reach the new client). `reserve` takes a specific address, for users with a
 * fixed address in chap-secrets.
 */
import { LocalUsageError } from '../core/errors.js';
import { formatIpv4, parsePptpdRange, parseRangeSpec, rangeSize, type Ipv4Range } from './ipv4.js';

/** Client address pool. */
export class AddressPool {
  /** Sorted, non-overlapping ranges. */
  readonly ranges: readonly Ipv4Range[];
  private readonly starts: number[] = [];
  private readonly excluded: ReadonlySet<number>;
  private readonly inUse = new Set<number>();
  private readonly total: number;
  private next = 0;

  /** `exclude`: addresses inside the ranges that must never be handed out (the server's own). */
  constructor(ranges: readonly Ipv4Range[], exclude: readonly number[] = []) {
    const sorted = [...ranges].map((r) => ({ ...r })).sort((a, b) => a.start - b.start);
    const merged: Ipv4Range[] = [];
    for (const r of sorted) {
      if (r.end < r.start) throw new LocalUsageError(`range ${formatIpv4(r.start)}-${formatIpv4(r.end)} runs backwards`);
      const last = merged[merged.length - 1];
      if (last && r.start <= last.end + 1) last.end = Math.max(last.end, r.end);
      else merged.push(r);
    }
    this.ranges = merged;
    let n = 0;
    for (const r of merged) {
      this.starts.push(n);
      n += rangeSize(r);
    }
    this.total = n;
    this.excluded = new Set(exclude.filter((a) => this.contains(a)));
  }

  /** A pool from range strings (`a.b.c.d`, `a.b.c.d-e.f.g.h`, `a.b.c.d-h`, CIDR). */
  static fromSpecs(specs: readonly string[], exclude: readonly number[] = []): AddressPool {
    const ranges = specs.map((s) => {
      const r = parseRangeSpec(s);
      if (typeof r === 'string') throw new LocalUsageError(r);
      return r;
    });
    return new AddressPool(ranges, exclude);
  }

  /** A pool from a pptpd address list (`192.168.0.234-238,192.168.0.245`). */
  static fromPptpdList(list: string, exclude: readonly number[] = []): AddressPool {
    const ranges: Ipv4Range[] = [];
    for (const item of list.split(',')) {
      const r = parsePptpdRange(item.trim());
      if (typeof r === 'string') throw new LocalUsageError(r);
      ranges.push(...r);
    }
    return new AddressPool(ranges, exclude);
  }

  /** Addresses the pool can hand out (excluded ones not counted). */
  get size(): number {
    return this.total - this.excluded.size;
  }

  /** Addresses free right now. */
  get available(): number {
    return this.size - this.inUse.size;
  }

  /** Whether `addr` lies in one of the ranges. */
  contains(addr: number): boolean {
    return this.indexOf(addr) !== undefined;
  }

  /** Whether `addr` is handed out. */
  isInUse(addr: number): boolean {
    return this.inUse.has(addr);
  }

  /**
   * Hands out a free address: `preferred` if it is in the pool and free,
   * otherwise the next free one round-robin. `undefined` when the pool is full.
   */
  allocate(preferred?: number): number | undefined {
    if (preferred !== undefined && this.reserve(preferred)) return preferred;
    if (this.available <= 0) return undefined;
    for (let k = 0; k < this.total; k++) {
      const idx = (this.next + k) % this.total;
      const addr = this.addressAt(idx);
      if (!this.inUse.has(addr) && !this.excluded.has(addr)) {
        this.inUse.add(addr);
        this.next = (idx + 1) % this.total;
        return addr;
      }
    }
    return undefined;
  }

  /** Takes `addr` if it is in the pool, not excluded and free. */
  reserve(addr: number): boolean {
    if (!this.contains(addr) || this.excluded.has(addr) || this.inUse.has(addr)) return false;
    this.inUse.add(addr);
    return true;
  }

  /** Gives `addr` back; false if it was not handed out. */
  release(addr: number): boolean {
    return this.inUse.delete(addr);
  }

  private addressAt(idx: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= idx) lo = mid;
      else hi = mid - 1;
    }
    return this.ranges[lo]!.start + (idx - this.starts[lo]!);
  }

  private indexOf(addr: number): number | undefined {
    let lo = 0;
    let hi = this.ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = this.ranges[mid]!;
      if (addr < r.start) hi = mid - 1;
      else if (addr > r.end) lo = mid + 1;
      else return this.starts[mid]! + (addr - r.start);
    }
    return undefined;
  }
}
