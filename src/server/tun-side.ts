/**
 * The TUN side of the data plane: reads IP packets from the one TUN device
 * and hands each to the link that owns its destination address; writes what
 * the links deliver, batched (one write call per batch, ARCHITECTURE.md).
 *
 * IPv6: IPV6CP (RFC 5072) gives each link a pair of link-local addresses.
 * A link claims its peer's Interface-Identifier here; packets to
 * fe80::/64 with that identifier go to it, and our own link-local address
 * is put on the device (through `onLinkLocal`) so the kernel answers the peer.
 */
import type { RxBatch } from '../io/packet-batch.js';
import { TxBatch } from '../io/packet-batch.js';
import type { Tun } from '../io/tun.js';
import { ipv4Dst, ipVersion } from '../wire/ip.js';
import type { Clock } from '../io/clock.js';
import { Coalescer, VNET_HDR_LEN, forEachSegment, onesSum32 } from '../wire/tcp-offload.js';
import { nativeOnesSum } from '../io/native-csum.js';

/** A link as the TUN side sees it. */
export interface TunRoute {
  /** An IP packet from the TUN for this link's peer (a view, valid during the call). */
  fromTun(packet: Uint8Array, now: number): void;
  /** The link's IP MTU: TCP super-packets from the TUN are cut to fit it. */
  readonly mtu?: number;
}

/** Routes by IPv4 destination (u32). */
export interface RouteLookup {
  ownerOf(addr: number): TunRoute | undefined;
}

/** Counters of the TUN side. */
export interface TunSideStats {
  rxPackets: number;
  txPackets: number;
  noRoute: number;
  notIp: number;
  /** Packets the kernel refused or a full batch could not take. */
  txFailed: number;
  /** Offloads: TCP super-packets read, and the segments cut from them. */
  gsoPackets: number;
  gsoSegments: number;
  /** Offloads: segments merged into the packet before them on the way to the TUN. */
  groMerged: number;
  /** Offloads: reads with a GSO type or headers we cannot handle (dropped). */
  offloadMalformed: number;
}

/** The TUN device seen from the links: write packets; `flush` after each event. */
export class TunSide {
  /** Called when the device takes packets again after refusing some (it was down, so its routes are gone). */
  onWritableAgain: (() => void) | undefined;
  /** The last write refused packets. */
  private refusing = false;
  readonly stats: TunSideStats = { rxPackets: 0, txPackets: 0, noRoute: 0, notIp: 0, txFailed: 0, gsoPackets: 0, gsoSegments: 0, groMerged: 0, offloadMalformed: 0 };
  private readonly tx: TxBatch;
  private tun: Pick<Tun, 'write' | 'onPackets' | 'name'> | undefined;
  /** The device's packets start with a virtio-net header (offloads on). */
  private vnet = false;
  /** The checksum sum for cut and merged segments: the addon's C loop when there is one. */
  private readonly sum = nativeOnesSum() ?? onesSum32;
  private readonly coalescer = new Coalescer(this.sum);
  /** The route and time `emitSegment` delivers to (set per super-packet; no closure per packet). */
  private segOwner: TunRoute | undefined;
  private segNow = 0;
  private segCount = 0;
  private readonly emitSegment = (p: Uint8Array): void => {
    this.segCount++;
    this.segOwner!.fromTun(p, this.segNow);
  };

  constructor(
    private readonly routes: RouteLookup,
    private readonly clock: Clock,
    /** Runs after each TUN read batch (flush the transports' batched sends). */
    private readonly afterBatch: () => void = () => {},
  ) {
    this.tx = new TxBatch(256, 256 * 2048);
  }

  /** Starts reading `tun` (the client attaches its TUN once IPCP gave it an address). */
  attach(tun: Pick<Tun, 'write' | 'onPackets' | 'name'> & { readonly vnetHdr?: boolean }): void {
    this.tun = tun;
    this.vnet = tun.vnetHdr === true;
    this.coalescer.reset();
    tun.onPackets((batch) => this.onBatch(batch));
    // The client's IPV6CP may open before its TUN exists.
    for (const list of this.linkLocal.values()) for (const e of list) this.onLinkLocal?.('add', e.local, tun.name);
  }

  /** The interface name (for logs). */
  get name(): string {
    return this.tun?.name ?? '(none)';
  }

  /**
   * Adds ('add') or removes ('del') a link-local address (`fe80::…`) on the
   * device named `dev`; set by whoever opened the TUN (io/ip6-address.ts).
   */
  onLinkLocal: ((op: 'add' | 'del', address: string, dev: string) => void) | undefined;
  /** Links by the low 32 bits of their peer's Interface-Identifier (collisions share the list). */
  private readonly linkLocal = new Map<number, { hi: number; local: string; owner: TunRoute }[]>();

  /**
   * IPV6CP opened for `owner`: fe80::/64 packets to `peerIdentifier` (16 hex
   * digits) go to it, and `localAddress` goes on the device.
   */
  claimLinkLocal(localAddress: string, peerIdentifier: string, owner: TunRoute): void {
    this.releaseLinkLocal(owner);
    const hi = parseInt(peerIdentifier.slice(0, 8), 16) >>> 0;
    const lo = parseInt(peerIdentifier.slice(8, 16), 16) >>> 0;
    const list = this.linkLocal.get(lo) ?? [];
    list.push({ hi, local: localAddress, owner });
    this.linkLocal.set(lo, list);
    if (this.tun) this.onLinkLocal?.('add', localAddress, this.tun.name);
  }

  /** The link is gone: forget its identifier and take its address off the device. */
  releaseLinkLocal(owner: TunRoute): void {
    for (const [lo, list] of this.linkLocal) {
      const i = list.findIndex((e) => e.owner === owner);
      if (i < 0) continue;
      const [e] = list.splice(i, 1);
      if (list.length === 0) this.linkLocal.delete(lo);
      // Another link may use the same local address (a fixed identifier): keep it then.
      const shared = [...this.linkLocal.values()].some((l) => l.some((x) => x.local === e!.local));
      if (this.tun && !shared) this.onLinkLocal?.('del', e!.local, this.tun.name);
      return;
    }
  }

  /** The link whose peer has the link-local destination of the IPv6 packet at `off`, if any. */
  private ownerOfV6(d: Uint8Array, off: number): TunRoute | undefined {
    // fe80::/64 only (RFC 4291 §2.5.6): the prefix is fe80 followed by 54 zero bits.
    if (d[off + 24] !== 0xfe || d[off + 25] !== 0x80) return undefined;
    for (let i = off + 26; i < off + 32; i++) if (d[i] !== 0) return undefined;
    const hi = ((d[off + 32]! << 24) | (d[off + 33]! << 16) | (d[off + 34]! << 8) | d[off + 35]!) >>> 0;
    const lo = ((d[off + 36]! << 24) | (d[off + 37]! << 16) | (d[off + 38]! << 8) | d[off + 39]!) >>> 0;
    const list = this.linkLocal.get(lo);
    if (!list) return undefined;
    for (const e of list) if (e.hi === hi) return e.owner;
    return undefined;
  }

  /**
   * The link whose peer has the IPv6 destination of `packet` (an IPv6 packet
   * from a link), for client isolation: undefined when no link's peer has it.
   */
  linkOfV6Destination(packet: Uint8Array): TunRoute | undefined {
    return packet.length >= 40 ? this.ownerOfV6(packet, 0) : undefined;
  }

  /** Queues an IP packet for the kernel (copied; merged into the one before when offloads allow). */
  write(packet: Uint8Array): void {
    if (!this.vnet) {
      if (!this.tx.fits(packet.length)) this.flush();
      if (!this.tx.push(0, packet)) this.stats.txFailed++;
      return;
    }
    if (this.coalescer.append(this.tx, packet)) {
      this.stats.groMerged++;
      return;
    }
    const len = packet.length + VNET_HDR_LEN;
    if (!this.tx.fits(len)) this.flush();
    const at = this.tx.reserve(0, len);
    if (at < 0) {
      this.stats.txFailed++;
      return;
    }
    this.tx.data.fill(0, at, at + VNET_HDR_LEN);
    this.tx.data.set(packet, at + VNET_HDR_LEN);
    this.coalescer.started(this.tx, at, packet.length);
  }

  /** Writes the queued packets. */
  flush(): void {
    this.coalescer.reset();
    if (this.tx.count === 0) return;
    const n = this.tun ? this.tun.write(this.tx) : 0;
    this.stats.txPackets += n;
    this.stats.txFailed += this.tx.count - n;
    if (n < this.tx.count) this.refusing = true;
    else if (this.refusing && n > 0) {
      // The kernel takes packets again after refusing them (the device was
      // down): routes through it were deleted with it and must come back.
      this.refusing = false;
      this.onWritableAgain?.();
    }
    this.tx.clear();
  }

  /** Routes one batch read from the device. */
  onBatch(batch: RxBatch): void {
    const now = this.clock.now();
    const hdr = this.vnet ? VNET_HDR_LEN : 0;
    for (let i = 0; i < batch.count; i++) {
      const start = batch.offset(i);
      const off = start + hdr;
      const len = batch.length(i) - hdr;
      this.stats.rxPackets++;
      const v = len > 0 ? ipVersion(batch.data, off, off + len) : 0;
      if (v === 0) {
        this.stats.notIp++;
        continue;
      }
      // IPv6: link-local only (IPV6CP negotiates no global prefix).
      const owner = v === 4 ? this.routes.ownerOf(ipv4Dst(batch.data, off)) : this.ownerOfV6(batch.data, off);
      if (!owner) {
        this.stats.noRoute++;
        continue;
      }
      if (hdr === 0) {
        owner.fromTun(batch.data.subarray(off, off + len), now);
        continue;
      }
      this.segOwner = owner;
      this.segNow = now;
      this.segCount = 0;
      const r = forEachSegment(batch.data, start, off + len, owner.mtu ?? 65535, this.emitSegment, this.sum);
      if (r === 'segmented') {
        this.stats.gsoPackets++;
        this.stats.gsoSegments += this.segCount;
      } else if (r === 'malformed') this.stats.offloadMalformed++;
    }
    this.flush();
    this.afterBatch();
  }
}
