/**
 * Reliable delivery of L2TP control messages (RFC 2661 §5.8), sans-I/O.
 *
 * Theory of operation. Every control message we send takes the next Ns;
 * every Nr we send says "all of yours before this arrived". A message stays
 * in `unacked` until the peer's Nr passes it; the oldest unacked message
 * arms a retransmit deadline that doubles from `initialTimeoutMs` up to
 * `maxTimeoutMs`, and after `maxRetransmits` tries the channel reports
 * `failed` (the tunnel must go down, §5.8). No more than the peer's Receive
 * Window Size messages are in flight; the rest wait in `pending`.
 *
 * On receive, Nr is processed first (it acks ours). A ZLB (empty body) only
 * acks. A message with the expected Ns is delivered, and so are any queued
 * out-of-order messages that follow it; a message with an earlier Ns is a
 * retransmission of something we already have, so it is dropped and acked at
 * once (the peer lost our ack); a later Ns within our window is held, beyond
 * it dropped. An ack is owed after each accepted message: it rides on the next
 * message we send, or goes out as a ZLB when `ackDelayMs` passes first. Once
 * half of our receive window (the most the peer may have in flight toward us)
 * has been delivered without an ack, the ZLB goes out at once (§5.8 lets the
 * receiver ack at any time): a peer that sends messages with no reply, such as
 * a LAC sending ICCNs back to back, would otherwise stall on a full window for
 * the ack delay.
 *
 * An Nr that acknowledges a message we never sent (past the Ns of our last
 * sent message) comes from no real peer: the whole message, ZLB or not, is
 * dropped as `bad-nr` before anything in it is acted on.
 *
 * Unproven peers (`unprovenRetransmits`, set by an LNS). Until the peer acks
 * one of our messages, its source address is unproven: an SCCRQ is one
 * spoofable datagram, and every SCCRP retransmission to a forged address is
 * reflected traffic. So before the first ack the timer retransmits at most
 * `unprovenRetransmits` times, waits UNPROVEN_SILENT_INTERVALS more
 * intervals, then fails the channel (the tunnel in setup is freed within
 * seconds, not after the full backoff); and a retransmitted message from the peer (its SCCRQ again,
 * because our answer was lost) is answered by resending our oldest unacked
 * message, which also acks it — one datagram out per datagram in.
 *
 * Sequence numbers wrap at 2^16; comparisons use serial arithmetic.
 * Read RFC 2661 §5.8 before editing.
 */
import type { Millis } from '../core/machine.js';
import { encodeL2tpHeaderInto } from './header.js';

/** Tunables with RFC 2661 §5.8 defaults. */
export interface ReliableOptions {
  /** Our receive window: how many out-of-order messages we hold (and advertise). */
  receiveWindow: number;
  /** The peer's Receive Window Size AVP; 4 when the peer sent none (§4.4.3). */
  peerReceiveWindow: number;
  initialTimeoutMs: number;
  maxTimeoutMs: number;
  maxRetransmits: number;
  /** How long an owed ack may wait for a message to ride on before a ZLB goes out. */
  ackDelayMs: number;
  /**
   * Timer retransmissions allowed before the peer acked anything of ours
   * (see "Unproven peers" above); undefined: no special limit.
   */
  unprovenRetransmits?: number;
}

/** Defaults: 1 s doubling to 8 s, 5 retransmissions (xl2tpd and the RFC's suggestions). */
export const RELIABLE_DEFAULTS: ReliableOptions = {
  receiveWindow: 8,
  peerReceiveWindow: 4,
  initialTimeoutMs: 1000,
  maxTimeoutMs: 8000,
  maxRetransmits: 5,
  ackDelayMs: 200,
};

/**
 * Timer expiries an unproven peer gets after its retransmission budget, in
 * which nothing is sent (its own retransmissions are still answered); the
 * next expiry fails the channel. With the defaults and no budget: silent at
 * 1, 3 and 7 s, failed at 15 s, which spans a LAC's first four tries of a
 * message (1 s doubling, as ours).
 */
export const UNPROVEN_SILENT_INTERVALS = 3;

/** Why the channel discarded a received control message. */
export type ReliableDropReason =
  /** Ns before the expected one: a retransmission we already have (acked again at once). */
  | 'duplicate'
  /** Ns too far ahead of the expected one to hold. */
  | 'out-of-window'
  /** Ns already held in the out-of-order queue. */
  | 'duplicate-queued'
  /** Nr acknowledges a message we never sent: the datagram is not from the peer (dropped whole). */
  | 'bad-nr';

/** What the channel asks the driver to do. */
export type ReliableOutput =
  | { kind: 'send'; bytes: Uint8Array }
  | { kind: 'deliver'; sessionId: number; ns: number; body: Uint8Array }
  | { kind: 'drop'; reason: ReliableDropReason; detail?: string }
  | { kind: 'failed'; reason: 'max-retransmits' };

interface Outgoing {
  ns: number;
  sessionId: number;
  body: Uint8Array;
}

/** Serial-number "a is before b" for 16-bit sequence numbers. */
export function seqBefore(a: number, b: number): boolean {
  const d = (b - a) & 0xffff;
  return d !== 0 && d < 0x8000;
}

/** One tunnel's control channel. */
export class ReliableChannel {
  readonly opts: ReliableOptions;
  /** The peer's Assigned Tunnel ID: the Tunnel ID we put in headers (0 until learnt). */
  peerTunnelId = 0;
  /** Next Ns we send. */
  private ns = 0;
  /** Next Ns we expect from the peer (the Nr we send). */
  private nr = 0;
  private unacked: Outgoing[] = [];
  private pending: Outgoing[] = [];
  private held = new Map<number, { sessionId: number; body: Uint8Array }>();
  private retransmitAt: Millis | undefined;
  private timeoutMs: number;
  private retries = 0;
  private ackAt: Millis | undefined;
  /** Messages delivered in order since the last ack we sent. */
  private unackedDelivered = 0;
  private failed = false;
  /** The peer has acked at least one of our messages: its address is proven. */
  private proven = false;
  /** Counters for metrics and tests. */
  readonly stats = { sent: 0, retransmitted: 0, received: 0, zlbSent: 0, dropped: 0, badNr: 0 };

  constructor(opts: Partial<ReliableOptions> = {}) {
    this.opts = { ...RELIABLE_DEFAULTS, ...opts };
    this.timeoutMs = this.opts.initialTimeoutMs;
  }

  /** Sets the peer's window once its SCCRQ/SCCRP arrives (0 or absent means 4, §4.4.3). */
  setPeerReceiveWindow(n: number | undefined): void {
    (this.opts as { peerReceiveWindow: number }).peerReceiveWindow = n && n > 0 ? n : 4;
  }

  /** Nothing of ours is waiting for an ack or for window space. */
  get idle(): boolean {
    return this.unacked.length === 0 && this.pending.length === 0;
  }

  /** Idle, and no ack owed to the peer either: the channel can be dropped without the peer noticing. */
  get settled(): boolean {
    return this.idle && this.ackAt === undefined;
  }

  /** The peer has acked one of our messages (so it receives what we send to its address). */
  get peerProven(): boolean {
    return this.proven;
  }

  /** The Nr we would send now. */
  get expectedNs(): number {
    return this.nr;
  }

  /** Queues a control message body for `sessionId` (0 for tunnel messages). */
  send(body: Uint8Array, sessionId: number, now: Millis): ReliableOutput[] {
    if (this.failed) return [];
    const msg: Outgoing = { ns: this.ns, sessionId, body };
    this.ns = (this.ns + 1) & 0xffff;
    this.pending.push(msg);
    const out: ReliableOutput[] = [];
    this.pump(now, out);
    return out;
  }

  /**
   * Handles a received control message: its header's Ns/Nr and its body
   * (empty for a ZLB).
   */
  receive(ns: number, nr: number, sessionId: number, body: Uint8Array, now: Millis): ReliableOutput[] {
    const out: ReliableOutput[] = [];
    if (this.failed) return out;
    // Nr may at most acknowledge everything we sent: the Ns after our last sent message.
    const sentNext = this.pending.length > 0 ? this.pending[0]!.ns : this.ns;
    if (seqBefore(sentNext, nr)) {
      this.stats.dropped++;
      this.stats.badNr++;
      out.push({ kind: 'drop', reason: 'bad-nr', detail: `Nr ${nr} acknowledges beyond our last sent Ns ${(sentNext - 1) & 0xffff}` });
      return out;
    }
    this.processAck(nr, now);
    if (body.length > 0) {
      this.stats.received++;
      if (ns === this.nr) {
        out.push({ kind: 'deliver', sessionId, ns, body });
        this.nr = (this.nr + 1) & 0xffff;
        this.unackedDelivered++;
        for (let next = this.held.get(this.nr); next; next = this.held.get(this.nr)) {
          this.held.delete(this.nr);
          out.push({ kind: 'deliver', sessionId: next.sessionId, ns: this.nr, body: next.body });
          this.nr = (this.nr + 1) & 0xffff;
          this.unackedDelivered++;
        }
        this.ackAt ??= now + this.opts.ackDelayMs;
        // Half the peer's sending room (our window) is used up: ack now, not after the delay.
        if (this.unackedDelivered >= Math.max(1, this.opts.receiveWindow >> 1)) this.ackAt = now;
      } else if (seqBefore(ns, this.nr)) {
        this.stats.dropped++;
        out.push({ kind: 'drop', reason: 'duplicate', detail: `Ns ${ns} < expected ${this.nr}` });
        if (this.unprovenLimited && this.unacked.length > 0) {
          // Unproven peer: its retransmission says our answer was lost; resend that (it acks too), one for one.
          this.stats.retransmitted++;
          out.push({ kind: 'send', bytes: this.frame(this.unacked[0]!) });
          this.ackAt = undefined;
          this.unackedDelivered = 0;
        } else this.ackAt = now; // §5.8: the peer lost our ack; ack again at once
      } else if (((ns - this.nr) & 0xffff) < this.opts.receiveWindow) {
        if (this.held.has(ns)) {
          this.stats.dropped++;
          out.push({ kind: 'drop', reason: 'duplicate-queued', detail: `Ns ${ns}` });
        } else this.held.set(ns, { sessionId, body: body.slice() });
        this.ackAt ??= now + this.opts.ackDelayMs;
      } else {
        this.stats.dropped++;
        out.push({ kind: 'drop', reason: 'out-of-window', detail: `Ns ${ns}, expected ${this.nr}` });
      }
    }
    this.pump(now, out);
    if (this.ackAt !== undefined && now >= this.ackAt) this.sendZlb(out);
    return out;
  }

  /** The owed ack as a ZLB now rather than after the ack delay (a StopCCN: the peer waits to close). */
  ackNow(): ReliableOutput[] {
    const out: ReliableOutput[] = [];
    if (!this.failed && this.ackAt !== undefined) this.sendZlb(out);
    return out;
  }

  /** Fires due retransmissions and delayed acks. */
  timeout(now: Millis): ReliableOutput[] {
    const out: ReliableOutput[] = [];
    if (this.failed) return out;
    if (this.retransmitAt !== undefined && now >= this.retransmitAt && this.unacked.length > 0) {
      // An unproven peer gets its few retransmissions, then silent intervals to answer.
      const unproven = this.unprovenLimited;
      const limit = unproven ? this.opts.unprovenRetransmits! : this.opts.maxRetransmits;
      if (this.retries >= limit + (unproven ? UNPROVEN_SILENT_INTERVALS : 0)) {
        this.failed = true;
        this.retransmitAt = undefined;
        this.ackAt = undefined;
        out.push({ kind: 'failed', reason: 'max-retransmits' });
        return out;
      }
      this.retries++;
      this.timeoutMs = Math.min(this.timeoutMs * 2, this.opts.maxTimeoutMs);
      if (this.retries <= limit) {
        for (const m of this.unacked) {
          this.stats.retransmitted++;
          out.push({ kind: 'send', bytes: this.frame(m) });
        }
        this.ackAt = undefined;
        this.unackedDelivered = 0;
      }
      this.retransmitAt = now + this.timeoutMs;
    }
    if (this.ackAt !== undefined && now >= this.ackAt) this.sendZlb(out);
    return out;
  }

  /** The earliest time `timeout` has work. */
  nextDeadline(): Millis | undefined {
    if (this.failed) return undefined;
    if (this.retransmitAt === undefined) return this.ackAt;
    if (this.ackAt === undefined) return this.retransmitAt;
    return Math.min(this.retransmitAt, this.ackAt);
  }

  /** The unproven-peer limits apply now. */
  private get unprovenLimited(): boolean {
    return !this.proven && this.opts.unprovenRetransmits !== undefined && this.opts.unprovenRetransmits < this.opts.maxRetransmits;
  }

  private processAck(nr: number, now: Millis): void {
    let acked = 0;
    while (this.unacked.length > 0 && seqBefore(this.unacked[0]!.ns, nr)) {
      this.unacked.shift();
      acked++;
    }
    if (acked > 0) {
      this.proven = true;
      this.retries = 0;
      this.timeoutMs = this.opts.initialTimeoutMs;
      this.retransmitAt = this.unacked.length > 0 ? now + this.timeoutMs : undefined;
    }
  }

  private pump(now: Millis, out: ReliableOutput[]): void {
    while (this.pending.length > 0 && this.unacked.length < this.opts.peerReceiveWindow) {
      const m = this.pending.shift()!;
      this.unacked.push(m);
      this.stats.sent++;
      out.push({ kind: 'send', bytes: this.frame(m) });
      this.ackAt = undefined; // the ack rides on this message
      this.unackedDelivered = 0;
      this.retransmitAt ??= now + this.timeoutMs;
    }
  }

  private frame(m: Outgoing): Uint8Array {
    const out = new Uint8Array(12 + m.body.length);
    encodeL2tpHeaderInto({ isControl: true, tunnelId: this.peerTunnelId, sessionId: m.sessionId, ns: m.ns, nr: this.nr, priority: false }, m.body.length, out, 0);
    out.set(m.body, 12);
    return out;
  }

  private sendZlb(out: ReliableOutput[]): void {
    this.ackAt = undefined;
    this.unackedDelivered = 0;
    this.stats.zlbSent++;
    // §5.8: a ZLB does not take a slot in the Ns space; it carries the Ns the
    // next new message will take (Appendix B.2 shows Ns 2 after an unacked Ns 1).
    const nextNs = this.pending.length > 0 ? this.pending[0]!.ns : this.ns;
    const bytes = new Uint8Array(12);
    encodeL2tpHeaderInto({ isControl: true, tunnelId: this.peerTunnelId, sessionId: 0, ns: nextNs, nr: this.nr, priority: false }, 0, bytes, 0);
    out.push({ kind: 'send', bytes });
  }
}
