/**
 * The GRE side of PPTP, shared by the server and the client: one raw,
 * unconnected GRE socket; calls found by (source address, Call ID); PPP frames
 * encapsulated into one send batch (sendmmsg) per event; ICMP errors and
 * EMSGSIZE turned into path-MTU events for the calls toward that address.
 */
import type { Millis } from '../core/machine.js';
import { PeerDemux } from '../core/peer-demux.js';
import { GreChannel, type GreChannelSink } from '../pptp/gre-channel.js';
import { GRE_MAX_HEADER_BYTES, newGreHeader, readGreHeader } from '../pptp/gre.js';
import type { GreSocket, IcmpErrorEvent, SendErrorEvent } from '../io/gre-socket.js';
import { META_FIELDS } from '../io/native.js';
import { TxBatch, type RxBatch } from '../io/packet-batch.js';
import { formatIpv4 } from '../config/ipv4.js';
import type { TunnelOptions } from '../mtu/overhead.js';
import type { Logger } from '../log/logger.js';
import type { ServerContext } from './context.js';
import type { LinkTransport, PppLink } from './link.js';
import { EarlyFrames } from './early-frames.js';

/** The parts of a GRE socket used here (a fake in tests). */
export type GreSocketLike = Pick<GreSocket, 'send' | 'onPackets' | 'onIcmpError' | 'onSendError' | 'onError'>;

/** GRE counters. */
export interface GreEndpointStats {
  rx: number;
  malformed: number;
  unknownCall: number;
  /** Packets of a live call whose sequence number was out of its window (GreChannel seqWindow: spoofed, or a peer that moved on). */
  outOfWindow: number;
  tx: number;
  txFailed: number;
  icmpErrors: number;
}

/** Packets for unknown calls kept, and for how long. */
const EARLY_MAX = 256;
const EARLY_MAX_AGE_MS = 2000;

/** One number for (peer address, Call ID): the key of the call table and of the early-frame hold. */
function callKey(addr: number, callId: number): number {
  return addr * 65536 + callId;
}

/** One PPTP call's data path: the transport its PppLink sends through. */
export class PptpCallTransport implements LinkTransport {
  readonly proto = 'pptp' as const;
  readonly peerAddress: string;
  link!: PppLink;
  closed = false;
  readonly sink: GreChannelSink;
  /** Clears the call on the control connection (set by the owner). */
  onClose: ((now: Millis) => void) | undefined;

  constructor(
    private readonly endpoint: GreEndpoint,
    readonly channel: GreChannel,
    readonly peerU32: number,
    readonly callId: number,
  ) {
    this.peerAddress = formatIpv4(peerU32);
    this.sink = {
      deliver: (payload) => this.link.fromTransport(payload, endpoint.now),
      transmit: (packet) => endpoint.queue(peerU32, packet),
    };
  }

  sendFrame(frame: Uint8Array, now: Millis): void {
    this.endpoint.sendFrame(this, frame, now);
  }

  close(_reason: string, now: Millis): void {
    if (this.closed) return;
    this.closed = true;
    this.endpoint.forget(this);
    this.onClose?.(now);
  }

  tunnelOptions(): TunnelOptions {
    return { proto: 'pptp' };
  }

  /** Re-arms the channel's timer (acks, reorder give-ups). */
  scheduleChannel(): void {
    this.endpoint.ctx.scheduler.set(this.channel, this.closed ? undefined : this.channel.nextDeadline(), (t) => {
      this.channel.timeout(t, this.sink);
      this.scheduleChannel();
    });
  }
}

/** The GRE socket and every call on it. */
export class GreEndpoint {
  readonly stats: GreEndpointStats = { rx: 0, malformed: 0, unknownCall: 0, outOfWindow: 0, tx: 0, txFailed: 0, icmpErrors: 0 };
  /** Live calls by callKey(peer address, our Call ID): one lookup per packet. */
  private readonly calls = new Map<number, PptpCallTransport>();
  /** The same calls by peer address: the path-MTU fan-out. */
  private readonly byPeer = new PeerDemux<PptpCallTransport, number>();
  private readonly tx = new TxBatch(256, 256 * 2048);
  private readonly header = newGreHeader();
  /**
   * GRE for a Call ID we do not know yet, kept briefly: the peer may start LCP
   * as soon as it has sent Outgoing-Call-Reply, so its first frames can beat
   * the reply to us (the client's side of the race; without this the peer's
   * Configure-Request is lost and LCP waits a 3 s restart).
   */
  private readonly early = new EarlyFrames({ maxFrames: EARLY_MAX, maxAgeMs: EARLY_MAX_AGE_MS, whenFull: 'drop-oldest' });
  /** `now` of the batch being handled. */
  now: Millis = 0;

  constructor(
    readonly ctx: ServerContext,
    private readonly gre: GreSocketLike,
    private readonly log: Logger,
  ) {
    gre.onPackets((b) => this.onBatch(b));
    gre.onIcmpError((e) => this.onIcmp(e));
    gre.onSendError((e) => this.onSendError(e));
    gre.onError((err) => log.warn('gre-error', `GRE receive error (ignored, calls kept): ${err.message}`));
  }

  /** Live calls. */
  get size(): number {
    return this.calls.size;
  }

  /** Every live call. */
  allCalls(): PptpCallTransport[] {
    return [...this.calls.values()];
  }

  /** Creates and registers the data path of an established call. */
  open(peerU32: number, callId: number, peerCallId: number, peerRecvWindow: number): PptpCallTransport {
    const call = new PptpCallTransport(this, new GreChannel({ callId, peerCallId, peerRecvWindow }), peerU32, callId);
    this.calls.set(callKey(peerU32, callId), call);
    this.byPeer.set(peerU32, callId, call);
    if (this.early.size > 0) queueMicrotask(() => this.replayEarly(call));
    return call;
  }

  /** Delivers the packets that arrived for `call` before it was opened (once its link is attached). */
  private replayEarly(call: PptpCallTransport): void {
    const now = this.ctx.clock.now();
    const mine = this.early.take(callKey(call.peerU32, call.callId), now);
    if (mine.length === 0) return;
    if (call.closed || this.calls.get(callKey(call.peerU32, call.callId)) !== call) return;
    const h = this.header;
    for (const bytes of mine) {
      if (readGreHeader(bytes, h)) continue;
      call.channel.receiveHeader(h, bytes, now, call.sink);
    }
    call.scheduleChannel();
    this.flush();
    this.ctx.tun.flush();
  }

  /** Unregisters a call. */
  forget(call: PptpCallTransport): void {
    this.calls.delete(callKey(call.peerU32, call.callId));
    if (this.byPeer.get(call.peerU32, call.callId) === call) this.byPeer.delete(call.peerU32, call.callId);
    this.ctx.scheduler.delete(call.channel);
  }

  /** Encapsulates a PPP frame into the send batch (one copy, header written in place). */
  sendFrame(call: PptpCallTransport, frame: Uint8Array, now: Millis): void {
    const room = GRE_MAX_HEADER_BYTES + frame.length;
    if (!this.tx.fits(room)) this.flush();
    const off = this.tx.reserve(call.peerU32, room);
    if (off < 0) {
      this.stats.txFailed++;
      return;
    }
    this.tx.data.set(frame, off + GRE_MAX_HEADER_BYTES);
    const start = call.channel.sendInPlace(this.tx.data, off + GRE_MAX_HEADER_BYTES, frame.length, now);
    if (typeof start === 'string') {
      this.tx.count--; // the channel refused it (sliding window full): give the slot back
      this.stats.txFailed++;
      return;
    }
    const m = (this.tx.count - 1) * META_FIELDS;
    this.tx.meta[m] = start;
    this.tx.meta[m + 1] = off + room - start;
    call.scheduleChannel();
  }

  /** Queues a finished GRE packet (an ack-only packet from a channel). */
  queue(dst: number, packet: Uint8Array): void {
    if (!this.tx.fits(packet.length)) this.flush();
    if (!this.tx.push(dst, packet)) this.stats.txFailed++;
  }

  /** Sends the batch. */
  flush(): void {
    if (this.tx.count === 0) return;
    const n = this.gre.send(this.tx);
    this.stats.tx += n;
    this.stats.txFailed += this.tx.count - n;
    this.tx.clear();
  }

  private onBatch(batch: RxBatch): void {
    const now = (this.now = this.ctx.clock.now());
    const h = this.header;
    for (let i = 0; i < batch.count; i++) {
      const off = batch.offset(i);
      const bytes = batch.data.subarray(off, off + batch.length(i));
      this.stats.rx++;
      if (readGreHeader(bytes, h)) {
        this.stats.malformed++;
        continue;
      }
      const call = this.calls.get(callKey(batch.source(i), h.callId));
      if (!call) {
        this.stats.unknownCall++;
        this.early.hold(callKey(batch.source(i), h.callId), bytes, now);
        continue;
      }
      const drops = call.channel.stats.drops;
      const oow = drops['out-of-window'];
      call.channel.receiveHeader(h, bytes, now, call.sink);
      this.stats.outOfWindow += drops['out-of-window'] - oow;
      call.scheduleChannel();
    }
    this.flush();
    this.ctx.tun.flush();
  }

  private onIcmp(e: IcmpErrorEvent): void {
    this.stats.icmpErrors++;
    if (e.kind === 'frag-needed' && e.mtu !== undefined) this.pathMtu(e.dstAddr, e.mtu, `ICMP fragmentation needed from ${e.offender ?? 'a router'}`);
    else this.log.debug('icmp', `ICMP ${e.kind} (type ${e.icmpType} code ${e.icmpCode}) for GRE to ${e.dst} from ${e.offender ?? '?'}: noted, calls kept`);
  }

  private onSendError(e: SendErrorEvent): void {
    if (e.errno === 'EMSGSIZE' && e.mtu !== undefined) this.pathMtu(e.dstAddr, e.mtu, 'EMSGSIZE on send');
    else this.log.debug('gre-send', `GRE send to ${e.dst} failed: ${e.errno} (packet dropped, call kept)`);
  }

  private pathMtu(dst: number, mtu: number, source: string): void {
    for (const call of this.byPeer.ofPeer(dst)) call.link.onPathMtu(mtu, source);
  }
}
