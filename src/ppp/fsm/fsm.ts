/**
 * The generic RFC 1661 option negotiation automaton, shared by LCP, IPCP,
 * IPV6CP and CCP. Read RFC 1661 §4 (the state table, events and actions)
 * and §5 (packet formats) before editing.
 *
 * Theory of operation
 * -------------------
 * One `Fsm` instance runs one control protocol. The protocol supplies a
 * `NegotiationHandler` (the lwIP fsm.h callback table: resetci, addci,
 * ackci, nakci, rejci, reqci, up, down, starting, finished, plus extcode
 * for protocol-specific packet codes). Callbacks return data — option
 * bytes, verdicts — and never send; the automaton turns them into `send`
 * outputs carrying the control packet (the PPP information field; the
 * session adds the PPP header).
 *
 * Events come from four sources: the lower layer (`lowerUp`/`lowerDown`),
 * the administrator (`open`/`close`), the restart timer (`timeout`), and
 * received packets (`receive`, which classifies them into RCR+/RCR-, RCA,
 * RCN, RTR, RTA, RUC, RXJ+/RXJ-, RXR). Each event is applied by a `switch`
 * on the state that mirrors one row of the §4.1 table; fsm.test.ts holds
 * that table as data and checks all 160 cells.
 *
 * The restart timer is data: `restartAt` (a deadline) and `restartCount`.
 * irc sets the count to Max-Configure (or Max-Terminate before a
 * Terminate-Request); every scr/str decrements it and re-arms the deadline.
 * `timeout(now)` fires TO+ while the count is above zero, TO- after.
 *
 * Choices where RFC 1661 leaves room, following pppd/lwIP fsm.c:
 * - A Configure-Ack/Nak/Reject must carry the Identifier of our latest
 *   Configure-Request, and only the first answer to a request counts; a
 *   duplicate answer (lossy links duplicate packets) is discarded instead of
 *   taken as the "crossed connection" RCA/RCN of Ack-Rcvd and Opened.
 * - Retransmissions (TO+) resend the same request bytes with the same
 *   Identifier; a fresh scr gets a new Identifier (RFC 1661 §5.1).
 * - The restart ("r") and passive ("p") options of the table are not
 *   implemented: Open in Stopped/Closing/Stopping/Opened changes nothing
 *   beyond the base transition, and TO- in Req-Sent… goes to Stopped.
 * - Max-Failure: after that many consecutive Configure-Naks sent, reqci
 *   is asked to Reject instead of Nak (RFC 1661 §4.6).
 * - Bound on the other side of the loop: after `maxNakReceived` Naks or
 *   Rejects without an Ack, the layer closes with a reason instead of
 *   negotiating forever.
 */
import { CP_CODE } from '../protocols.js';
import type { Millis, Output } from '../../core/machine.js';
import { encodeCpPacket, parseCpPacket, type CpPacket } from './packet.js';

/** RFC 1661 §4.2 state names. */
export type FsmState =
  | 'Initial' | 'Starting' | 'Closed' | 'Stopped' | 'Closing' | 'Stopping'
  | 'Req-Sent' | 'Ack-Rcvd' | 'Ack-Sent' | 'Opened';

/** All states in table order (0–9). */
export const FSM_STATES: readonly FsmState[] = [
  'Initial', 'Starting', 'Closed', 'Stopped', 'Closing', 'Stopping', 'Req-Sent', 'Ack-Rcvd', 'Ack-Sent', 'Opened',
];

/** Events the automaton reports to its owner. */
export type FsmEvent =
  /** tlu: the protocol reached Opened. */
  | { type: 'layer-up'; protocol: number }
  /** tld: the protocol left Opened. */
  | { type: 'layer-down'; protocol: number; reason: string }
  /** tls: the protocol needs the lower layer. */
  | { type: 'layer-started'; protocol: number }
  /** tlf: the protocol no longer needs the lower layer. */
  | { type: 'layer-finished'; protocol: number; reason: string };

/** Why the automaton discarded a packet (RFC 1661: "silently discarded"). */
export type CpDropReason =
  /** Header or Length field invalid. */
  | 'malformed'
  /** A packet arrived in Initial or Starting (lower layer down). */
  | 'not-ready'
  /** Ack/Nak/Reject whose Identifier is not our outstanding request's, or a duplicate answer. */
  | 'stale-identifier'
  /** Configure-Ack/Nak/Reject whose options do not match what we sent. */
  | 'bad-answer'
  /** A protocol-specific packet the handler judged invalid (bad Magic-Number, …). */
  | 'invalid';

/** Outputs of the automaton. */
export type FsmOutput = Output<FsmEvent, CpDropReason>;

/** Result of nakci/rejci: accepted, invalid (drop), or give up with a reason. */
export type CiResult = boolean | { close: string };

/** Our answer to a Configure-Request. */
export interface ReqciResult {
  code: typeof CP_CODE.CONFIGURE_ACK | typeof CP_CODE.CONFIGURE_NAK | typeof CP_CODE.CONFIGURE_REJECT;
  /** Options for the answer (for an Ack: the request's options unchanged). */
  options: Uint8Array;
}

/** What the handler made of a packet code the generic automaton does not know. */
export type ExtResult =
  /** Not a code of this protocol: RUC, send Code-Reject. */
  | { kind: 'unknown' }
  /** Handled; optionally answer with a packet (Identification needs none, Reset-Request gets Reset-Ack). */
  | { kind: 'handled'; reply?: CpPacket }
  /** Silently discard. */
  | { kind: 'drop'; detail: string }
  /** RXJ+ (permitted reject) or RXJ- (catastrophic reject, with reason). */
  | { kind: 'rxj+' }
  | { kind: 'rxj-'; reason: string }
  /** RXR: Echo-Request (reply with ser when Opened), Echo-Reply or Discard-Request. */
  | { kind: 'rxr'; reply?: CpPacket };

/**
 * The per-protocol callback table (lwIP `fsm_callbacks`). Every callback
 * returns data; none sends.
 */
export interface NegotiationHandler {
  /** Reset our wanted options before a new negotiation. */
  resetci(): void;
  /** The options of our next Configure-Request. */
  addci(): Uint8Array;
  /** Is this Configure-Ack an exact echo of our request? */
  ackci(options: Uint8Array): boolean;
  /** Adjust our wishes to a Configure-Nak. */
  nakci(options: Uint8Array): CiResult;
  /** Drop the rejected options from our wishes. */
  rejci(options: Uint8Array): CiResult;
  /** Judge the peer's Configure-Request; with `rejectIfDisagree`, Reject instead of Nak (Max-Failure). */
  reqci(options: Uint8Array, rejectIfDisagree: boolean): ReqciResult;
  /** tlu. */
  up(): void;
  /** tld. */
  down(): void;
  /** tls. */
  starting(): void;
  /** tlf. */
  finished(): void;
  /** A Code-Reject of a code beyond 1–7 arrived (RXJ+): stop using that code. */
  codeRejected?(code: number): void;
  /** Codes beyond 1–7; absent means every such code is unknown. */
  extcode?(packet: CpPacket, state: FsmState): ExtResult;
}

/** Counters and timer of RFC 1661 §4.6. */
export interface FsmOptions {
  /** Restart timer (default 3000 ms). */
  restartMs: number;
  /** Configure-Requests sent before giving up (default 10). */
  maxConfigure: number;
  /** Terminate-Requests sent before giving up (default 2). */
  maxTerminate: number;
  /** Configure-Naks sent before rejecting instead (default 5). */
  maxFailure: number;
  /** Naks/Rejects received without an Ack before closing (default 10). */
  maxNakReceived: number;
}

/** RFC 1661 §4.6 defaults. */
export const DEFAULT_FSM_OPTIONS: FsmOptions = { restartMs: 3000, maxConfigure: 10, maxTerminate: 2, maxFailure: 5, maxNakReceived: 10 };

/** Inputs of `Fsm.handle` (the Machine form). */
export type FsmInput =
  | { type: 'up' }
  | { type: 'down' }
  | { type: 'open' }
  | { type: 'close'; reason: string }
  | { type: 'timeout' }
  | { type: 'packet'; bytes: Uint8Array };

const MAX_CODE_REJECT_DATA = 1500 - 4;

/** One RFC 1661 automaton. */
export class Fsm {
  /** Current state. */
  state: FsmState = 'Initial';
  /** RFC 1661 §4.6 Restart counter. */
  restartCount = 0;
  /** Deadline of the restart timer, when it runs. */
  restartAt: Millis | undefined;
  /** Why the layer last went down or finished. */
  reason = '';
  private readonly opts: FsmOptions;
  private nextId = 1;
  private reqId = -1;
  private reqBytes: Uint8Array | undefined;
  private seenAnswer = false;
  private naksSent = 0;
  private naksReceived = 0;
  private termId = -1;

  constructor(
    /** PPP protocol number of this control protocol (0xc021 for LCP …). */
    readonly protocol: number,
    private readonly handler: NegotiationHandler,
    opts: Partial<FsmOptions> = {},
  ) {
    this.opts = { ...DEFAULT_FSM_OPTIONS, ...opts };
  }

  /** Machine form: one input, fresh outputs. */
  handle(input: FsmInput, now: Millis): FsmOutput[] {
    const out: FsmOutput[] = [];
    switch (input.type) {
      case 'up': this.lowerUp(now, out); break;
      case 'down': this.lowerDown(now, out); break;
      case 'open': this.open(now, out); break;
      case 'close': this.close(input.reason, now, out); break;
      case 'timeout': this.timeout(now, out); break;
      case 'packet': this.receive(input.bytes, now, out); break;
    }
    return out;
  }

  /** When `timeout` must be called next. */
  nextDeadline(): Millis | undefined {
    return this.restartAt;
  }

  /** Identifier of our outstanding Configure-Request (-1 before the first). */
  get requestId(): number {
    return this.reqId;
  }

  /** Identifier of our last Terminate-Request (-1 before the first). */
  get terminateId(): number {
    return this.termId;
  }

  /** True in Opened. */
  get isOpened(): boolean {
    return this.state === 'Opened';
  }

  // ---- actions (RFC 1661 §4.4) ----

  private tlu(out: FsmOutput[]): void {
    this.handler.up();
    out.push({ kind: 'event', event: { type: 'layer-up', protocol: this.protocol } });
  }

  private tld(out: FsmOutput[], reason: string): void {
    this.reason = reason;
    this.handler.down();
    out.push({ kind: 'event', event: { type: 'layer-down', protocol: this.protocol, reason } });
  }

  private tls(out: FsmOutput[]): void {
    this.handler.starting();
    out.push({ kind: 'event', event: { type: 'layer-started', protocol: this.protocol } });
  }

  private tlf(out: FsmOutput[], reason: string): void {
    this.reason = reason;
    this.handler.finished();
    out.push({ kind: 'event', event: { type: 'layer-finished', protocol: this.protocol, reason } });
  }

  private irc(forTerminate: boolean): void {
    this.restartCount = forTerminate ? this.opts.maxTerminate : this.opts.maxConfigure;
  }

  private zrc(now: Millis): void {
    this.restartCount = 0;
    this.restartAt = now + this.opts.restartMs;
  }

  private send(out: FsmOutput[], code: number, identifier: number, data: Uint8Array): void {
    out.push({ kind: 'send', proto: this.protocol, bytes: encodeCpPacket({ code, identifier, data }) });
  }

  /** scr: a fresh request (new Identifier) unless `retransmit`. */
  private scr(now: Millis, out: FsmOutput[], retransmit = false): void {
    const negotiating = this.state === 'Req-Sent' || this.state === 'Ack-Rcvd' || this.state === 'Ack-Sent';
    if (!negotiating) {
      // Not negotiating yet: start from our preferred options again.
      this.handler.resetci();
      this.naksSent = 0;
      this.naksReceived = 0;
    }
    if (!retransmit || this.reqBytes === undefined) {
      this.reqId = this.takeId();
      this.reqBytes = this.handler.addci();
    }
    this.seenAnswer = false;
    this.restartCount--;
    this.restartAt = now + this.opts.restartMs;
    this.send(out, CP_CODE.CONFIGURE_REQUEST, this.reqId, this.reqBytes);
  }

  private str(now: Millis, out: FsmOutput[]): void {
    this.termId = this.takeId();
    this.restartCount--;
    this.restartAt = now + this.opts.restartMs;
    this.send(out, CP_CODE.TERMINATE_REQUEST, this.termId, new Uint8Array(0));
  }

  private sta(out: FsmOutput[], identifier: number): void {
    this.send(out, CP_CODE.TERMINATE_ACK, identifier, new Uint8Array(0));
  }

  private scj(out: FsmOutput[], rejected: Uint8Array): void {
    this.send(out, CP_CODE.CODE_REJECT, this.takeId(), rejected.subarray(0, MAX_CODE_REJECT_DATA));
  }

  private takeId(): number {
    const id = this.nextId;
    this.nextId = (this.nextId + 1) & 0xff;
    return id;
  }

  /** Moves to `next`, stopping the timer when `next` does not run it. */
  private to(next: FsmState): void {
    this.state = next;
    if (next === 'Initial' || next === 'Starting' || next === 'Closed' || next === 'Stopped' || next === 'Opened') this.restartAt = undefined;
  }

  // ---- events (RFC 1661 §4.3), one table row each ----

  /** Up: the lower layer is ready. */
  lowerUp(now: Millis, out: FsmOutput[]): void {
    switch (this.state) {
      case 'Initial': this.to('Closed'); break;
      case 'Starting': this.irc(false); this.scr(now, out); this.to('Req-Sent'); break;
      default: break; // '-': cannot happen; ignored.
    }
  }

  /** Down: the lower layer went away. */
  lowerDown(_now: Millis, out: FsmOutput[]): void {
    switch (this.state) {
      case 'Closed': this.to('Initial'); break;
      case 'Stopped': this.tls(out); this.to('Starting'); break;
      case 'Closing': this.to('Initial'); break;
      case 'Stopping': case 'Req-Sent': case 'Ack-Rcvd': case 'Ack-Sent': this.to('Starting'); break;
      case 'Opened': this.tld(out, 'lower layer down'); this.to('Starting'); break;
      default: break;
    }
  }

  /** Open: the administrator allows the link. */
  open(now: Millis, out: FsmOutput[]): void {
    switch (this.state) {
      case 'Initial': this.tls(out); this.to('Starting'); break;
      case 'Closed': this.irc(false); this.scr(now, out); this.to('Req-Sent'); break;
      case 'Closing': this.to('Stopping'); break;
      default: break; // Starting, Stopped, Stopping, Req-Sent…Opened: no change.
    }
  }

  /** Close: the administrator (or a handler that gave up) takes the link down. */
  close(reason: string, now: Millis, out: FsmOutput[]): void {
    switch (this.state) {
      case 'Starting': this.tlf(out, reason); this.to('Initial'); break;
      case 'Stopped': this.to('Closed'); break;
      case 'Stopping': this.to('Closing'); break;
      case 'Req-Sent': case 'Ack-Rcvd': case 'Ack-Sent':
        this.reason = reason;
        this.irc(true); this.str(now, out); this.to('Closing'); break;
      case 'Opened': this.tld(out, reason); this.irc(true); this.str(now, out); this.to('Closing'); break;
      default: break; // Initial, Closed, Closing: no change.
    }
  }

  /** Restart timer check: fires TO+ or TO- when `now` reached the deadline. */
  timeout(now: Millis, out: FsmOutput[]): void {
    if (this.restartAt === undefined || now < this.restartAt) return;
    if (this.restartCount > 0) {
      switch (this.state) {
        case 'Closing': case 'Stopping': this.str(now, out); break;
        case 'Req-Sent': case 'Ack-Rcvd': this.scr(now, out, true); this.to('Req-Sent'); break;
        case 'Ack-Sent': this.scr(now, out, true); break;
        default: this.restartAt = undefined; break;
      }
      return;
    }
    switch (this.state) {
      case 'Closing': this.tlf(out, this.reason || 'closed'); this.to('Closed'); break;
      case 'Stopping': this.tlf(out, this.reason || 'stopped'); this.to('Stopped'); break;
      case 'Req-Sent': case 'Ack-Rcvd': case 'Ack-Sent':
        this.tlf(out, 'no answer to Configure-Request (Max-Configure reached)'); this.to('Stopped'); break;
      default: this.restartAt = undefined; break;
    }
  }

  /** A control packet (the PPP information field) for this protocol. */
  receive(bytes: Uint8Array, now: Millis, out: FsmOutput[]): void {
    const p = parseCpPacket(bytes);
    if (!p.ok) {
      out.push({ kind: 'drop', reason: 'malformed', detail: `${p.error.code} at ${p.error.offset}` });
      return;
    }
    if (this.state === 'Initial' || this.state === 'Starting') {
      out.push({ kind: 'drop', reason: 'not-ready', detail: `code ${p.value.code} in ${this.state}` });
      return;
    }
    const pkt = p.value;
    switch (pkt.code) {
      case CP_CODE.CONFIGURE_REQUEST: this.rcr(pkt, now, out); break;
      case CP_CODE.CONFIGURE_ACK: this.rca(pkt, now, out); break;
      case CP_CODE.CONFIGURE_NAK: case CP_CODE.CONFIGURE_REJECT: this.rcn(pkt, now, out); break;
      case CP_CODE.TERMINATE_REQUEST: this.rtr(pkt, now, out); break;
      case CP_CODE.TERMINATE_ACK: this.rta(now, out); break;
      case CP_CODE.CODE_REJECT: {
        // RFC 1661 §5.6: a Code-Reject of a code we need (1–7) is catastrophic.
        const rejected = pkt.data[0];
        if (rejected === undefined) out.push({ kind: 'drop', reason: 'malformed', detail: 'empty Code-Reject' });
        else if (rejected >= 1 && rejected <= 7) this.rxjMinus(`peer rejected code ${rejected}`, now, out);
        else {
          this.handler.codeRejected?.(rejected);
          this.rxjPlus();
        }
        break;
      }
      default: {
        const r: ExtResult = this.handler.extcode ? this.handler.extcode(pkt, this.state) : { kind: 'unknown' };
        switch (r.kind) {
          case 'unknown': this.ruc(bytes.subarray(0, p.bytesRead), out); break;
          case 'handled': if (r.reply) this.send(out, r.reply.code, r.reply.identifier, r.reply.data); break;
          case 'drop': out.push({ kind: 'drop', reason: 'invalid', detail: r.detail }); break;
          case 'rxj+': this.rxjPlus(); break;
          case 'rxj-': this.rxjMinus(r.reason, now, out); break;
          case 'rxr': if (this.state === 'Opened' && r.reply) this.send(out, r.reply.code, r.reply.identifier, r.reply.data); break;
        }
      }
    }
  }

  private rcr(pkt: CpPacket, now: Millis, out: FsmOutput[]): void {
    switch (this.state) {
      case 'Closed': this.sta(out, pkt.identifier); return;
      case 'Closing': case 'Stopping': return;
      default: break;
    }
    if (this.state === 'Stopped') { this.irc(false); this.scr(now, out); }
    else if (this.state === 'Opened') { this.tld(out, 'peer renegotiates'); this.scr(now, out); }
    const verdict = this.handler.reqci(pkt.data, this.naksSent >= this.opts.maxFailure);
    const good = verdict.code === CP_CODE.CONFIGURE_ACK;
    this.send(out, verdict.code, pkt.identifier, verdict.options);
    if (verdict.code === CP_CODE.CONFIGURE_NAK) this.naksSent++;
    switch (this.state) {
      case 'Stopped': case 'Req-Sent': case 'Ack-Sent': case 'Opened': this.to(good ? 'Ack-Sent' : 'Req-Sent'); break;
      case 'Ack-Rcvd':
        if (good) { this.to('Opened'); this.tlu(out); }
        break;
      default: break;
    }
  }

  /** An answer to our request counts once, and only for our latest Identifier. */
  private validAnswer(pkt: CpPacket, out: FsmOutput[]): boolean {
    if (pkt.identifier !== this.reqId || this.seenAnswer) {
      out.push({ kind: 'drop', reason: 'stale-identifier', detail: `code ${pkt.code} id ${pkt.identifier}, expected ${this.reqId}` });
      return false;
    }
    return true;
  }

  private rca(pkt: CpPacket, now: Millis, out: FsmOutput[]): void {
    switch (this.state) {
      case 'Closed': case 'Stopped': this.sta(out, pkt.identifier); return;
      case 'Closing': case 'Stopping': return;
      default: break;
    }
    if (!this.validAnswer(pkt, out)) return;
    if (!this.handler.ackci(pkt.data)) {
      out.push({ kind: 'drop', reason: 'bad-answer', detail: 'Configure-Ack does not echo our request' });
      return;
    }
    this.seenAnswer = true;
    this.naksReceived = 0;
    switch (this.state) {
      case 'Req-Sent': this.irc(false); this.to('Ack-Rcvd'); break;
      case 'Ack-Rcvd': this.scr(now, out); this.to('Req-Sent'); break;
      case 'Ack-Sent': this.irc(false); this.to('Opened'); this.tlu(out); break;
      case 'Opened': this.tld(out, 'crossed Configure-Ack'); this.scr(now, out); this.to('Req-Sent'); break;
      default: break;
    }
  }

  private rcn(pkt: CpPacket, now: Millis, out: FsmOutput[]): void {
    switch (this.state) {
      case 'Closed': case 'Stopped': this.sta(out, pkt.identifier); return;
      case 'Closing': case 'Stopping': return;
      default: break;
    }
    if (!this.validAnswer(pkt, out)) return;
    const r = pkt.code === CP_CODE.CONFIGURE_NAK ? this.handler.nakci(pkt.data) : this.handler.rejci(pkt.data);
    if (r === false) {
      out.push({ kind: 'drop', reason: 'bad-answer', detail: `Configure-${pkt.code === CP_CODE.CONFIGURE_NAK ? 'Nak' : 'Reject'} does not match our request` });
      return;
    }
    this.seenAnswer = true;
    if (r !== true) { this.close(r.close, now, out); return; }
    if (++this.naksReceived > this.opts.maxNakReceived) {
      this.close('peer keeps refusing our options (Configure-Nak/Reject loop)', now, out);
      return;
    }
    switch (this.state) {
      case 'Req-Sent': this.irc(false); this.scr(now, out); break;
      case 'Ack-Rcvd': this.scr(now, out); this.to('Req-Sent'); break;
      case 'Ack-Sent': this.irc(false); this.scr(now, out); break;
      case 'Opened': this.tld(out, 'crossed Configure-Nak'); this.scr(now, out); this.to('Req-Sent'); break;
      default: break;
    }
  }

  private rtr(pkt: CpPacket, now: Millis, out: FsmOutput[]): void {
    switch (this.state) {
      case 'Opened':
        this.tld(out, 'peer sent Terminate-Request');
        this.zrc(now);
        this.sta(out, pkt.identifier);
        this.state = 'Stopping';
        break;
      case 'Ack-Rcvd': case 'Ack-Sent':
        this.sta(out, pkt.identifier); this.to('Req-Sent'); break;
      default: this.sta(out, pkt.identifier); break;
    }
  }

  private rta(now: Millis, out: FsmOutput[]): void {
    switch (this.state) {
      case 'Closing': this.tlf(out, this.reason || 'closed'); this.to('Closed'); break;
      case 'Stopping': this.tlf(out, this.reason || 'stopped'); this.to('Stopped'); break;
      case 'Ack-Rcvd': this.to('Req-Sent'); break;
      case 'Opened': this.tld(out, 'unexpected Terminate-Ack'); this.scr(now, out); this.to('Req-Sent'); break;
      default: break;
    }
  }

  private ruc(packet: Uint8Array, out: FsmOutput[]): void {
    this.scj(out, packet);
  }

  private rxjPlus(): void {
    if (this.state === 'Ack-Rcvd') this.to('Req-Sent');
  }

  private rxjMinus(reason: string, now: Millis, out: FsmOutput[]): void {
    switch (this.state) {
      case 'Closed': case 'Closing': this.tlf(out, reason); this.to('Closed'); break;
      case 'Stopped': case 'Stopping': case 'Req-Sent': case 'Ack-Rcvd': case 'Ack-Sent':
        this.tlf(out, reason); this.to('Stopped'); break;
      case 'Opened': this.tld(out, reason); this.irc(true); this.str(now, out); this.state = 'Stopping'; break;
      default: break;
    }
  }
}
