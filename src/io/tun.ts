/**
 * A TUN device: IFF_TUN | IFF_NO_PI (bare IP packets), configured with the
 * classic interface ioctls, read and written in batches through the addon.
 *
 * Offloads: with `offloads` the device is opened with IFF_VNET_HDR and
 * TUNSETOFFLOAD, and every packet read or written starts with a 10-byte
 * struct virtio_net_hdr; reads may then be TSO super-packets of up to 64 KiB
 * that the data plane segments to the tunnel MTU. Without offloads packets
 * are at most the device MTU.
 */
import { LocalUsageError } from '../core/errors.js';
import { fromNativeError } from './errors.js';
import { parseIpv4 } from '../config/ipv4.js';
import { loadNative, netnsPath, type NativeErrQueueEntry, type NativeHandle } from './native.js';
import { RxBatch, TxBatch, dropTruncated } from './packet-batch.js';

/** TUNSETOFFLOAD bits (linux/if_tun.h). */
export const TUN_F = { CSUM: 0x01, TSO4: 0x02, TSO6: 0x04, TSO_ECN: 0x08, UFO: 0x10, USO4: 0x20, USO6: 0x40 } as const;

/** Size of struct virtio_net_hdr in front of every packet when offloads are on. */
export const VNET_HDR_BYTES = 10;

/** struct virtio_net_hdr (linux/virtio_net.h), little-endian fields, at the start of each packet. */
export const VNET_HDR = {
  /** u8 flags: NEEDS_CSUM (1) means the checksum at csumStart + csumOffset is partial. */
  FLAGS: 0,
  /** u8 gso_type: NONE 0, TCPV4 1, UDP 3, TCPV6 4, UDP_L4 5; ECN bit 0x80. */
  GSO_TYPE: 1,
  /** u16 hdr_len: bytes of headers (IP + TCP) to repeat in each segment. */
  HDR_LEN: 2,
  /** u16 gso_size: payload bytes per segment (the MSS). */
  GSO_SIZE: 4,
  CSUM_START: 6,
  CSUM_OFFSET: 8,
} as const;

/** gso_type values. */
export const VNET_GSO = { NONE: 0, TCPV4: 1, UDP: 3, TCPV6: 4, UDP_L4: 5, ECN: 0x80 } as const;
/** flags bit: the packet carries a partial checksum to complete. */
export const VNET_F_NEEDS_CSUM = 1;

/** gso_type of the packet whose virtio header starts at `off`. */
export function vnetGsoType(data: Uint8Array, off: number): number {
  return data[off + VNET_HDR.GSO_TYPE]! & 0x7f;
}
/** gso_size (segment payload bytes) of the packet whose virtio header starts at `off`. */
export function vnetGsoSize(data: Uint8Array, off: number): number {
  return data[off + VNET_HDR.GSO_SIZE]! | (data[off + VNET_HDR.GSO_SIZE + 1]! << 8);
}

/** Offloads to ask the kernel for; any of them turns on the virtio-net header. */
export interface TunOffloads {
  /** The kernel may hand over packets with partial checksums (required by the TSO flags). */
  csum?: boolean;
  tso4?: boolean;
  tso6?: boolean;
  tsoEcn?: boolean;
}

/** How to open and configure the device. */
export interface TunOptions {
  /** Interface name (< 16 bytes), or a pattern like 'tun%d'; the kernel picks one when absent. */
  name?: string;
  /** Device MTU (SIOCSIFMTU). */
  mtu?: number;
  /** Local IPv4 address. */
  address?: string;
  /** Point-to-point peer address (SIOCSIFDSTADDR); exclusive with `prefix`. */
  peer?: string;
  /** Prefix length for `address` (SIOCSIFNETMASK); exclusive with `peer`. */
  prefix?: number;
  /** Bring the interface up (default true). */
  up?: boolean;
  /** Network namespace: a name from `ip netns` or a path. Needs CAP_SYS_ADMIN. */
  netns?: string;
  /** IFF_MULTI_QUEUE: further openTun calls with the same name add queues (one per worker). */
  multiQueue?: boolean;
  /** Offloads (TUNSETOFFLOAD); implies the virtio-net header. */
  offloads?: TunOffloads;
  /** IFF_VNET_HDR without offloads. */
  vnetHdr?: boolean;
  /** Most packets read per readable event; default 64. */
  batchSize?: number;
  /** Largest packet read whole (virtio header included); default MTU (or 64 KiB with offloads) + header. */
  maxPacketBytes?: number;
  /** The clone device; default /dev/net/tun. */
  devicePath?: string;
}

/** Counters, read on scrape. */
export interface TunStats {
  rxPackets: number;
  rxBatches: number;
  /** Packets longer than maxPacketBytes (dropped). */
  rxTruncated: number;
  txPackets: number;
  /** Packets the kernel refused (EINVAL for a malformed packet, EIO when down). */
  txFailed: number;
  rxErrors: number;
}

/** An open TUN queue. */
export interface Tun {
  /** The interface name the kernel gave. */
  readonly name: string;
  /** Whether each packet starts with a virtio-net header. */
  readonly vnetHdr: boolean;
  /** Sets the receive callback; the batch is reused, consume it before returning. */
  onPackets(cb: (batch: RxBatch) => void): void;
  /** Sets the callback for read failures. */
  onError(cb: (err: Error) => void): void;
  /** Writes every packet of `batch` and returns how many the kernel took. */
  write(batch: TxBatch): number;
  /** Writes one packet (copied); returns whether the kernel took it. */
  writePacket(bytes: Uint8Array): boolean;
  /** Changes the device MTU (SIOCSIFMTU). Throws TunConfigError. */
  setMtu(mtu: number): void;
  readonly stats: Readonly<TunStats>;
  readonly closed: boolean;
  /** Closes this queue; the device goes away with its last queue. Idempotent. */
  close(): void;
}

function addr(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  const a = parseIpv4(text);
  if (a === undefined) throw new LocalUsageError(`openTun: ${what} '${text}' is not an IPv4 address`);
  return a;
}

/** Opens (creates or attaches to) a TUN device and configures it. Throws TunOpenError/TunConfigError/NetnsError. */
export function openTun(opts: TunOptions = {}): Tun {
  const native = loadNative();
  if (opts.name !== undefined && (Buffer.byteLength(opts.name) > 15 || opts.name.length === 0 || /[\s/]/.test(opts.name)))
    throw new LocalUsageError(`openTun: bad interface name '${opts.name}' (1..15 bytes, no space or '/')`);
  if (opts.peer !== undefined && opts.prefix !== undefined) throw new LocalUsageError('openTun: give peer or prefix, not both');
  if (opts.mtu !== undefined && (!Number.isInteger(opts.mtu) || opts.mtu < 68 || opts.mtu > 65535))
    throw new LocalUsageError(`openTun: mtu ${opts.mtu} is not 68..65535`);
  if (opts.prefix !== undefined && (!Number.isInteger(opts.prefix) || opts.prefix < 0 || opts.prefix > 32))
    throw new LocalUsageError(`openTun: prefix ${opts.prefix} is not 0..32`);
  const address = addr(opts.address, 'address');
  const peer = addr(opts.peer, 'peer');
  if ((peer !== undefined || opts.prefix !== undefined) && address === undefined)
    throw new LocalUsageError('openTun: peer and prefix need an address');

  const o = opts.offloads;
  const offloads =
    (o?.csum ? TUN_F.CSUM : 0) | (o?.tso4 ? TUN_F.TSO4 : 0) | (o?.tso6 ? TUN_F.TSO6 : 0) | (o?.tsoEcn ? TUN_F.TSO_ECN : 0);
  if ((offloads & ~TUN_F.CSUM) !== 0 && (offloads & TUN_F.CSUM) === 0)
    throw new LocalUsageError('openTun: TSO offloads need csum');
  const vnetHdr = opts.vnetHdr === true || o !== undefined;
  const hdr = vnetHdr ? VNET_HDR_BYTES : 0;
  const slots = opts.batchSize ?? 64;
  if (!Number.isInteger(slots) || slots < 1 || slots > native.constants.MAX_SLOTS)
    throw new LocalUsageError(`openTun: batchSize ${slots} is not 1..${native.constants.MAX_SLOTS}`);
  // One byte more than the largest packet: a read that fills the slot is a truncated packet.
  const slotBytes = (opts.maxPacketBytes ?? ((offloads & ~TUN_F.CSUM) !== 0 ? 65535 : Math.max(opts.mtu ?? 1500, 1500)) + hdr) + 1;

  const rx = new RxBatch(slots, slotBytes);
  const single = new TxBatch(1, 65536 + hdr);
  const stats: TunStats = { rxPackets: 0, rxBatches: 0, rxTruncated: 0, txPackets: 0, txFailed: 0, rxErrors: 0 };
  let onPackets: ((b: RxBatch) => void) | undefined;
  let onError: ((e: Error) => void) | undefined;
  let closed = false;
  const meta = rx.meta;

  const onRead = (n: number): void => {
    stats.rxBatches++;
    const out = dropTruncated(meta, n, stats);
    rx.count = out;
    stats.rxPackets += out;
    if (out > 0 && onPackets) onPackets(rx);
  };
  const onNativeError = (ev: NativeErrQueueEntry | Error): void => {
    stats.rxErrors++;
    if (ev instanceof Error) onError?.(ev);
  };

  const netns = netnsPath(opts.netns);
  const where = `TUN device${opts.name ? ` ${opts.name}` : ''}${opts.netns ? ` in netns ${opts.netns}` : ''}`;
  let handle: NativeHandle;
  try {
    handle = native.tunOpen(
      { netns, name: opts.name, devicePath: opts.devicePath, multiQueue: opts.multiQueue === true, vnetHdr, offloads: vnetHdr ? offloads : undefined, slots, slotBytes },
      rx.data,
      rx.meta,
      onRead,
      onNativeError,
    );
  } catch (err) {
    throw fromNativeError('tun-open', err, `cannot open the ${where}`);
  }
  const name = handle.name ?? opts.name ?? '';
  const wantsConfig = opts.mtu !== undefined || address !== undefined || opts.up !== false;
  if (wantsConfig) {
    try {
      native.ifConfigure({ netns, name, mtu: opts.mtu, address, prefixLen: opts.prefix, peer, up: opts.up !== false });
    } catch (err) {
      native.close(handle);
      throw fromNativeError('if-configure', err, `cannot configure ${name}`);
    }
  }

  const write = (batch: TxBatch): number => {
    if (closed) throw new LocalUsageError('Tun.write after close');
    if (batch.count === 0) return 0;
    const n = native.tunWrite(handle, batch.data, batch.meta, batch.count);
    stats.txPackets += n;
    stats.txFailed += batch.count - n;
    return n;
  };

  return {
    name,
    vnetHdr,
    onPackets(cb) {
      onPackets = cb;
    },
    onError(cb) {
      onError = cb;
    },
    write,
    writePacket(bytes) {
      single.clear();
      if (!single.push(0, bytes)) throw new LocalUsageError(`Tun.writePacket: ${bytes.length} bytes is too long`);
      return write(single) === 1;
    },
    setMtu(mtu) {
      if (closed) throw new LocalUsageError('Tun.setMtu after close');
      if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) throw new LocalUsageError(`Tun.setMtu: ${mtu} is not 68..65535`);
      try {
        native.ifConfigure({ netns, name, mtu });
      } catch (err) {
        throw fromNativeError('if-configure', err, `cannot set the MTU of ${name}`);
      }
    },
    stats,
    get closed() {
      return closed;
    },
    close() {
      if (closed) return;
      closed = true;
      onPackets = onError = undefined;
      native.close(handle);
    },
  };
}

/**
 * The data plane's TUN: with checksum and TCPv4 segmentation offloads
 * (TUN_F_CSUM | TUN_F_TSO4) so the kernel hands over TCP super-packets and
 * takes merged ones (src/server/tun-side.ts does the cutting and merging).
 * Falls back to a plain TUN when the kernel refuses TUNSETOFFLOAD, or when
 * TUNPPP_TUN_OFFLOADS=0 (for comparisons and for kernels that misbehave).
 */
export function openDataPlaneTun(opts: Omit<TunOptions, 'offloads' | 'vnetHdr' | 'maxPacketBytes'>): Tun {
  if (process.env['TUNPPP_TUN_OFFLOADS'] === '0') return openTun(opts);
  try {
    return openTun({ ...opts, offloads: { csum: true, tso4: true } });
  } catch (err) {
    // A kernel without the offload or vnet-header flags refuses one of these two ioctls; anything else is real.
    const syscall = (err as { syscall?: string }).syscall;
    if (syscall !== 'ioctl(TUNSETOFFLOAD)' && syscall !== 'ioctl(TUNSETIFF)') throw err;
    return openTun(opts);
  }
}
