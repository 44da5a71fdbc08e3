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
import { BatchedSocketCore, addrOf, batchedSocketStats, nativeBatchedOptions, type BatchedSocketApi, type BatchedSocketOptions, type BatchedSocketStats, type DatagramSendError, type IcmpErrorFields } from './batched-socket.js';
import { fromNativeError } from './errors.js';
import { formatIpv4 } from '../config/ipv4.js';
import { loadNative, type NativeBinding, type NativeHandle } from './native.js';
import { RxBatch, TxBatch, dropTruncated } from './packet-batch.js';

/** How to open the socket. */
export interface UdpSocketOptions extends BatchedSocketOptions {
  /** Local IPv4 address to bind to; default 0.0.0.0 (every address, replies from the address each peer used). */
  bind?: string;
  /** Local port; 0 (default) picks an ephemeral one. */
  port?: number;
  /** SO_REUSEADDR (default off: a port another socket holds fails with EADDRINUSE). */
  reuseAddr?: boolean;
}

/** An ICMP error the kernel matched to a datagram we sent; `quoted` starts at our UDP payload. */
export interface UdpIcmpErrorEvent extends IcmpErrorFields {
  /** The original destination port. */
  dstPort: number;
}

/** A datagram the kernel refused to send; `bytes` counts its UDP payload. */
export type UdpSendErrorEvent = DatagramSendError;

/** Counters, read on scrape. */
export type UdpSocketStats = BatchedSocketStats;

/** An open UDP socket. */
export interface UdpSocket extends BatchedSocketApi<UdpIcmpErrorEvent> {
  /** The bound local address and port. */
  readonly address: string;
  readonly port: number;
  /**
   * Sets the receive callback. `batch.offset(i)`/`length(i)` address the UDP
   * payload, `source(i)`/`port(i)` the sender, `local(i)` the local address it
   * was sent to. The batch is reused: consume it before returning.
   */
  onPackets(cb: (batch: RxBatch) => void): void;
  /** Sends one datagram (copied), optionally from local address `src`. Returns whether the kernel took it. */
  sendTo(dst: number | string, port: number, bytes: Uint8Array, src?: number | string): boolean;
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
  const o = nativeBatchedOptions('openUdpSocket', opts, native.constants.MAX_SLOTS);
  const port = opts.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new LocalUsageError(`openUdpSocket: port ${port} is not 0..65535`);
  const bind = opts.bind === undefined ? 0 : addrOf(opts.bind, 'openUdpSocket bind');
  const rx = new RxBatch(o.slots, o.slotBytes);
  const single = new TxBatch(1, 65536);
  const stats: UdpSocketStats = batchedSocketStats();
  const core = new BatchedSocketCore<UdpIcmpErrorEvent, UdpSocketStats>(stats, rx);
  const meta = rx.meta;

  let handle: NativeHandle & { readonly port?: number };
  const where = `UDP socket ${formatIpv4(bind)}:${port}${opts.netns ? ` in netns ${opts.netns}` : ''}`;
  try {
    handle = nb.udpOpen(
      { ...o, bind, port, reuseAddr: opts.reuseAddr === true },
      rx.data,
      rx.meta,
      // Compacts away truncated datagrams so the callback sees packets 0..count-1.
      core.onRead((n) => dropTruncated(meta, n, stats)),
      core.onNativeError,
    );
  } catch (err) {
    throw fromNativeError('udp-open', err, `cannot open the ${where}`);
  }
  core.attach({
    name: 'UdpSocket',
    icmpEvent: (f, ev) => ({ ...f, dstPort: ev.dstPort ?? 0 }),
    send: (d, m, count) => nb.udpSend(handle, d, m, count),
    pathMtu: (dst) => nb.udpPathMtu(handle, dst),
    close: () => native.close(handle),
  });

  const socket = core.api({
    address: formatIpv4(bind),
    port: handle.port ?? port,
    sendTo(dst: number | string, dstPort: number, bytes: Uint8Array, src?: number | string): boolean {
      if (!Number.isInteger(dstPort) || dstPort < 1 || dstPort > 65535) throw new LocalUsageError(`UdpSocket.sendTo: port ${dstPort} is not 1..65535`);
      single.clear();
      if (!single.push(addrOf(dst, 'sendTo'), bytes, src === undefined ? 0 : addrOf(src, 'sendTo src'), dstPort))
        throw new LocalUsageError(`UdpSocket.sendTo: ${bytes.length} bytes is too long`);
      return core.send(single) === 1;
    },
  });
  return socket;
}
