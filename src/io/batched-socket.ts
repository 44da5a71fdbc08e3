/**
 * What the two batched datagram sockets share (gre-socket.ts for PPTP,
 * udp-socket.ts for L2TP): the callbacks and counters, the receive step that
 * hands a compacted RxBatch to the callback, error-queue entries turned into
 * ICMP error events, and batch sends whose refused packets become send error
 * events (EMSGSIZE with the path MTU) or, for a full send buffer, a count.
 *
 * Each socket keeps what differs: its options, how the addon opens it, what
 * its receive step skips (the IPv4 header on the raw GRE socket) and the
 * fields only it reports (the UDP port, the GRE offender address).
 */
import { LocalUsageError } from '../core/errors.js';
import { errnoName } from './errors.js';
import { formatIpv4, parseIpv4 } from '../config/ipv4.js';
import { netnsPath, type NativeErrQueueEntry } from './native.js';
import type { RxBatch, TxBatch } from './packet-batch.js';

/** Default SO_RCVBUF/SO_SNDBUF. Without CAP_NET_ADMIN the kernel caps it at net.core.{r,w}mem_max. */
export const DEFAULT_SOCKET_BUFFER_BYTES = 4 << 20;

/** What an ICMP error says about the path. */
export type IcmpErrorKind = 'frag-needed' | 'unreachable' | 'time-exceeded' | 'parameter-problem' | 'other';

/** SO_EE_ORIGIN_LOCAL: the kernel's own report of a failed send (already seen as a send status). */
const ORIGIN_LOCAL = 1;
/** SO_EE_ORIGIN_ICMP. */
const ORIGIN_ICMP = 2;

/** Options both sockets take. */
export interface BatchedSocketOptions {
  /** Network namespace to open the socket in: a name from `ip netns` or a path. Needs CAP_SYS_ADMIN. */
  netns?: string;
  /** 'do' (default): DF set, learnt path MTU enforced with EMSGSIZE. 'probe': DF set, only the device MTU enforced. */
  pmtuDiscovery?: 'do' | 'probe';
  /** Most datagrams read per readable event (recvmmsg vlen); default 64. */
  batchSize?: number;
  /** Largest datagram kept whole (GRE: IP header included); longer ones are dropped as truncated. Default 16384. */
  maxDatagramBytes?: number;
  /** SO_RCVBUF(FORCE) in bytes; default 4 MiB (the kernel's 208 KiB default drops bursts from many sessions). */
  rcvbufBytes?: number;
  /** SO_SNDBUF(FORCE) in bytes; default 4 MiB. */
  sndbufBytes?: number;
}

/** The addon options both greOpen and udpOpen read. */
export interface NativeBatchedOptions {
  netns: string | undefined;
  pmtuProbe: boolean;
  rcvbufBytes: number;
  sndbufBytes: number;
  slots: number;
  slotBytes: number;
}

/** Checks `opts` (LocalUsageError naming `fn`) and gives the addon's options for it. */
export function nativeBatchedOptions(fn: string, opts: BatchedSocketOptions, maxSlots: number): NativeBatchedOptions {
  const slots = opts.batchSize ?? 64;
  const slotBytes = opts.maxDatagramBytes ?? 16384;
  if (!Number.isInteger(slots) || slots < 1 || slots > maxSlots) throw new LocalUsageError(`${fn}: batchSize ${slots} is not 1..${maxSlots}`);
  if (!Number.isInteger(slotBytes) || slotBytes < 64 || slotBytes > 65535)
    throw new LocalUsageError(`${fn}: maxDatagramBytes ${slotBytes} is not 64..65535`);
  return {
    netns: netnsPath(opts.netns),
    pmtuProbe: opts.pmtuDiscovery === 'probe',
    rcvbufBytes: opts.rcvbufBytes ?? DEFAULT_SOCKET_BUFFER_BYTES,
    sndbufBytes: opts.sndbufBytes ?? DEFAULT_SOCKET_BUFFER_BYTES,
    slots,
    slotBytes,
  };
}

/** A u32 IPv4 address from a number or dotted text; throws LocalUsageError naming `what`. */
export function addrOf(v: number | string, what: string): number {
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new LocalUsageError(`${what}: ${v} is not a u32 IPv4 address`);
    return v;
  }
  const a = parseIpv4(v);
  if (a === undefined) throw new LocalUsageError(`${what}: '${v}' is not an IPv4 address`);
  return a;
}

function classify(type: number, code: number): IcmpErrorKind {
  if (type === 3) return code === 4 ? 'frag-needed' : 'unreachable';
  if (type === 11) return 'time-exceeded';
  if (type === 12) return 'parameter-problem';
  return 'other';
}

/** An ICMP error the kernel matched to a datagram we sent: the fields both sockets report. */
export interface IcmpErrorFields {
  kind: IcmpErrorKind;
  /** errno the kernel derived from it ('EMSGSIZE', 'ECONNREFUSED', 'EHOSTUNREACH', ...). */
  errno: string;
  icmpType: number;
  icmpCode: number;
  /** Original destination of the datagram, text and u32. */
  dst: string;
  dstAddr: number;
  /** The router or host that sent the ICMP error, when known. */
  offender: string | undefined;
  /** Next-hop MTU (fragmentation-needed only). */
  mtu: number | undefined;
  /** The start of our datagram as the ICMP error quoted it: the GRE header or the UDP payload onwards. */
  quoted: Uint8Array;
}

/** A datagram the kernel refused to send. */
export interface DatagramSendError {
  /** 'EMSGSIZE' (larger than the path MTU), 'ENETUNREACH', 'ENOBUFS', 'EPERM' (firewall) ... */
  errno: string;
  dst: string;
  dstAddr: number;
  /** Size of the refused datagram without IP header (GRE header onwards, or the UDP payload). */
  bytes: number;
  /** For EMSGSIZE: the kernel's current path MTU toward dst (IP_MTU). */
  mtu: number | undefined;
}

/** Counters both sockets keep, read on scrape. */
export interface BatchedSocketStats {
  rxPackets: number;
  rxBatches: number;
  /** Datagrams longer than maxDatagramBytes. */
  rxTruncated: number;
  txPackets: number;
  /** Datagrams refused by the kernel (each also a send error event). */
  txFailed: number;
  /** Datagrams dropped because the send buffer was full (EAGAIN); no event. */
  txDroppedFull: number;
  icmpErrors: number;
  /** Error-queue entries of local origin: duplicates of send failures already reported. */
  localErrors: number;
  /** Unexpected receive failures (each also given to onError). */
  rxErrors: number;
}

/** Zeroed counters. */
export function batchedSocketStats(): BatchedSocketStats {
  return { rxPackets: 0, rxBatches: 0, rxTruncated: 0, txPackets: 0, txFailed: 0, txDroppedFull: 0, icmpErrors: 0, localErrors: 0, rxErrors: 0 };
}

/** The part of the socket API both sockets have. */
export interface BatchedSocketApi<IcmpEvent, Stats extends BatchedSocketStats = BatchedSocketStats> {
  /** Sets the receive callback. The batch is reused: consume it before returning. */
  onPackets(cb: (batch: RxBatch) => void): void;
  /** Sets the ICMP error callback (fragmentation-needed, unreachable, ...). */
  onIcmpError(cb: (e: IcmpEvent) => void): void;
  /** Sets the send failure callback (EMSGSIZE with the path MTU, ...). */
  onSendError(cb: (e: DatagramSendError) => void): void;
  /** Sets the callback for unexpected receive failures (none of them close the socket). */
  onError(cb: (err: Error) => void): void;
  /**
   * Sends every packet of `batch` (destinations as u32) and returns how many
   * went out. The batch keeps the per-packet status until it is cleared.
   */
  send(batch: TxBatch): number;
  /** The kernel's current path MTU toward dst, or undefined when there is no route. */
  pathMtu(dst: number | string): number | undefined;
  readonly stats: Readonly<Stats>;
  readonly closed: boolean;
  /** Closes the socket; idempotent. No callback runs afterwards. */
  close(): void;
}

/** How the core reaches the addon for one open socket. */
export interface BatchedSocketNative<IcmpEvent> {
  /** 'GreSocket' or 'UdpSocket', for usage errors. */
  name: string;
  /** The socket's own ICMP event from the shared fields and the raw entry. */
  icmpEvent(fields: IcmpErrorFields, ev: NativeErrQueueEntry): IcmpEvent;
  send(data: Uint8Array, meta: Uint32Array, count: number): number;
  /** IP_MTU toward dst; throws when there is no route. */
  pathMtu(dst: number): number;
  close(): void;
}

/**
 * Callbacks, counters and the shared steps of one batched socket. The opener
 * gives `onRead(step)` and `onNativeError` to the addon, then `attach`es the
 * native side once the handle exists.
 */
export class BatchedSocketCore<IcmpEvent, Stats extends BatchedSocketStats = BatchedSocketStats> {
  private packetsCb: ((b: RxBatch) => void) | undefined;
  private icmpCb: ((e: IcmpEvent) => void) | undefined;
  private sendErrorCb: ((e: DatagramSendError) => void) | undefined;
  private errorCb: ((e: Error) => void) | undefined;
  private native: BatchedSocketNative<IcmpEvent> | undefined;
  private isClosed = false;

  constructor(
    readonly stats: Stats,
    private readonly rx: RxBatch,
  ) {}

  /** The addon's read callback: `step(n)` compacts the batch in place and returns the packets left. */
  onRead(step: (n: number) => number): (n: number) => void {
    const rx = this.rx;
    const stats = this.stats;
    return (n: number): void => {
      stats.rxBatches++;
      const out = step(n);
      rx.count = out;
      stats.rxPackets += out;
      if (out > 0 && this.packetsCb) this.packetsCb(rx);
    };
  }

  /** The addon's error callback: receive failures, local duplicates of send failures, ICMP errors. */
  readonly onNativeError = (ev: NativeErrQueueEntry | Error): void => {
    const stats = this.stats;
    if (ev instanceof Error) {
      stats.rxErrors++;
      this.errorCb?.(ev);
      return;
    }
    if (ev.origin === ORIGIN_LOCAL) {
      stats.localErrors++;
      return;
    }
    stats.icmpErrors++;
    if (!this.icmpCb || !this.native) return;
    const kind = ev.origin === ORIGIN_ICMP ? classify(ev.type, ev.code) : 'other';
    const dstAddr = ev.dst ?? 0;
    this.icmpCb(
      this.native.icmpEvent(
        {
          kind,
          errno: ev.errno,
          icmpType: ev.type,
          icmpCode: ev.code,
          dst: formatIpv4(dstAddr),
          dstAddr,
          offender: ev.offender === undefined ? undefined : formatIpv4(ev.offender),
          mtu: kind === 'frag-needed' ? ev.info : undefined,
          quoted: ev.quoted,
        },
        ev,
      ),
    );
  };

  /** Connects the opened native socket. */
  attach(native: BatchedSocketNative<IcmpEvent>): void {
    this.native = native;
  }

  /** The kernel's current path MTU toward dst, or undefined when there is no route. */
  pathMtu(dst: number | string): number | undefined {
    if (this.isClosed || !this.native) return undefined;
    try {
      return this.native.pathMtu(addrOf(dst, 'pathMtu'));
    } catch {
      return undefined; // no route: there is no path MTU to report
    }
  }

  /** Sends every packet of `batch` and returns how many went out; failures become counts and events. */
  send(batch: TxBatch): number {
    if (this.isClosed || !this.native) throw new LocalUsageError(`${this.native?.name ?? 'socket'}.send after close`);
    if (batch.count === 0) return 0;
    const sent = this.native.send(batch.data, batch.meta, batch.count);
    this.stats.txPackets += sent;
    if (sent !== batch.count) this.reportFailures(batch);
    return sent;
  }

  private reportFailures(batch: TxBatch): void {
    const stats = this.stats;
    for (let i = 0; i < batch.count; i++) {
      const st = batch.status(i);
      if (st === 0) continue;
      const name = errnoName(st);
      if (name === 'EAGAIN' || name === 'EWOULDBLOCK') {
        stats.txDroppedFull++;
        continue;
      }
      stats.txFailed++;
      if (!this.sendErrorCb) continue;
      const dstAddr = batch.destination(i);
      this.sendErrorCb({
        errno: name,
        dst: formatIpv4(dstAddr),
        dstAddr,
        bytes: batch.length(i),
        mtu: name === 'EMSGSIZE' ? this.pathMtu(dstAddr) : undefined,
      });
    }
  }

  /** The socket object: `extra` (the socket's own members) plus the shared API. */
  api<X extends object>(extra: X): X & BatchedSocketApi<IcmpEvent, Stats> {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const core = this;
    return {
      ...extra,
      onPackets(cb: (batch: RxBatch) => void) {
        core.packetsCb = cb;
      },
      onIcmpError(cb: (e: IcmpEvent) => void) {
        core.icmpCb = cb;
      },
      onSendError(cb: (e: DatagramSendError) => void) {
        core.sendErrorCb = cb;
      },
      onError(cb: (err: Error) => void) {
        core.errorCb = cb;
      },
      send: (batch: TxBatch) => core.send(batch),
      pathMtu: (dst: number | string) => core.pathMtu(dst),
      stats: core.stats,
      get closed() {
        return core.isClosed;
      },
      close() {
        if (core.isClosed) return;
        core.isClosed = true;
        core.packetsCb = core.icmpCb = core.sendErrorCb = core.errorCb = undefined;
        core.native?.close();
      },
    };
  }
}
