/**
 * The TUN side of the data plane: reads IP packets from the one TUN device
 * and hands each to the link that owns its destination address; writes what
 * the links deliver, batched (one write call per batch, ARCHITECTURE.md).
 */
import type { RxBatch } from '../io/packet-batch.js';
import { TxBatch } from '../io/packet-batch.js';
import type { Tun } from '../io/tun.js';
import { ipv4Dst, ipVersion } from '../wire/ip.js';
import type { Clock } from '../io/clock.js';

/** A link as the TUN side sees it. */
export interface TunRoute {
  /** An IP packet from the TUN for this link's peer (a view, valid during the call). */
  fromTun(packet: Uint8Array, now: number): void;
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
}

/** The TUN device seen from the links: write packets; `flush` after each event. */
export class TunSide {
  readonly stats: TunSideStats = { rxPackets: 0, txPackets: 0, noRoute: 0, notIp: 0, txFailed: 0 };
  private readonly tx: TxBatch;
  private tun: Pick<Tun, 'write' | 'onPackets' | 'name'> | undefined;

  constructor(
    private readonly routes: RouteLookup,
    private readonly clock: Clock,
    /** Runs after each TUN read batch (flush the transports' batched sends). */
    private readonly afterBatch: () => void = () => {},
  ) {
    this.tx = new TxBatch(256, 256 * 2048);
  }

  /** Starts reading `tun` (the client attaches its TUN once IPCP gave it an address). */
  attach(tun: Pick<Tun, 'write' | 'onPackets' | 'name'>): void {
    this.tun = tun;
    tun.onPackets((batch) => this.onBatch(batch));
  }

  /** The interface name (for logs). */
  get name(): string {
    return this.tun?.name ?? '(none)';
  }

  /** Queues an IP packet for the kernel (copied). */
  write(packet: Uint8Array): void {
    if (!this.tx.fits(packet.length)) this.flush();
    if (!this.tx.push(0, packet)) this.stats.txFailed++;
  }

  /** Writes the queued packets. */
  flush(): void {
    if (this.tx.count === 0) return;
    const n = this.tun ? this.tun.write(this.tx) : 0;
    this.stats.txPackets += n;
    this.stats.txFailed += this.tx.count - n;
    this.tx.clear();
  }

  /** Routes one batch read from the device. */
  onBatch(batch: RxBatch): void {
    const now = this.clock.now();
    for (let i = 0; i < batch.count; i++) {
      const off = batch.offset(i);
      const len = batch.length(i);
      this.stats.rxPackets++;
      const v = ipVersion(batch.data, off, off + len);
      if (v !== 4) {
        // IPv6 routing by prefix comes with IPV6CP support on the server side.
        this.stats.notIp++;
        continue;
      }
      const owner = this.routes.ownerOf(ipv4Dst(batch.data, off));
      if (!owner) {
        this.stats.noRoute++;
        continue;
      }
      owner.fromTun(batch.data.subarray(off, off + len), now);
    }
    this.flush();
    this.afterBatch();
  }
}
