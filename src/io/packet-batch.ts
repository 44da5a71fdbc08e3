/**
 * Preallocated packet batches shared with the native addon, so the data plane
 * moves packets without allocating (ARCHITECTURE.md "Rules").
 *
 * Every batch is a byte arena plus a Uint32Array of META_FIELDS words per
 * packet: [offset, length, peer address, flags/status, local address]. The addon reads into an
 * RxBatch and sends from a TxBatch; nothing is copied on the way.
 */
import { LocalUsageError } from '../core/errors.js';
import { FLAG_TRUNCATED, META_FIELDS, PORT_SHIFT } from './native.js';

/**
 * Packets received in one readable event. The object and its buffer are
 * reused for the next event: read or copy what you need inside the callback.
 */
export class RxBatch {
  /** The shared receive arena; packet i is data[offset(i), offset(i) + length(i)). */
  readonly data: Uint8Array;
  /** Per packet: offset, length, source address (u32, 0 for TUN), flags, local address. */
  readonly meta: Uint32Array;
  /** Packets in this batch. */
  count = 0;

  constructor(slots: number, slotBytes: number) {
    this.data = new Uint8Array(slots * slotBytes);
    this.meta = new Uint32Array(slots * META_FIELDS);
  }

  /** Byte offset of packet i in `data`. */
  offset(i: number): number {
    return this.meta[i * META_FIELDS]!;
  }
  /** Length of packet i. */
  length(i: number): number {
    return this.meta[i * META_FIELDS + 1]!;
  }
  /** Source IPv4 address of packet i (u32, host order); 0 for TUN packets. */
  source(i: number): number {
    return this.meta[i * META_FIELDS + 2]!;
  }
  /**
   * The local address packet i was sent to (IP_PKTINFO; GRE only, 0 for
   * TUN). Answer from this address on a host with several.
   */
  local(i: number): number {
    return this.meta[i * META_FIELDS + 4]!;
  }
  /** Source UDP port of packet i (UDP sockets only; 0 otherwise). */
  port(i: number): number {
    return this.meta[i * META_FIELDS + 3]! >>> PORT_SHIFT;
  }
  /** Packet i as a view (allocates a view object; for tests and slow paths). */
  packet(i: number): Uint8Array {
    const o = this.offset(i);
    return this.data.subarray(o, o + this.length(i));
  }
}

/**
 * Packets to send in one call. Reserve space with `reserve` and write in
 * place (no copy), or `push` a finished packet (one copy). After a send,
 * `status(i)` is 0 for a sent packet or its errno number.
 */
export class TxBatch {
  /** The send arena. */
  readonly data: Uint8Array;
  /** Per packet: offset, length, destination (u32; ignored by TUN), status, source (0: kernel's choice). */
  readonly meta: Uint32Array;
  /** Packets in the batch. */
  count = 0;
  private usedBytes = 0;
  private readonly maxPackets: number;

  constructor(maxPackets = 64, arenaBytes = maxPackets * 2048) {
    if (!Number.isInteger(maxPackets) || maxPackets < 1) throw new LocalUsageError(`TxBatch: maxPackets ${maxPackets}`);
    this.maxPackets = maxPackets;
    this.data = new Uint8Array(arenaBytes);
    this.meta = new Uint32Array(maxPackets * META_FIELDS);
  }

  /** Room for one more packet of `length` bytes? */
  fits(length: number): boolean {
    return this.count < this.maxPackets && this.usedBytes + length <= this.data.length;
  }

  /**
   * Appends a packet of `length` bytes to `dst` and returns its offset in
   * `data` for the caller to fill, or -1 when the batch is full. `src` picks
   * the local source address (GRE and UDP; 0: the kernel's choice), `port`
   * the destination port (UDP only; GRE and TUN leave it 0).
   */
  reserve(dst: number, length: number, src = 0, port = 0): number {
    if (!this.fits(length)) return -1;
    const off = this.usedBytes;
    const m = this.count * META_FIELDS;
    this.meta[m] = off;
    this.meta[m + 1] = length;
    this.meta[m + 2] = dst >>> 0;
    this.meta[m + 3] = (port << PORT_SHIFT) >>> 0;
    this.meta[m + 4] = src >>> 0;
    this.count++;
    // keep every packet 4-byte aligned for cheap header access
    this.usedBytes = (off + length + 3) & ~3;
    return off;
  }

  /** Copies `bytes` in as a packet to `dst` (from `src`, 0: any; UDP: to `port`); false when the batch is full. */
  push(dst: number, bytes: Uint8Array, src = 0, port = 0): boolean {
    const off = this.reserve(dst, bytes.length, src, port);
    if (off < 0) return false;
    this.data.set(bytes, off);
    return true;
  }

  /** Grows the last packet by `extra` bytes (written in place by the caller); false when the arena has no room. */
  extendLast(extra: number): boolean {
    if (this.count === 0 || extra < 0) return false;
    const m = (this.count - 1) * META_FIELDS;
    const off = this.meta[m]!;
    const len = this.meta[m + 1]! + extra;
    if (off + len > this.data.length) return false;
    this.meta[m + 1] = len;
    this.usedBytes = (off + len + 3) & ~3;
    return true;
  }

  /** Errno number of packet i after a send (0: sent). */
  status(i: number): number {
    return this.meta[i * META_FIELDS + 3]!;
  }
  /** Destination of packet i. */
  destination(i: number): number {
    return this.meta[i * META_FIELDS + 2]!;
  }
  /** Length of packet i. */
  length(i: number): number {
    return this.meta[i * META_FIELDS + 1]!;
  }

  /** Empties the batch for reuse. */
  clear(): void {
    this.count = 0;
    this.usedBytes = 0;
  }
}

/**
 * Drops the truncated packets of the first `n` in `meta` (counting them in
 * `stats.rxTruncated`) and moves the rest to the front. Returns how many are
 * left. Truncation is rare: without one nothing moves.
 */
export function dropTruncated(meta: Uint32Array, n: number, stats: { rxTruncated: number }): number {
  for (let i = 0; i < n; i++) {
    if ((meta[i * META_FIELDS + 3]! & FLAG_TRUNCATED) === 0) continue;
    let out = 0;
    for (let j = 0; j < n; j++) {
      const m = j * META_FIELDS;
      if ((meta[m + 3]! & FLAG_TRUNCATED) !== 0) {
        stats.rxTruncated++;
        continue;
      }
      if (out !== j) meta.copyWithin(out * META_FIELDS, m, m + META_FIELDS);
      out++;
    }
    return out;
  }
  return n;
}
