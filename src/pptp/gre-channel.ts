/**
 * The per-call GRE data channel (RFC 2637 §4.2–§4.4): sequence numbers out,
 * acknowledgments both ways, the peer's receive window, and in-order
 * delivery with a bounded reordering buffer. src/server/gre-endpoint.ts
 * finds a packet's channel by (source address, Call ID).
 *
 * Theory of operation.
 *
 * Sending. Every data packet gets the next sequence number (from 0, §4.1)
 * and carries an acknowledgment when one is owed (piggybacking, §4.2). The
 * peer announced a Packet Recv. Window Size at call setup; §4.2 asks the
 * sender not to have more unacknowledged packets in flight. Two modes:
 *  - 'advisory' (default): send anyway and count `overWindow`. pptpd's
 *    kernel module and accel-ppp do not hold packets either, and a peer that
 *    acknowledges rarely would otherwise throttle the tunnel.
 *  - 'sliding': §4.2.1–§4.2.3. The window starts at half the peer's, grows by
 *    one per fully acknowledged window, halves after an acknowledgment
 *    time-out. Packets that do not fit are dropped ('tx-window-full'); there
 *    is no retransmission (§4.2). When nothing is acknowledged for
 *    `ackTimeoutMs`, the packets in flight are written off, so a peer that
 *    never acknowledges slows the channel but never stalls it.
 *
 * Receiving. Packets are delivered in sequence order (§4.3: PPP copes with
 * loss, not with reordering). A packet ahead of the next expected one waits
 * in a buffer of at most `reorderMaxPackets` for at most `reorderTimeoutMs`;
 * when either limit is hit the gap is given up and counted as lost. A packet
 * behind the next expected one is a duplicate (already delivered or
 * buffered) or late (its gap was given up); both are dropped and counted
 * (§4.3: "silently discard").
 *
 * The sequence window. A packet more than `seqWindow` ahead of or behind the
 * next expected number is out of window: dropped and counted, its
 * acknowledgment ignored. GRE is easy to spoof (a raw packet with the peer's
 * address and a guessed Call ID), so a stray number must not move the
 * channel: pptp-linux likewise discards packets beyond its window as bogus.
 * A real peer that lost more than a window of packets, or restarted its
 * numbering, sends a run of consecutive numbers out of window while nothing
 * arrives in window: after `resyncPackets` of them in a row (each within
 * `reorderMaxPackets` of the highest before it, none acknowledging a number
 * we never sent, no in-window packet between them) the window moves to them
 * (`rxResyncs`) and the last is delivered. A spoofer must know the Call ID,
 * the peer's address, and keep ahead of a live peer whose in-window packets
 * reset the run; MPPE is what protects the payload.
 *
 * Acknowledging. The Acknowledgment Number is the highest sequence number
 * received (§4.1). An owed acknowledgment rides on the next data packet; if
 * none goes out within `ackDelayMs`, an acknowledgment-only packet (S = 0,
 * A = 1, no payload) is sent. After half of our announced window arrives
 * unacknowledged, the acknowledgment goes out at once so a peer that
 * enforces its window does not stall.
 *
 * The hot path (`send`, `receive`) allocates only the outgoing packet and,
 * for out-of-order packets, a copy of the payload. Counters are plain
 * numbers read by the metrics layer.
 */
import type { Millis } from '../core/machine.js';
import { LocalUsageError } from '../core/errors.js';
import { encodeGre, GRE_MAX_HEADER_BYTES, type GreHeader, greHeaderLength, newGreHeader, readGreHeader, writeGreHeader } from './gre.js';

/** Why the channel dropped a packet. */
export type GreDropReason =
  /** The GRE header did not parse (see describeGreError). */
  | 'malformed'
  /** The Key's Call ID is not this channel's: a demux error or a spoofed packet. */
  | 'wrong-call-id'
  /** A packet with payload but no Sequence Number (S = 0). */
  | 'no-sequence'
  /** The sequence number was already delivered or is already waiting in the reorder buffer. */
  | 'duplicate'
  /** The sequence number is behind the next expected one and was never delivered: its gap was given up. */
  | 'late'
  /** The sequence number is more than seqWindow from the next expected one (spoofed, or the peer moved on: see resyncPackets). */
  | 'out-of-window'
  /** Sliding mode: the peer's window is full and the acknowledgment time-out has not passed. */
  | 'tx-window-full'
  /** A payload longer than the 16-bit GRE Payload Length field can say. */
  | 'payload-too-large';

/** How the peer's receive window limits sending. */
export type GreWindowMode = 'advisory' | 'sliding';

/** Options of one channel. */
export interface GreChannelOptions {
  /** Our Call ID: packets to us carry it. */
  callId: number;
  /** The peer's Call ID: packets we send carry it. */
  peerCallId: number;
  /** The peer's Packet Recv. Window Size from call setup (0 is read as 1). */
  peerRecvWindow: number;
  /** Our announced Packet Recv. Window Size (for the immediate-acknowledgment rule). Default 64. */
  recvWindow?: number;
  /** Default 'advisory'. */
  windowMode?: GreWindowMode;
  /** Sliding mode: time without an acknowledgment before packets in flight are written off. Default 1000 ms. */
  ackTimeoutMs?: Millis;
  /** Longest wait before an acknowledgment-only packet. Default 20 ms. */
  ackDelayMs?: Millis;
  /** Out-of-order packets held at most. 0 delivers at once and skips gaps. Default 32. */
  reorderMaxPackets?: number;
  /** Longest hold of an out-of-order packet. Default 50 ms. */
  reorderTimeoutMs?: Millis;
  /** Sequence numbers farther than this from the next expected one are out of window. Default 4096. */
  seqWindow?: number;
  /** Consecutive out-of-window packets, with nothing in window between them, that move the window. Default 8. */
  resyncPackets?: number;
}

/** Where the channel delivers payloads and hands packets to send. */
export interface GreChannelSink {
  /** A PPP packet, in order. Valid only during the call; copy to keep. */
  deliver(payload: Uint8Array): void;
  /** A whole GRE packet (header and payload) to send to the peer. */
  transmit(packet: Uint8Array): void;
}

/** Channel counters. */
export interface GreChannelStats {
  rxPackets: number;
  rxDelivered: number;
  /** Delivered from the reorder buffer (arrived early). */
  rxReordered: number;
  /** Sequence numbers given up (never arrived in time). */
  rxLost: number;
  rxResyncs: number;
  txPackets: number;
  txAckOnly: number;
  /** Advisory mode: packets sent beyond the peer's window. */
  overWindow: number;
  /** Sliding mode: acknowledgment time-outs (each halves the window). */
  ackTimeouts: number;
  /** Acknowledgments for sequence numbers we never sent (ignored). */
  badAcks: number;
  drops: Record<GreDropReason, number>;
}

const SEEN_SLOTS = 1024;

interface Held {
  seq: number;
  payload: Uint8Array;
  at: Millis;
}

/** One call's GRE channel. */
export class GreChannel {
  readonly stats: GreChannelStats = {
    rxPackets: 0, rxDelivered: 0, rxReordered: 0, rxLost: 0, rxResyncs: 0, txPackets: 0, txAckOnly: 0,
    overWindow: 0, ackTimeouts: 0, badAcks: 0,
    drops: { malformed: 0, 'wrong-call-id': 0, 'no-sequence': 0, duplicate: 0, late: 0, 'out-of-window': 0, 'tx-window-full': 0, 'payload-too-large': 0 },
  };
  readonly callId: number;
  readonly peerCallId: number;
  private readonly peerWindow: number;
  private readonly recvWindow: number;
  private readonly mode: GreWindowMode;
  private readonly ackTimeoutMs: Millis;
  private readonly ackDelayMs: Millis;
  private readonly reorderMax: number;
  private readonly reorderTimeoutMs: Millis;
  private readonly seqWindow: number;
  private readonly resyncPackets: number;

  // Transmit side.
  private nextSeq = 0;
  /** The oldest sequence number not yet acknowledged by the peer. */
  private unackedFrom = 0;
  /** Sliding mode: current window (§4.2.1). */
  txWindow: number;
  private ackedSinceGrow = 0;
  /** When the acknowledgment clock last restarted (first packet in flight or progress). */
  private ackClockAt: Millis = 0;

  // Receive side.
  private started = false;
  private expected = 0;
  private highestReceived = 0;
  private ackPending = false;
  private ackDueAt: Millis = 0;
  private receivedSinceAck = 0;
  /** `seen[seq % SEEN_SLOTS] === seq + 1` when seq was delivered. */
  private readonly seen = new Float64Array(SEEN_SLOTS);
  private readonly held: Held[] = [];
  /** The run of consecutive out-of-window packets so far: its length and highest number. */
  private runLength = 0;
  private runLast = 0;
  private readonly scratch: GreHeader = newGreHeader();

  constructor(opts: GreChannelOptions) {
    this.callId = opts.callId;
    this.peerCallId = opts.peerCallId;
    this.peerWindow = Math.max(1, opts.peerRecvWindow);
    this.recvWindow = Math.max(1, opts.recvWindow ?? 64);
    this.mode = opts.windowMode ?? 'advisory';
    this.ackTimeoutMs = opts.ackTimeoutMs ?? 1000;
    this.ackDelayMs = opts.ackDelayMs ?? 20;
    this.reorderMax = Math.max(0, opts.reorderMaxPackets ?? 32);
    this.reorderTimeoutMs = opts.reorderTimeoutMs ?? 50;
    this.seqWindow = Math.max(1, opts.seqWindow ?? 4096);
    this.resyncPackets = Math.max(1, opts.resyncPackets ?? 8);
    // §4.2.1: start at half the peer's window, at least one packet.
    this.txWindow = Math.max(1, Math.ceil(this.peerWindow / 2));
  }

  /** Packets sent and not yet acknowledged. */
  get inFlight(): number {
    return (this.nextSeq - this.unackedFrom) >>> 0;
  }

  /** Out-of-order packets waiting. */
  get heldPackets(): number {
    return this.held.length;
  }

  /**
   * Encapsulates one PPP packet into a new buffer. Returns the GRE packet to
   * send, or the reason it was dropped.
   */
  send(payload: Uint8Array, now: Millis): Uint8Array | GreDropReason {
    const buf = new Uint8Array(GRE_MAX_HEADER_BYTES + payload.length);
    buf.set(payload, GRE_MAX_HEADER_BYTES);
    const start = this.sendInPlace(buf, GRE_MAX_HEADER_BYTES, payload.length, now);
    return typeof start === 'string' ? start : buf.subarray(start);
  }

  /**
   * Zero-copy send for the data plane: the payload already sits at
   * `buf[payloadStart, payloadStart + payloadLength)` with at least
   * GRE_MAX_HEADER_BYTES free before it. Writes the header right before the
   * payload and returns the offset where the GRE packet starts, or the
   * reason it was dropped.
   */
  sendInPlace(buf: Uint8Array, payloadStart: number, payloadLength: number, now: Millis): number | GreDropReason {
    if (payloadLength > 0xffff) return this.dropped('payload-too-large');
    if (payloadStart < GRE_MAX_HEADER_BYTES) throw new LocalUsageError(`sendInPlace needs ${GRE_MAX_HEADER_BYTES} bytes of headroom, got ${payloadStart}`);
    const inFlight = this.inFlight;
    if (this.mode === 'sliding') {
      if (inFlight >= this.txWindow) {
        if (now - this.ackClockAt < this.ackTimeoutMs) return this.dropped('tx-window-full');
        this.ackTimeout();
      }
    } else if (inFlight >= this.peerWindow) this.stats.overWindow++;
    if (this.inFlight === 0) this.ackClockAt = now;
    const ack = this.takeAck();
    const seq = this.nextSeq;
    this.nextSeq = (this.nextSeq + 1) >>> 0;
    const start = payloadStart - greHeaderLength(true, ack >= 0);
    writeGreHeader(buf, start, this.peerCallId, payloadLength, seq, ack);
    this.stats.txPackets++;
    return start;
  }

  /** Handles one received GRE packet (the bytes after the IP header). */
  receive(bytes: Uint8Array, now: Millis, sink: GreChannelSink): void {
    const h = this.scratch;
    if (readGreHeader(bytes, h)) {
      this.dropped('malformed');
      return;
    }
    this.receiveHeader(h, bytes, now, sink);
  }

  /**
   * Handles a packet whose header the caller already read with
   * `readGreHeader` (the demux does, to find the channel), so it is not
   * parsed twice.
   */
  receiveHeader(h: GreHeader, bytes: Uint8Array, now: Millis, sink: GreChannelSink): void {
    if (h.callId !== this.callId) {
      this.dropped('wrong-call-id');
      return;
    }
    this.stats.rxPackets++;
    if (!h.hasSeq) {
      if (h.hasAck) this.onAck(h.ack, now);
      if (h.payloadLength > 0) this.dropped('no-sequence');
      return;
    }
    const payload = bytes.subarray(h.headerLength, h.headerLength + h.payloadLength);
    if (this.started) {
      const d = (h.seq - this.expected) | 0;
      if (d > this.seqWindow || d < -this.seqWindow) {
        this.outOfWindow(h.seq, h.hasAck ? h.ack : -1, payload, now, sink);
        return;
      }
      this.runLength = 0;
    }
    if (h.hasAck) this.onAck(h.ack, now);
    this.onData(h.seq, payload, now, sink);
  }

  /** Runs expired timers: reorder give-ups and the delayed acknowledgment. */
  timeout(now: Millis, sink: GreChannelSink): void {
    while (this.held.length > 0 && now >= this.held[0]!.at + this.reorderTimeoutMs) this.skipToHead(sink);
    if (this.ackPending && now >= this.ackDueAt) this.sendAckOnly(sink);
  }

  /** When `timeout` must run next, if ever. */
  nextDeadline(): Millis | undefined {
    let d: Millis | undefined = this.ackPending ? this.ackDueAt : undefined;
    if (this.held.length > 0) {
      const r = this.held[0]!.at + this.reorderTimeoutMs;
      if (d === undefined || r < d) d = r;
    }
    return d;
  }

  private dropped(reason: GreDropReason): GreDropReason {
    this.stats.drops[reason]++;
    return reason;
  }

  /** The acknowledgment to piggyback (or -1), clearing what is owed. */
  private takeAck(): number {
    if (!this.ackPending) return -1;
    this.ackPending = false;
    this.receivedSinceAck = 0;
    return this.highestReceived;
  }

  private sendAckOnly(sink: GreChannelSink): void {
    const ack = this.takeAck();
    if (ack < 0) return;
    this.stats.txAckOnly++;
    sink.transmit(encodeGre({ callId: this.peerCallId, ack, payload: new Uint8Array(0) }));
  }

  private onAck(ack: number, now: Millis): void {
    // Valid acknowledgments lie in [unackedFrom - 1, nextSeq - 1]: older ones
    // were overtaken (ignored), newer ones name packets we never sent.
    if (((ack - this.nextSeq) | 0) >= 0) {
      this.stats.badAcks++;
      return;
    }
    const ahead = (ack - this.unackedFrom) | 0;
    if (ahead < 0) return;
    const newlyAcked = ahead + 1;
    this.unackedFrom = (ack + 1) >>> 0;
    this.ackClockAt = now;
    if (this.mode === 'sliding') {
      // §4.2.3: one more packet of window per fully acknowledged window.
      this.ackedSinceGrow += newlyAcked;
      if (this.ackedSinceGrow >= this.txWindow) {
        this.ackedSinceGrow = 0;
        if (this.txWindow < this.peerWindow) this.txWindow++;
      }
    }
  }

  /** §4.2.2: a time-out halves the window; §4.2: nothing is retransmitted, so what was in flight is written off. */
  private ackTimeout(): void {
    this.stats.ackTimeouts++;
    this.txWindow = Math.max(1, Math.ceil(this.txWindow / 2));
    this.ackedSinceGrow = 0;
    this.unackedFrom = this.nextSeq;
  }

  private owe(seq: number, now: Millis, sink: GreChannelSink): void {
    if (((seq - this.highestReceived) | 0) > 0) this.highestReceived = seq;
    if (!this.ackPending) {
      this.ackPending = true;
      this.ackDueAt = now + this.ackDelayMs;
    }
    if (++this.receivedSinceAck >= Math.max(1, this.recvWindow >> 1)) this.sendAckOnly(sink);
  }

  private onData(seq: number, payload: Uint8Array, now: Millis, sink: GreChannelSink): void {
    if (!this.started) {
      // RFC 2637 §4.1 starts at 0, so a small first number means packet 0
      // may still be on its way; a large one means we joined mid-call (a
      // restarted driver, a capture), so start from it.
      this.started = true;
      this.expected = seq <= this.reorderMax ? 0 : seq;
      this.highestReceived = (this.expected - 1) >>> 0;
    }
    const d = (seq - this.expected) | 0;
    if (d < 0) {
      const delivered = this.seen[seq % SEEN_SLOTS] === seq + 1;
      this.dropped(delivered ? 'duplicate' : 'late');
      return;
    }
    if (d === 0) {
      this.owe(seq, now, sink);
      this.deliver(seq, payload, sink);
      this.drain(sink);
      return;
    }
    // Ahead of the next expected packet.
    if (this.reorderMax === 0) {
      this.owe(seq, now, sink);
      this.stats.rxLost += d;
      this.deliver(seq, payload, sink);
      return;
    }
    let i = this.held.length;
    while (i > 0 && ((this.held[i - 1]!.seq - seq) | 0) > 0) i--;
    if (i > 0 && this.held[i - 1]!.seq === seq) {
      this.dropped('duplicate');
      return;
    }
    this.owe(seq, now, sink);
    this.held.splice(i, 0, { seq, payload: payload.slice(), at: now });
    while (this.held.length > this.reorderMax) this.skipToHead(sink);
  }

  /** Gives up the gap before the first held packet and delivers what follows in order. */
  private skipToHead(sink: GreChannelSink): void {
    const head = this.held[0]!;
    this.stats.rxLost += (head.seq - this.expected) >>> 0;
    this.expected = head.seq;
    this.drain(sink);
  }

  /** Delivers held packets while they continue the sequence. */
  private drain(sink: GreChannelSink): void {
    while (this.held.length > 0 && this.held[0]!.seq === this.expected) {
      const h = this.held.shift()!;
      this.stats.rxReordered++;
      this.deliver(h.seq, h.payload, sink);
    }
  }

  private deliver(seq: number, payload: Uint8Array, sink: GreChannelSink): void {
    this.seen[seq % SEEN_SLOTS] = seq + 1;
    this.expected = (seq + 1) >>> 0;
    this.stats.rxDelivered++;
    sink.deliver(payload);
  }

  /** A packet out of window: dropped, unless it completes a run that shows the peer moved on (see the header). */
  private outOfWindow(seq: number, ack: number, payload: Uint8Array, now: Millis, sink: GreChannelSink): void {
    // An acknowledgment of a number we never sent: not our peer.
    const ackBad = ack >= 0 && ((ack - this.nextSeq) | 0) >= 0;
    // Continues the run: near its highest number so far (the reorder buffer's reach either way), not that number again.
    const step = (seq - this.runLast) | 0;
    const continues = this.runLength > 0 && step !== 0 && step >= -this.reorderMax && step <= this.reorderMax + 1;
    this.runLength = ackBad ? 0 : continues ? this.runLength + 1 : 1;
    if (!continues || step > 0) this.runLast = seq;
    if (this.runLength < this.resyncPackets) {
      this.dropped('out-of-window');
      return;
    }
    this.runLength = 0;
    this.held.length = 0;
    if (ack >= 0) this.onAck(ack, now);
    this.resync(seq, payload, now, sink);
  }

  private resync(seq: number, payload: Uint8Array, now: Millis, sink: GreChannelSink): void {
    this.stats.rxResyncs++;
    this.held.length = 0;
    this.seen.fill(0);
    this.highestReceived = (seq - 1) >>> 0;
    this.owe(seq, now, sink);
    this.deliver(seq, payload, sink);
  }
}

/** (address, Call ID) → entry: the `PeerDemux` both endpoints run as their by-peer index, under the name the fuzz target uses. */
export { PeerDemux as GreDemux } from '../core/peer-demux.js';
