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
import { BatchedSocketCore, addrOf, batchedSocketStats, nativeBatchedOptions, type BatchedSocketApi, type BatchedSocketOptions, type BatchedSocketStats, type DatagramSendError, type IcmpErrorFields } from './batched-socket.js';
import { fromNativeError } from './errors.js';
import { FLAG_TRUNCATED, META_FIELDS, loadNative, type NativeHandle } from './native.js';
import { RxBatch, TxBatch } from './packet-batch.js';

export { DEFAULT_SOCKET_BUFFER_BYTES, type IcmpErrorKind } from './batched-socket.js';

/** How to open the socket. */
export interface GreSocketOptions extends BatchedSocketOptions {
  /** Local IPv4 address to bind to (receive only what is sent to it; send from it). */
  bind?: string;
}

/** An ICMP error the kernel matched to a datagram we sent; `quoted` starts at the GRE header (call id inside). */
export interface IcmpErrorEvent extends IcmpErrorFields {
  /** The offender as u32. */
  offenderAddr: number | undefined;
}

/** A GRE datagram the kernel refused to send; `bytes` counts from the GRE header. */
export type SendErrorEvent = DatagramSendError;

/** Counters, read on scrape. */
export interface GreSocketStats extends BatchedSocketStats {
  /** Datagrams whose IPv4 header does not parse. */
  rxMalformed: number;
}

/** An open raw GRE socket. */
export interface GreSocket extends BatchedSocketApi<IcmpErrorEvent, GreSocketStats> {
  /**
   * Sets the receive callback. `batch.offset(i)`/`length(i)` address the GRE
   * header and payload (the IPv4 header is already skipped), `source(i)` the
   * sender, `local(i)` the local address it was sent to. The batch is
   * reused: consume it before returning.
   */
  onPackets(cb: (batch: RxBatch) => void): void;
  /** Sends one packet (copied), optionally from local address `src`. Returns whether the kernel took it. */
  sendTo(dst: number | string, bytes: Uint8Array, src?: number | string): boolean;
}

/** Opens a raw GRE socket. Throws RawSocketError (with a hint) or NetnsError. */
export function openGreSocket(opts: GreSocketOptions = {}): GreSocket {
  const native = loadNative();
  const o = nativeBatchedOptions('openGreSocket', opts, native.constants.MAX_SLOTS);
  const bind = opts.bind === undefined ? undefined : addrOf(opts.bind, 'openGreSocket bind');
  const rx = new RxBatch(o.slots, o.slotBytes);
  const single = new TxBatch(1, 65536);
  const stats: GreSocketStats = { ...batchedSocketStats(), rxMalformed: 0 };
  const core = new BatchedSocketCore<IcmpErrorEvent, GreSocketStats>(stats, rx);

  const meta = rx.meta;
  const data = rx.data;
  // Skips each IPv4 header in place and compacts away what cannot be used,
  // so the callback sees GRE offsets for packets 0..count-1.
  const skipIpHeaders = (n: number): number => {
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
    return out;
  };

  let handle: NativeHandle;
  const where = `GRE socket${opts.netns ? ` in netns ${opts.netns}` : ''}`;
  try {
    handle = native.greOpen(
      { ...o, bind },
      rx.data,
      rx.meta,
      core.onRead(skipIpHeaders),
      core.onNativeError,
    );
  } catch (err) {
    throw fromNativeError('gre-open', err, `cannot open the ${where}`);
  }
  core.attach({
    name: 'GreSocket',
    icmpEvent: (f, ev) => ({ ...f, offenderAddr: ev.offender }),
    send: (d, m, count) => native.greSend(handle, d, m, count),
    pathMtu: (dst) => native.pathMtu(handle, dst),
    close: () => native.close(handle),
  });

  const socket = core.api({
    sendTo(dst: number | string, bytes: Uint8Array, src?: number | string): boolean {
      single.clear();
      if (!single.push(addrOf(dst, 'sendTo'), bytes, src === undefined ? 0 : addrOf(src, 'sendTo src'))) throw new LocalUsageError(`GreSocket.sendTo: ${bytes.length} bytes is too long`);
      return core.send(single) === 1;
    },
  });
  return socket;
}
