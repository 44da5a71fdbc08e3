/**
 * PPTP call state machines (RFC 2637 §3.2) and Call ID allocation (§3.2.2).
 *
 * Theory of operation. A call lives inside one control connection
 * (control-fsm.ts), which parses messages, finds the call they name and
 * calls one method here. Each method moves the call to its next state and
 * writes what to send and what to report into a `CallSink`. A call that
 * reaches Idle is finished: the control connection forgets it and returns
 * its Call ID to the pool.
 *
 * Roles, in VPN terms: the VPN client is the PNS (it sends
 * Outgoing-Call-Request and Set-Link-Info; tcpdump-pptp.pcap and the
 * jamesmackerel Windows capture show Windows doing this), the VPN server is
 * the PAC (it answers with Outgoing-Call-Reply and sends
 * Call-Disconnect-Notify).
 *
 *   PNS outgoing (§3.2.4.2): Idle →(send OCRQ) Wait-Reply →(OCRP ok) Established
 *                            →(local close, send CCRQ) Wait-Disconnect →(CDN) Idle
 *   PAC outgoing (§3.2.4.1): Idle →(OCRQ, send OCRP) Established
 *                            →(CCRQ or local close, send CDN) Idle
 *   PAC incoming (§3.2.3.1): Idle →(send ICRQ) Wait-Reply →(ICRP ok, send ICCN) Established
 *   PNS incoming (§3.2.3.2): Idle →(ICRQ, send ICRP) Wait-Connect →(ICCN) Established
 *
 * The PAC answers an Outgoing-Call-Request at once: there is no telephone
 * line to dial, so Wait-CS-Answer is never entered.
 *
 * Timers (§3.2.1): a call that stays in a Wait-* state for
 * `callTimeoutMs` (60 s) is cleared. The RFC asks to restart the whole
 * control connection in that case; we clear only the stuck call, so one
 * misbehaving call does not cut the others on a shared connection.
 */
import type { Millis } from '../core/machine.js';
import { type Rng, randomU16 } from '../core/rng.js';
import {
  BEARER_TYPE,
  CDN_RESULT,
  type ControlMessage,
  FRAMING_TYPE,
  ICRP_RESULT,
  type Iccn,
  type Icrp,
  type Icrq,
  OCRP_RESULT,
  type Ocrp,
  type Ocrq,
  type Cdn,
} from './control-codec.js';

/** Call states, named after RFC 2637 §3.2. */
export type CallState = 'idle' | 'wait-reply' | 'wait-connect' | 'established' | 'wait-disconnect';

/** Which end of the call we are: PAC (VPN server) or PNS (VPN client). */
export type CallRole = 'pac' | 'pns';

/** Why a call ended. */
export type CallDownReason =
  /** The peer refused the call (OCRP/ICRP with a result other than success). */
  | 'rejected'
  /** The peer sent Call-Disconnect-Notify (PNS side). */
  | 'peer-disconnect'
  /** The peer sent Call-Clear-Request (PAC side). */
  | 'peer-clear'
  /** We cleared the call and the peer confirmed, or we are the PAC and notified. */
  | 'local-close'
  /** A Wait-* state lasted longer than callTimeoutMs. */
  | 'timeout'
  /** The control connection ended, which clears every call (§2.3). */
  | 'control-down';

/** Parameters of an established call that the data plane needs. */
export interface CallUp {
  type: 'call-up';
  /** Our Call ID: the peer puts it in the GRE key of packets to us. */
  callId: number;
  /** The peer's Call ID: we put it in the GRE key of packets we send. */
  peerCallId: number;
  direction: 'outgoing' | 'incoming';
  callSerialNumber: number;
  /** Packet Recv. Window Size the peer announced (how many unacknowledged packets it buffers). */
  peerRecvWindow: number;
  /** Packet Processing Delay (or Transmit Delay) the peer announced, in 1/10 s. */
  peerProcessingDelay: number;
  /** Connect Speed in bit/s when the peer reported one. */
  connectSpeed?: number;
}

/** A call ended. */
export interface CallDown {
  type: 'call-down';
  callId: number;
  peerCallId?: number;
  reason: CallDownReason;
  resultCode?: number;
  errorCode?: number;
  causeCode?: number;
  /** Call Statistics text from a Call-Disconnect-Notify. */
  callStatistics?: string;
}

/** Set-Link-Info received: the ACCMs the PPP layer should use (§2.15). */
export interface LinkInfo {
  type: 'link-info';
  callId: number;
  sendAccm: number;
  receiveAccm: number;
}

/** WAN-Error-Notify received (§2.14): cumulative error counters for a call. */
export interface WanError {
  type: 'wan-error';
  callId: number;
  crcErrors: number;
  framingErrors: number;
  hardwareOverruns: number;
  bufferOverruns: number;
  timeoutErrors: number;
  alignmentErrors: number;
}

/** A locally requested call got its Call ID and its request is on the way. */
export interface CallRequested {
  type: 'call-requested';
  callId: number;
  /** The caller's tag from the open-call command. */
  ref?: number;
}

/** Everything a call reports. */
export type CallEvent = CallUp | CallDown | LinkInfo | WanError | CallRequested;

/** Where a call writes its sends and events. */
export interface CallSink {
  send(msg: ControlMessage): void;
  event(e: CallEvent): void;
}

/** What we announce for our end of each call. */
export interface CallParams {
  /** Packet Recv. Window Size we announce (default 64, as Windows and pptpd do in the captures). */
  recvWindow: number;
  /** Packet Processing Delay we announce, 1/10 s. */
  processingDelay: number;
  /** Connect Speed we report as PAC, bit/s. */
  connectSpeed: number;
  /** How long a Wait-* state may last. */
  callTimeoutMs: Millis;
}

/**
 * Call ID allocation (§3.2.2): each ID drawn from the Rng, never 0, never one
 * that is live. A server shares one pool across all control connections so
 * that two clients behind one NAT (same source address) never get the same
 * Call ID, which keeps the GRE demux key (address, Call ID) unique. Random,
 * not sequential: GRE toward a call must name its Call ID, and an off-path
 * host that spoofs the peer's address must not learn the next one from its
 * own call.
 *
 * `sequentialFrom` gives consecutive IDs from a base instead (a load
 * generator that must not collide with another one; never for a server).
 */
export class CallIdPool {
  private readonly live = new Set<number>();
  /** The next ID of a sequential pool. */
  private next: number | undefined;
  /** Where a full pool's scan for a free ID starts. */
  private cursor = 1;

  constructor(
    private readonly rng: Rng,
    opts: { sequentialFrom?: number } = {},
  ) {
    if (opts.sequentialFrom !== undefined) this.next = opts.sequentialFrom & 0xffff;
  }

  /** Live IDs. */
  get size(): number {
    return this.live.size;
  }

  /** A fresh non-zero ID not in use, or undefined when all 65535 are taken. */
  allocate(): number | undefined {
    if (this.live.size >= 0xffff) return undefined;
    let id = 0;
    if (this.next === undefined) for (let i = 0; i < 16 && (id === 0 || this.live.has(id)); i++) id = randomU16(this.rng);
    if (id === 0 || this.live.has(id)) {
      // Sequential, or a nearly full pool (16 picks all live): the next free ID after the last one given.
      id = this.next ?? this.cursor;
      while (id === 0 || this.live.has(id)) id = (id + 1) & 0xffff;
      if (this.next !== undefined) this.next = (id + 1) & 0xffff;
    }
    this.cursor = (id + 1) & 0xffff;
    this.live.add(id);
    return id;
  }

  /** True when `id` is allocated. */
  has(id: number): boolean {
    return this.live.has(id);
  }

  /** Returns `id` to the pool. */
  release(id: number): void {
    this.live.delete(id);
  }
}

/** One call on a control connection. */
export class PptpCall {
  state: CallState = 'idle';
  peerCallId: number | undefined;
  /** When the current Wait-* state gives up. */
  deadline: Millis | undefined;
  /** The peer's window and delay, once known. */
  peerRecvWindow = 0;
  peerProcessingDelay = 0;
  connectSpeed: number | undefined;

  constructor(
    readonly callId: number,
    readonly role: CallRole,
    readonly direction: 'outgoing' | 'incoming',
    readonly callSerialNumber: number,
    private readonly params: CallParams,
  ) {}

  /** PNS: place an outgoing call (§3.2.4.2 Idle → Wait-Reply). */
  open(sink: CallSink, now: Millis, ref?: number): void {
    if (this.role === 'pns') {
      sink.send({
        type: 'OCRQ', callId: this.callId, callSerialNumber: this.callSerialNumber, minimumBps: 300, maximumBps: 100_000_000,
        bearerType: BEARER_TYPE.ANY, framingType: FRAMING_TYPE.ANY, packetRecvWindowSize: this.params.recvWindow,
        packetProcessingDelay: this.params.processingDelay, phoneNumberLength: 0, phoneNumber: '', subaddress: '',
      });
    } else {
      // PAC: an incoming call (§3.2.3.1 Idle → Wait-Reply).
      sink.send({
        type: 'ICRQ', callId: this.callId, callSerialNumber: this.callSerialNumber, callBearerType: BEARER_TYPE.DIGITAL,
        physicalChannelId: 0, dialedNumberLength: 0, dialingNumberLength: 0, dialedNumber: '', dialingNumber: '', subaddress: '',
      });
    }
    this.state = 'wait-reply';
    this.deadline = now + this.params.callTimeoutMs;
    sink.event(ref === undefined ? { type: 'call-requested', callId: this.callId } : { type: 'call-requested', callId: this.callId, ref });
  }

  /** PAC: answer an Outgoing-Call-Request we accept (§3.2.4.1). */
  acceptOutgoing(req: Ocrq, sink: CallSink): void {
    this.peerCallId = req.callId;
    this.peerRecvWindow = req.packetRecvWindowSize;
    this.peerProcessingDelay = req.packetProcessingDelay;
    sink.send({
      type: 'OCRP', callId: this.callId, peerCallId: req.callId, resultCode: OCRP_RESULT.CONNECTED, errorCode: 0, causeCode: 0,
      connectSpeed: this.params.connectSpeed, packetRecvWindowSize: this.params.recvWindow,
      packetProcessingDelay: this.params.processingDelay, physicalChannelId: 0,
    });
    this.connectSpeed = this.params.connectSpeed;
    this.up(sink);
  }

  /** PNS: answer an Incoming-Call-Request we accept (§3.2.3.2 Idle → Wait-Connect). */
  acceptIncoming(req: Icrq, sink: CallSink, now: Millis): void {
    this.peerCallId = req.callId;
    sink.send({
      type: 'ICRP', callId: this.callId, peerCallId: req.callId, resultCode: ICRP_RESULT.CONNECT, errorCode: 0,
      packetRecvWindowSize: this.params.recvWindow, packetTransmitDelay: this.params.processingDelay,
    });
    this.state = 'wait-connect';
    this.deadline = now + this.params.callTimeoutMs;
  }

  /** PNS: Outgoing-Call-Reply for our request. Returns false when it does not fit the state. */
  onOcrp(m: Ocrp, sink: CallSink): boolean {
    if (this.role !== 'pns' || this.direction !== 'outgoing' || this.state !== 'wait-reply') return false;
    if (m.resultCode !== OCRP_RESULT.CONNECTED) {
      this.down(sink, 'rejected', { resultCode: m.resultCode, errorCode: m.errorCode, causeCode: m.causeCode });
      return true;
    }
    this.peerCallId = m.callId;
    this.peerRecvWindow = m.packetRecvWindowSize;
    this.peerProcessingDelay = m.packetProcessingDelay;
    this.connectSpeed = m.connectSpeed;
    this.up(sink);
    return true;
  }

  /** PAC: Incoming-Call-Reply for our request. */
  onIcrp(m: Icrp, sink: CallSink): boolean {
    if (this.role !== 'pac' || this.direction !== 'incoming' || this.state !== 'wait-reply') return false;
    if (m.resultCode !== ICRP_RESULT.CONNECT) {
      this.down(sink, 'rejected', { resultCode: m.resultCode, errorCode: m.errorCode });
      return true;
    }
    this.peerCallId = m.callId;
    this.peerRecvWindow = m.packetRecvWindowSize;
    this.peerProcessingDelay = m.packetTransmitDelay;
    this.connectSpeed = this.params.connectSpeed;
    sink.send({
      type: 'ICCN', peerCallId: m.callId, connectSpeed: this.params.connectSpeed, packetRecvWindowSize: this.params.recvWindow,
      packetTransmitDelay: this.params.processingDelay, framingType: FRAMING_TYPE.SYNC,
    });
    this.up(sink);
    return true;
  }

  /** PNS: Incoming-Call-Connected. */
  onIccn(m: Iccn, sink: CallSink): boolean {
    if (this.role !== 'pns' || this.state !== 'wait-connect') return false;
    this.peerRecvWindow = m.packetRecvWindowSize;
    this.peerProcessingDelay = m.packetTransmitDelay;
    this.connectSpeed = m.connectSpeed;
    this.up(sink);
    return true;
  }

  /** PAC: Call-Clear-Request; answer with Call-Disconnect-Notify (§3.2.4.1). */
  onCcrq(sink: CallSink): boolean {
    if (this.role !== 'pac') return false;
    this.sendCdn(sink, CDN_RESULT.REQUEST);
    this.down(sink, 'peer-clear', {});
    return true;
  }

  /** PNS: Call-Disconnect-Notify, in any state (§3.2.3.2, §3.2.4.2). */
  onCdn(m: Cdn, sink: CallSink): boolean {
    if (this.role !== 'pns') return false;
    const reason: CallDownReason = this.state === 'wait-disconnect' ? 'local-close' : 'peer-disconnect';
    this.down(sink, reason, { resultCode: m.resultCode, errorCode: m.errorCode, causeCode: m.causeCode, callStatistics: m.callStatistics });
    return true;
  }

  /** Local close: the PNS sends Call-Clear-Request and waits; the PAC notifies and is done. */
  close(sink: CallSink, now: Millis): void {
    if (this.state === 'idle' || this.state === 'wait-disconnect') return;
    if (this.role === 'pns') {
      sink.send({ type: 'CCRQ', callId: this.callId });
      this.state = 'wait-disconnect';
      this.deadline = now + this.params.callTimeoutMs;
      return;
    }
    this.sendCdn(sink, CDN_RESULT.ADMIN_SHUTDOWN);
    this.down(sink, 'local-close', {});
  }

  /** The deadline passed: give up on this call. */
  timeout(sink: CallSink, now: Millis): void {
    if (this.deadline === undefined || now < this.deadline) return;
    if (this.state === 'wait-reply' || this.state === 'wait-connect') {
      if (this.role === 'pns') sink.send({ type: 'CCRQ', callId: this.callId });
      else this.sendCdn(sink, CDN_RESULT.GENERAL_ERROR);
    }
    this.down(sink, 'timeout', {});
  }

  /** The control connection ended: the call ends without messages (§2.3). */
  controlDown(sink: CallSink): void {
    if (this.state !== 'idle') this.down(sink, 'control-down', {});
  }

  private sendCdn(sink: CallSink, resultCode: number): void {
    sink.send({ type: 'CDN', callId: this.callId, resultCode, errorCode: 0, causeCode: 0, callStatistics: '' });
  }

  private up(sink: CallSink): void {
    this.state = 'established';
    this.deadline = undefined;
    const e: CallUp = {
      type: 'call-up', callId: this.callId, peerCallId: this.peerCallId ?? 0, direction: this.direction,
      callSerialNumber: this.callSerialNumber, peerRecvWindow: this.peerRecvWindow, peerProcessingDelay: this.peerProcessingDelay,
    };
    if (this.connectSpeed !== undefined) e.connectSpeed = this.connectSpeed;
    sink.event(e);
  }

  private down(sink: CallSink, reason: CallDownReason, extra: Omit<CallDown, 'type' | 'callId' | 'reason' | 'peerCallId'>): void {
    this.state = 'idle';
    this.deadline = undefined;
    const e: CallDown = { type: 'call-down', callId: this.callId, reason, ...extra };
    if (this.peerCallId !== undefined) e.peerCallId = this.peerCallId;
    sink.event(e);
  }
}
