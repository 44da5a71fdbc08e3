/**
 * An IPv4 UDP socket for L2TP (RFC 2661 §8.1) through the native addon
 * (native/udp.c): one bound, unconnected socket for every peer, batched
 * receive (recvmmsg) and send (sendmmsg), the source address and port of each
 * datagram and the local address it was sent to (IP_PKTINFO), and ICMP errors
 * and send failures as events.
 *
 * As on the GRE socket (gre-socket.ts), nothing here is fatal for a tunnel:
 * fragmentation-needed toward a peer and EMSGSIZE on send are path-MTU
 * signals (DF is set: IP_PMTUDISC_DO by default), an unreachable peer is
 * reported and the socket keeps reading. IPsec-protected traffic arrives here
 * already decrypted, like any other datagram.
 */
import { LocalUsageError } from '../core/errors.js';
import { errnoName, fromNativeError } from './errors.js';
import { formatIpv4, parseIpv4 } from './ipv4-addr.js';
import { DEFAULT_SOCKET_BUFFER_BYTES, type IcmpErrorKind } from './gre-socket.js';
import { FLAG_TRUNCATED, META_FIELDS, loadNative, netnsPath, type NativeBinding, type NativeErrQueueEntry, type NativeHandle } from './native.js';
import { RxBatch, TxBatch } from './packet-batch.js';

/** How to open the socket. */
export interface UdpSocketOptions {
  /** Network namespace to open the socket in: a name from `ip netns` or a path. Needs CAP_SYS_ADMIN. */
  netns?: string;
  /** Local IPv4 address to bind to; default 0.0.0.0 (every address, replies from the address each peer used). */
  bind?: string;
  /** Local port; 0 (default) picks an ephemeral one. */
  port?: number;
  /** SO_REUSEADDR (default off: a port another socket holds fails with EADDRINUSE). */
  reuseAddr?: boolean;
  /** 'do' (default): DF set, learnt path MTU enforced with EMSGSIZE. 'probe': DF set, only the device MTU enforced. */
  pmtuDiscovery?: 'do' | 'probe';
  /** Most datagrams read per readable event (recvmmsg vlen); default 64. */
  batchSize?: number;
  /** Largest datagram kept whole; longer ones are dropped as truncated. Default 16384. */
  maxDatagramBytes?: number;
  /** SO_RCVBUF(FORCE) in bytes; default 4 MiB (the kernel's 208 KiB default drops bursts of many sessions). */
  rcvbufBytes?: number;
  /** SO_SNDBUF(FORCE) in bytes; default 4 MiB. */
  sndbufBytes?: number;
}

/** An ICMP error the kernel matched to a datagram we sent. */
export interface UdpIcmpErrorEvent {
  kind: IcmpErrorKind;
  /** errno the kernel derived from it ('EMSGSIZE', 'ECONNREFUSED', 'EHOSTUNREACH', ...). */
  errno: string;
  icmpType: number;
  icmpCode: number;
  /** Original destination of the datagram: address (text and u32) and port. */
  dst: string;
  dstAddr: number;
  dstPort: number;
  /** The router or host that sent the ICMP error, when known. */
  offender: string | undefined;
  /** Next-hop MTU (fragmentation-needed only). */
  mtu: number | undefined;
  /** The start of our datagram's UDP payload as the ICMP error quoted it. */
  quoted: Uint8Array;
}

/** A datagram the kernel refused to send. */
export interface UdpSendErrorEvent {
  /** 'EMSGSIZE' (larger than the path MTU), 'ENETUNREACH', 'EPERM' (firewall) ... */
  errno: string;
  dst: string;
  dstAddr: number;
  /** UDP payload bytes of the refused datagram. */
  bytes: number;
  /** For EMSGSIZE: the kernel's current path MTU toward dst (IP_MTU). */
  mtu: number | undefined;
}

/** Counters, read on scrape. */
export interface UdpSocketStats {
  rxPackets: number;
  rxBatches: number;
  /** Datagrams longer than maxDatagramBytes. */
  rxTruncated: number;
  txPackets: number;
  /** Datagrams refused by the kernel (each also a UdpSendErrorEvent). */
  txFailed: number;
  /** Datagrams dropped because the send buffer was full (EAGAIN); no event. */
  txDroppedFull: number;
  icmpErrors: number;
  /** Error-queue entries of local origin: duplicates of send failures already reported. */
  localErrors: number;
  /** Unexpected receive failures (each also given to onError). */
  rxErrors: number;
}

/** An open UDP socket. */
export interface UdpSocket {
  /** The bound local address and port. */
  readonly address: string;
  readonly port: number;
  /**
   * Sets the receive callback. `batch.offset(i)`/`length(i)` address the UDP
   * payload, `source(i)`/`port(i)` the sender, `local(i)` the local address it
   * was sent to. The batch is reused: consume it before returning.
   */
  onPackets(cb: (batch: RxBatch) => void): void;
  /** Sets the ICMP error callback (fragmentation-needed, port unreachable, ...). */
  onIcmpError(cb: (e: UdpIcmpErrorEvent) => void): void;
  /** Sets the send failure callback (EMSGSIZE with the path MTU, ...). */
  onSendError(cb: (e: UdpSendErrorEvent) => void): void;
  /** Sets the callback for unexpected receive failures (none of them close the socket). */
  onError(cb: (err: Error) => void): void;
  /**
   * Sends every packet of `batch` (built with `reserve`/`push` giving the
   * destination port) and returns how many went out. The batch keeps the
   * per-packet status until it is cleared.
   */
  send(batch: TxBatch): number;
  /** Sends one datagram (copied), optionally from local address `src`. Returns whether the kernel took it. */
  sendTo(dst: number | string, port: number, bytes: Uint8Array, src?: number | string): boolean;
  /** The kernel's current path MTU toward dst, or undefined when there is no route. */
  pathMtu(dst: number | string): number | undefined;
  readonly stats: Readonly<UdpSocketStats>;
  readonly closed: boolean;
  /** Closes the socket; idempotent. No callback runs afterwards. */
  close(): void;
}

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

type UdpBinding = Required<Pick<NativeBinding, 'udpOpen' | 'udpSend' | 'udpPathMtu'>> & NativeBinding;

/** Whether the loaded addon has the UDP socket (an addon built before native/udp.c has not). */
export function nativeUdpAvailable(): boolean {
  try {
    const n = loadNative();
    return typeof n.udpOpen === 'function' && typeof n.udpSend === 'function' && n.constants.PORT_SHIFT === 16;
  } catch {
    return false;
  }
}

/** Opens and binds a UDP socket. Throws an IoError with the errno code (EADDRINUSE ...) on failure. */
export function openUdpSocket(opts: UdpSocketOptions = {}): UdpSocket {
  const native = loadNative();
  if (typeof native.udpOpen !== 'function' || typeof native.udpSend !== 'function' || typeof native.udpPathMtu !== 'function')
    throw new LocalUsageError('openUdpSocket: the native addon has no UDP socket (built before native/udp.c: npm rebuild)');
  const nb = native as UdpBinding;
  const slots = opts.batchSize ?? 64;
  const slotBytes = opts.maxDatagramBytes ?? 16384;
  const port = opts.port ?? 0;
  if (!Number.isInteger(slots) || slots < 1 || slots > native.constants.MAX_SLOTS)
    throw new LocalUsageError(`openUdpSocket: batchSize ${slots} is not 1..${native.constants.MAX_SLOTS}`);
  if (!Number.isInteger(slotBytes) || slotBytes < 64 || slotBytes > 65535)
    throw new LocalUsageError(`openUdpSocket: maxDatagramBytes ${slotBytes} is not 64..65535`);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new LocalUsageError(`openUdpSocket: port ${port} is not 0..65535`);
  const bind = opts.bind === undefined ? 0 : addrOf(opts.bind, 'openUdpSocket bind');
  const rx = new RxBatch(slots, slotBytes);
  const single = new TxBatch(1, 65536);
  const stats: UdpSocketStats = {
    rxPackets: 0, rxBatches: 0, rxTruncated: 0, txPackets: 0, txFailed: 0, txDroppedFull: 0, icmpErrors: 0, localErrors: 0, rxErrors: 0,
  };
  let onPackets: ((b: RxBatch) => void) | undefined;
  let onIcmp: ((e: UdpIcmpErrorEvent) => void) | undefined;
  let onSendError: ((e: UdpSendErrorEvent) => void) | undefined;
  let onError: ((e: Error) => void) | undefined;
  let closed = false;

  const meta = rx.meta;
  // Compacts away truncated datagrams so the callback sees packets 0..count-1.
  const onRead = (n: number): void => {
    stats.rxBatches++;
    let out = 0;
    for (let i = 0; i < n; i++) {
      const m = i * META_FIELDS;
      if ((meta[m + 3]! & FLAG_TRUNCATED) !== 0) {
        stats.rxTruncated++;
        continue;
      }
      if (out !== i) meta.copyWithin(out * META_FIELDS, m, m + META_FIELDS);
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
      dstPort: ev.dstPort ?? 0,
      offender: ev.offender === undefined ? undefined : formatIpv4(ev.offender),
      mtu: kind === 'frag-needed' ? ev.info : undefined,
      quoted: ev.quoted,
    });
  };

  let handle: NativeHandle & { readonly port?: number };
  const where = `UDP socket ${formatIpv4(bind)}:${port}${opts.netns ? ` in netns ${opts.netns}` : ''}`;
  try {
    handle = nb.udpOpen(
      {
        netns: netnsPath(opts.netns),
        bind,
        port,
        reuseAddr: opts.reuseAddr === true,
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
    throw fromNativeError('udp-open', err, `cannot open the ${where}`);
  }

  const pathMtu = (dst: number | string): number | undefined => {
    if (closed) return undefined;
    try {
      return nb.udpPathMtu(handle, addrOf(dst, 'pathMtu'));
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
      onSendError({ errno: name, dst: formatIpv4(dstAddr), dstAddr, bytes: batch.length(i), mtu: name === 'EMSGSIZE' ? pathMtu(dstAddr) : undefined });
    }
  };

  const send = (batch: TxBatch): number => {
    if (closed) throw new LocalUsageError('UdpSocket.send after close');
    if (batch.count === 0) return 0;
    const sent = nb.udpSend(handle, batch.data, batch.meta, batch.count);
    stats.txPackets += sent;
    if (sent !== batch.count) reportFailures(batch);
    return sent;
  };

  return {
    address: formatIpv4(bind),
    port: handle.port ?? port,
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
    sendTo(dst, dstPort, bytes, src) {
      if (!Number.isInteger(dstPort) || dstPort < 1 || dstPort > 65535) throw new LocalUsageError(`UdpSocket.sendTo: port ${dstPort} is not 1..65535`);
      single.clear();
      if (!single.push(addrOf(dst, 'sendTo'), bytes, src === undefined ? 0 : addrOf(src, 'sendTo src'), dstPort))
        throw new LocalUsageError(`UdpSocket.sendTo: ${bytes.length} bytes is too long`);
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
