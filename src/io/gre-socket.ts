/**
 * The raw GRE socket (IPv4 protocol 47) for PPTP's data channel: one
 * unconnected socket for every peer, batched receive and send through the
 * native addon, ICMP errors and send failures as events.
 *
 * Nothing here is fatal for a call: a fragmentation-needed ICMP or an
 * EMSGSIZE on send is a path-MTU signal the driver turns into a lower MTU and
 * MSS clamp for the session it concerns (STYLE.md §5; pptpd hung up calls on
 * exactly this). See native/gre.c for why path-MTU discovery mode 'do' is the
 * default.
 */
import { LocalUsageError } from '../core/errors.js';
import { errnoName, fromNativeError } from './errors.js';
import { formatIpv4, parseIpv4 } from './ipv4-addr.js';
import { FLAG_TRUNCATED, META_FIELDS, loadNative, netnsPath, type NativeErrQueueEntry, type NativeHandle } from './native.js';
import { RxBatch, TxBatch } from './packet-batch.js';

/** How to open the socket. */
export interface GreSocketOptions {
  /** Network namespace to open the socket in: a name from `ip netns` or a path. Needs CAP_SYS_ADMIN. */
  netns?: string;
  /** Local IPv4 address to bind to (receive only what is sent to it; send from it). */
  bind?: string;
  /** 'do' (default): DF set, learnt path MTU enforced with EMSGSIZE. 'probe': DF set, only the device MTU enforced. */
  pmtuDiscovery?: 'do' | 'probe';
  /** Most datagrams read per readable event (recvmmsg vlen); default 64. */
  batchSize?: number;
  /** Largest datagram kept whole, IP header included; longer ones are dropped as truncated. Default 16384. */
  maxDatagramBytes?: number;
  /** SO_RCVBUF(FORCE) in bytes; default 4 MiB (the kernel's 208 KiB default drops bursts from many sessions). */
  rcvbufBytes?: number;
  /** SO_SNDBUF(FORCE) in bytes; default 4 MiB. */
  sndbufBytes?: number;
}

/** What an ICMP error says about the path. */
export type IcmpErrorKind = 'frag-needed' | 'unreachable' | 'time-exceeded' | 'parameter-problem' | 'other';

/** An ICMP error the kernel matched to a datagram we sent. */
export interface IcmpErrorEvent {
  kind: IcmpErrorKind;
  /** errno the kernel derived from it ('EMSGSIZE', 'EHOSTUNREACH', ...). */
  errno: string;
  icmpType: number;
  icmpCode: number;
  /** Original destination of the datagram, text and u32. */
  dst: string;
  dstAddr: number;
  /** The router or host that sent the ICMP error, when known. */
  offender: string | undefined;
  offenderAddr: number | undefined;
  /** Next-hop MTU (fragmentation-needed only). */
  mtu: number | undefined;
  /** The start of our datagram as quoted by the ICMP error: the GRE header onwards (call id inside). */
  quoted: Uint8Array;
}

/** A datagram the kernel refused to send. */
export interface SendErrorEvent {
  /** 'EMSGSIZE' (larger than the path MTU), 'ENETUNREACH', 'ENOBUFS', 'EPERM' (firewall) ... */
  errno: string;
  dst: string;
  dstAddr: number;
  /** Size of the refused GRE datagram (without IP header). */
  bytes: number;
  /** For EMSGSIZE: the kernel's current path MTU toward dst (IP_MTU). */
  mtu: number | undefined;
}

/** Counters, read on scrape. */
export interface GreSocketStats {
  rxPackets: number;
  rxBatches: number;
  /** Datagrams longer than maxDatagramBytes. */
  rxTruncated: number;
  /** Datagrams whose IPv4 header does not parse. */
  rxMalformed: number;
  txPackets: number;
  /** Datagrams refused by the kernel (each also a SendErrorEvent). */
  txFailed: number;
  /** Datagrams dropped because the send buffer was full (EAGAIN); no event. */
  txDroppedFull: number;
  icmpErrors: number;
  /** Error-queue entries of local origin: duplicates of send failures already reported. */
  localErrors: number;
  /** Unexpected receive failures (each also given to onError). */
  rxErrors: number;
}

/** An open raw GRE socket. */
export interface GreSocket {
  /**
   * Sets the receive callback. `batch.offset(i)`/`length(i)` address the GRE
   * header and payload (the IPv4 header is already skipped), `source(i)` the
   * sender, `local(i)` the local address it was sent to. The batch is
   * reused: consume it before returning.
   */
  onPackets(cb: (batch: RxBatch) => void): void;
  /** Sets the ICMP error callback (fragmentation-needed, unreachable, ...). */
  onIcmpError(cb: (e: IcmpErrorEvent) => void): void;
  /** Sets the send failure callback (EMSGSIZE with the path MTU, ...). */
  onSendError(cb: (e: SendErrorEvent) => void): void;
  /** Sets the callback for unexpected receive failures (none of them close the socket). */
  onError(cb: (err: Error) => void): void;
  /** Sends every packet of `batch` (GRE header onwards; destinations as u32) and returns how many went out. */
  send(batch: TxBatch): number;
  /** Sends one packet (copied), optionally from local address `src`. Returns whether the kernel took it. */
  sendTo(dst: number | string, bytes: Uint8Array, src?: number | string): boolean;
  /** The kernel's current path MTU toward dst, or undefined when there is no route. */
  pathMtu(dst: number | string): number | undefined;
  readonly stats: Readonly<GreSocketStats>;
  readonly closed: boolean;
  /** Closes the socket; idempotent. No callback runs afterwards. */
  close(): void;
}

/** Default SO_RCVBUF/SO_SNDBUF. Without CAP_NET_ADMIN the kernel caps it at net.core.{r,w}mem_max. */
export const DEFAULT_SOCKET_BUFFER_BYTES = 4 << 20;

const ORIGIN_LOCAL = 1;
const ORIGIN_ICMP = 2;

function addrOf(v: number | string, what: string): number {
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

/** Opens a raw GRE socket. Throws RawSocketError (with a hint) or NetnsError. */
export function openGreSocket(opts: GreSocketOptions = {}): GreSocket {
  const native = loadNative();
  const slots = opts.batchSize ?? 64;
  const slotBytes = opts.maxDatagramBytes ?? 16384;
  if (!Number.isInteger(slots) || slots < 1 || slots > native.constants.MAX_SLOTS)
    throw new LocalUsageError(`openGreSocket: batchSize ${slots} is not 1..${native.constants.MAX_SLOTS}`);
  if (!Number.isInteger(slotBytes) || slotBytes < 64 || slotBytes > 65535)
    throw new LocalUsageError(`openGreSocket: maxDatagramBytes ${slotBytes} is not 64..65535`);
  const bind = opts.bind === undefined ? undefined : addrOf(opts.bind, 'openGreSocket bind');
  const rx = new RxBatch(slots, slotBytes);
  const single = new TxBatch(1, 65536);
  const stats: GreSocketStats = {
    rxPackets: 0, rxBatches: 0, rxTruncated: 0, rxMalformed: 0, txPackets: 0, txFailed: 0, txDroppedFull: 0,
    icmpErrors: 0, localErrors: 0, rxErrors: 0,
  };
  let onPackets: ((b: RxBatch) => void) | undefined;
  let onIcmp: ((e: IcmpErrorEvent) => void) | undefined;
  let onSendError: ((e: SendErrorEvent) => void) | undefined;
  let onError: ((e: Error) => void) | undefined;
  let closed = false;

  const meta = rx.meta;
  const data = rx.data;
  // Skips each IPv4 header in place and compacts away what cannot be used,
  // so the callback sees GRE offsets for packets 0..count-1.
  const onRead = (n: number): void => {
    stats.rxBatches++;
    let out = 0;
    for (let i = 0; i < n; i++) {
      const m = i * META_FIELDS;
      const off = meta[m]!;
      const len = meta[m + 1]!;
      if ((meta[m + 3]! & FLAG_TRUNCATED) !== 0) {
        stats.rxTruncated++;
        continue;
      }
      const ihl = len >= 20 ? (data[off]! & 0x0f) * 4 : 0;
      if (ihl < 20 || data[off]! >> 4 !== 4 || ihl > len) {
        stats.rxMalformed++;
        continue;
      }
      const o = out * META_FIELDS;
      meta[o] = off + ihl;
      meta[o + 1] = len - ihl;
      meta[o + 2] = meta[m + 2]!;
      meta[o + 3] = 0;
      meta[o + 4] = meta[m + 4]!;
      out++;
    }
    rx.count = out;
    stats.rxPackets += out;
    if (out > 0 && onPackets) onPackets(rx);
  };

  const onNativeError = (ev: NativeErrQueueEntry | Error): void => {
    if (ev instanceof Error) {
      stats.rxErrors++;
      onError?.(ev);
      return;
    }
    if (ev.origin === ORIGIN_LOCAL) {
      stats.localErrors++;
      return;
    }
    stats.icmpErrors++;
    if (!onIcmp) return;
    const kind = ev.origin === ORIGIN_ICMP ? classify(ev.type, ev.code) : 'other';
    const dstAddr = ev.dst ?? 0;
    onIcmp({
      kind,
      errno: ev.errno,
      icmpType: ev.type,
      icmpCode: ev.code,
      dst: formatIpv4(dstAddr),
      dstAddr,
      offender: ev.offender === undefined ? undefined : formatIpv4(ev.offender),
      offenderAddr: ev.offender,
      mtu: kind === 'frag-needed' ? ev.info : undefined,
      quoted: ev.quoted,
    });
  };

  let handle: NativeHandle;
  const where = `GRE socket${opts.netns ? ` in netns ${opts.netns}` : ''}`;
  try {
    handle = native.greOpen(
      {
        netns: netnsPath(opts.netns),
        bind,
        pmtuProbe: opts.pmtuDiscovery === 'probe',
        rcvbufBytes: opts.rcvbufBytes ?? DEFAULT_SOCKET_BUFFER_BYTES,
        sndbufBytes: opts.sndbufBytes ?? DEFAULT_SOCKET_BUFFER_BYTES,
        slots,
        slotBytes,
      },
      rx.data,
      rx.meta,
      onRead,
      onNativeError,
    );
  } catch (err) {
    throw fromNativeError('gre-open', err, `cannot open the ${where}`);
  }

  const pathMtu = (dst: number | string): number | undefined => {
    if (closed) return undefined;
    try {
      return native.pathMtu(handle, addrOf(dst, 'pathMtu'));
    } catch {
      return undefined; // no route: there is no path MTU to report
    }
  };

  const reportFailures = (batch: TxBatch): void => {
    for (let i = 0; i < batch.count; i++) {
      const st = batch.status(i);
      if (st === 0) continue;
      const name = errnoName(st);
      if (name === 'EAGAIN' || name === 'EWOULDBLOCK') {
        stats.txDroppedFull++;
        continue;
      }
      stats.txFailed++;
      if (!onSendError) continue;
      const dstAddr = batch.destination(i);
      onSendError({
        errno: name,
        dst: formatIpv4(dstAddr),
        dstAddr,
        bytes: batch.length(i),
        mtu: name === 'EMSGSIZE' ? pathMtu(dstAddr) : undefined,
      });
    }
  };

  const send = (batch: TxBatch): number => {
    if (closed) throw new LocalUsageError('GreSocket.send after close');
    if (batch.count === 0) return 0;
    const sent = native.greSend(handle, batch.data, batch.meta, batch.count);
    stats.txPackets += sent;
    if (sent !== batch.count) reportFailures(batch);
    return sent;
  };

  return {
    onPackets(cb) {
      onPackets = cb;
    },
    onIcmpError(cb) {
      onIcmp = cb;
    },
    onSendError(cb) {
      onSendError = cb;
    },
    onError(cb) {
      onError = cb;
    },
    send,
    sendTo(dst, bytes, src) {
      single.clear();
      if (!single.push(addrOf(dst, 'sendTo'), bytes, src === undefined ? 0 : addrOf(src, 'sendTo src'))) throw new LocalUsageError(`GreSocket.sendTo: ${bytes.length} bytes is too long`);
      return send(single) === 1;
    },
    pathMtu,
    stats,
    get closed() {
      return closed;
    },
    close() {
      if (closed) return;
      closed = true;
      onPackets = onIcmp = onSendError = onError = undefined;
      native.close(handle);
    },
  };
}
