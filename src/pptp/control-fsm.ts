/**
 * The PPTP control connection (RFC 2637 §3.1), sans-I/O, for both ends of a
 * VPN: `role: 'server'` is the PAC that accepts TCP 1723, `role: 'client'`
 * is the PNS that connects (see call-fsm.ts for why a VPN client is a PNS).
 *
 * Theory of operation. The driver feeds TCP bytes (`data`), TCP state
 * (`tcp-open`, `tcp-closed`), local commands and `timeout` inputs; the
 * machine answers with `send` outputs (bytes for the TCP stream), `event`
 * outputs and `drop` outputs. It never reads a clock: every timer is a
 * deadline compared with the `now` passed in, and `nextDeadline()` says when
 * to call back. After a `control-down` event the driver writes the pending
 * sends and closes the TCP connection; later inputs are dropped.
 *
 *   Originator (client, §3.1.1): idle →(tcp-open, send SCCRQ) wait-ctl-reply
 *     →(SCCRP ok) established →(stop, send StopCCRQ) wait-stop-reply →(StopCCRP) closed
 *   Receiver (server, §3.1.2):   idle →(SCCRQ, send SCCRP) established → ... as above
 *   Either side in established: StopCCRQ received → send StopCCRP → closed.
 *
 * Timers (§3.1.4): 60 s to complete the handshake; after 60 s without a
 * received message an Echo-Request goes out, and without its Echo-Reply
 * 60 s later the connection is closed (`control-down` 'echo-timeout'); 60 s
 * for a Stop-Control-Connection-Reply. All are options.
 *
 * Errors: a framing error (wrong Magic Cookie, impossible Length) ends the
 * connection, as §1.4 requires. A message whose framing is sound but whose
 * content does not parse, or that does not fit the state, is dropped and
 * counted; §3 suggests closing the connection instead, but that would cut
 * every call on it for one odd message.
 *
 * Left out: the originator/receiver collision of §3.1.3 (a VPN server never
 * opens connections to its clients); Management messages.
 */
import type { Machine, Millis, Output } from '../core/machine.js';
import { type Rng, randomU32 } from '../core/rng.js';
import { LocalUsageError } from '../core/errors.js';
import {
  BEARER_CAP,
  type ControlConnectionParams,
  type ControlMessage,
  ECHO_RESULT,
  encodeControlMessage,
  FRAMING_CAP,
  GENERAL_ERROR,
  ICRP_RESULT,
  OCRP_RESULT,
  parseControlMessage,
  PPTP_TCP_PORT,
  PPTP_VERSION,
  SCCRP_RESULT,
  STOP_REASON,
  STOPCCRP_RESULT,
} from './control-codec.js';
import { ControlStreamFramer } from './control-stream.js';
import { type CallEvent, CallIdPool, type CallParams, type CallSink, PptpCall } from './call-fsm.js';

/** Control connection states (RFC 2637 §3.1 names). */
export type ControlState = 'idle' | 'wait-ctl-reply' | 'established' | 'wait-stop-reply' | 'closed';

/** Why the control connection ended. */
export type ControlDownReason =
  /** No Start-Control-Connection-Request/Reply within handshakeTimeoutMs (§3.1.4 item 1). */
  | 'handshake-timeout'
  /** No Echo-Reply within echoTimeoutMs of our Echo-Request (§3.1.4 item 2). */
  | 'echo-timeout'
  /** The peer sent Stop-Control-Connection-Request. */
  | 'peer-stop'
  /** We stopped (and the peer replied, or we were not established yet). */
  | 'local-stop'
  /** We sent Stop-Control-Connection-Request and no reply came. */
  | 'stop-timeout'
  /** The Start-Control-Connection-Reply refused us (result code in `detail`). */
  | 'rejected'
  /** The peer's protocol version is not one we speak. */
  | 'version-unsupported'
  /** The TCP stream lost synchronisation (bad cookie or length, §1.4). */
  | 'framing-error'
  /** The TCP connection closed underneath us. */
  | 'tcp-closed';

/** Why an input was dropped. */
export type ControlDropReason =
  /** The framer cut a whole message but it did not parse (Length wrong for its type, bad field). */
  | 'malformed-message'
  /** A Management message or an unknown Control Message Type. */
  | 'unsupported-message'
  /** A message that does not fit the connection's state or our role. */
  | 'unexpected-message'
  /** A call message naming a Call ID that has no call here. */
  | 'unknown-call'
  /** An Echo-Reply with no Echo-Request outstanding or with another Identifier. */
  | 'echo-reply-mismatch'
  /** Input after the control connection ended. */
  | 'after-close'
  /** A local command that cannot be carried out now (not established, at maxCalls, unknown call). */
  | 'command-ignored';

/** The connection is established; `peer` is what the peer announced. */
export interface ControlUp {
  type: 'control-up';
  peer: ControlConnectionParams;
}

/** The connection ended; the driver closes TCP after writing pending sends. */
export interface ControlDown {
  type: 'control-down';
  reason: ControlDownReason;
  detail?: string;
}

/** Everything the control machine reports. */
export type PptpEvent = ControlUp | ControlDown | CallEvent;

/** Inputs: TCP events, bytes, timeouts and local commands. */
export type ControlInput =
  /** The TCP connection is up: the client sends SCCRQ, the server starts its handshake timer. */
  | { type: 'tcp-open' }
  /** Bytes from the TCP stream. */
  | { type: 'data'; bytes: Uint8Array }
  /** The TCP connection closed (FIN or RST). */
  | { type: 'tcp-closed' }
  /** `now` reached `nextDeadline()`. */
  | { type: 'timeout' }
  /** Close the control connection (Stop-Control-Connection-Request, §2.3). */
  | { type: 'stop'; reason?: number }
  /** Place a call: OCRQ as client (PNS), ICRQ as server (PAC). `ref` comes back in `call-requested`. */
  | { type: 'open-call'; ref?: number }
  /** Clear a call: CCRQ as client, CDN as server. */
  | { type: 'close-call'; callId: number }
  /** Send Set-Link-Info for a call (the PNS does, after LCP settles the ACCM, §2.15). */
  | { type: 'set-link-info'; callId: number; sendAccm: number; receiveAccm: number };

/** Output of the control machine. */
export type ControlOutput = Output<PptpEvent, ControlDropReason>;

/** Options of a control connection. */
export interface PptpControlOptions {
  /** 'server' (PAC, accepts TCP 1723) or 'client' (PNS, connects). */
  role: 'server' | 'client';
  rng: Rng;
  /** Host Name sent in SCCRQ/SCCRP (64 octets at most). */
  hostName?: string;
  /** Vendor String sent in SCCRQ/SCCRP. */
  vendorName?: string;
  firmwareRevision?: number;
  /** Calls allowed at once on this connection (server default 64, client default 1). */
  maxCalls?: number;
  /** Packet Recv. Window Size we announce per call. */
  recvWindow?: number;
  /** Packet Processing Delay we announce, 1/10 s. */
  processingDelay?: number;
  /** Connect Speed we report as PAC, bit/s. */
  connectSpeed?: number;
  handshakeTimeoutMs?: Millis;
  /** Idle time before an Echo-Request. */
  echoIntervalMs?: Millis;
  /** Time to wait for the Echo-Reply. */
  echoTimeoutMs?: Millis;
  /** Time to wait for a Stop-Control-Connection-Reply. */
  stopTimeoutMs?: Millis;
  /** Time a call may stay in a Wait-* state. */
  callTimeoutMs?: Millis;
  /** A Call ID pool shared by every connection of a server (see CallIdPool); default: one per connection. */
  callIds?: CallIdPool;
}

/** RFC 2637 §3.1.4 and §3.2.1: 60 s for every expected reply. */
const DEFAULT_TIMEOUT_MS = 60_000;

/** One PPTP control connection. */
export class PptpControl implements Machine<ControlInput, PptpEvent, ControlDropReason> {
  state: ControlState = 'idle';
  /** What the peer announced in its SCCRQ/SCCRP. */
  peer: ControlConnectionParams | undefined;
  private readonly framer = new ControlStreamFramer();
  private readonly calls = new Map<number, PptpCall>();
  /** Our Call ID by the peer's Call ID, for CCRQ and CDN which carry the peer's. */
  private readonly byPeerCallId = new Map<number, PptpCall>();
  private readonly pool: CallIdPool;
  private readonly callParams: CallParams;
  private readonly maxCalls: number;
  private handshakeDeadline: Millis | undefined;
  private stopDeadline: Millis | undefined;
  private lastReceivedAt: Millis = 0;
  private echoId: number;
  private echoOutstanding: number | undefined;
  private echoDeadline: Millis | undefined;
  private serial = 0;
  private out: ControlOutput[] = [];
  private readonly sink: CallSink = {
    send: (msg) => this.send(msg),
    event: (e) => this.out.push({ kind: 'event', event: e }),
  };

  /** Throws LocalUsageError on impossible options (see checkControlOptions). */
  constructor(private readonly opts: PptpControlOptions) {
    checkControlOptions(opts);
    this.pool = opts.callIds ?? new CallIdPool(opts.rng);
    this.maxCalls = opts.maxCalls ?? (opts.role === 'server' ? 64 : 1);
    this.callParams = {
      recvWindow: opts.recvWindow ?? 64,
      processingDelay: opts.processingDelay ?? 0,
      connectSpeed: opts.connectSpeed ?? 100_000_000,
      callTimeoutMs: opts.callTimeoutMs ?? DEFAULT_TIMEOUT_MS,
    };
    this.echoId = randomU32(opts.rng);
  }

  /** Live calls on this connection. */
  get callCount(): number {
    return this.calls.size;
  }

  /** The call with our Call ID `callId`, if live. */
  call(callId: number): PptpCall | undefined {
    return this.calls.get(callId);
  }

  handle(input: ControlInput, now: Millis): ControlOutput[] {
    this.out = [];
    if (this.state === 'closed') {
      if (input.type !== 'timeout' && input.type !== 'tcp-closed') this.drop('after-close', input.type);
      return this.out;
    }
    switch (input.type) {
      case 'tcp-open':
        this.onTcpOpen(now);
        break;
      case 'data':
        this.onData(input.bytes, now);
        break;
      case 'tcp-closed':
        this.down('tcp-closed');
        break;
      case 'timeout':
        this.onTimeout(now);
        break;
      case 'stop':
        this.onStop(input.reason ?? STOP_REASON.STOP_LOCAL_SHUTDOWN, now);
        break;
      case 'open-call':
        this.onOpenCall(now, input.ref);
        break;
      case 'close-call': {
        const call = this.calls.get(input.callId);
        if (!call) this.drop('command-ignored', `close-call: no call ${input.callId}`);
        else {
          call.close(this.sink, now);
          this.reap(call);
        }
        break;
      }
      case 'set-link-info': {
        const call = this.calls.get(input.callId);
        if (!call || call.peerCallId === undefined) this.drop('command-ignored', `set-link-info: no call ${input.callId}`);
        else this.send({ type: 'SLI', peerCallId: call.peerCallId, sendAccm: input.sendAccm, receiveAccm: input.receiveAccm });
        break;
      }
    }
    return this.out;
  }

  nextDeadline(): Millis | undefined {
    let d: Millis | undefined;
    const min = (t: Millis | undefined): void => {
      if (t !== undefined && (d === undefined || t < d)) d = t;
    };
    switch (this.state) {
      case 'idle':
      case 'wait-ctl-reply':
        min(this.handshakeDeadline);
        break;
      case 'established':
        min(this.echoOutstanding !== undefined ? this.echoDeadline : this.lastReceivedAt + this.echoIntervalMs());
        break;
      case 'wait-stop-reply':
        min(this.stopDeadline);
        break;
      case 'closed':
        return undefined;
    }
    for (const c of this.calls.values()) min(c.deadline);
    return d;
  }

  private echoIntervalMs(): Millis {
    return this.opts.echoIntervalMs ?? DEFAULT_TIMEOUT_MS;
  }

  private localParams(): ControlConnectionParams {
    return {
      protocolVersion: PPTP_VERSION,
      framingCapabilities: FRAMING_CAP.ASYNC | FRAMING_CAP.SYNC,
      bearerCapabilities: BEARER_CAP.ANALOG | BEARER_CAP.DIGITAL,
      // §2.1: a PNS SHOULD send 0; a PAC states how many sessions it supports.
      maximumChannels: this.opts.role === 'server' ? Math.min(this.maxCalls, 0xffff) : 0,
      firmwareRevision: this.opts.firmwareRevision ?? 1,
      hostName: this.opts.hostName ?? '',
      vendorName: this.opts.vendorName ?? 'tunppp',
    };
  }

  private send(msg: ControlMessage): void {
    this.out.push({ kind: 'send', proto: PPTP_TCP_PORT, bytes: encodeControlMessage(msg) });
  }

  private drop(reason: ControlDropReason, detail?: string): void {
    this.out.push(detail === undefined ? { kind: 'drop', reason } : { kind: 'drop', reason, detail });
  }

  private down(reason: ControlDownReason, detail?: string): void {
    for (const call of this.calls.values()) {
      call.controlDown(this.sink);
      this.pool.release(call.callId);
    }
    this.calls.clear();
    this.byPeerCallId.clear();
    this.state = 'closed';
    this.out.push({ kind: 'event', event: detail === undefined ? { type: 'control-down', reason } : { type: 'control-down', reason, detail } });
  }

  private onTcpOpen(now: Millis): void {
    if (this.state !== 'idle' || this.handshakeDeadline !== undefined) {
      this.drop('command-ignored', 'tcp-open twice');
      return;
    }
    this.handshakeDeadline = now + (this.opts.handshakeTimeoutMs ?? DEFAULT_TIMEOUT_MS);
    if (this.opts.role === 'client') {
      this.send({ type: 'SCCRQ', ...this.localParams() });
      this.state = 'wait-ctl-reply';
    }
  }

  private onData(bytes: Uint8Array, now: Millis): void {
    const r = this.framer.push(bytes);
    for (const frame of r.frames) {
      if (this.state === 'closed') break;
      this.onFrame(frame, now);
    }
    if (r.error && this.state !== 'closed') {
      this.down('framing-error', `${r.error.code} ${r.error.field ?? ''} at stream offset ${r.error.offset}`);
    }
  }

  private onFrame(frame: Uint8Array, now: Millis): void {
    const p = parseControlMessage(frame);
    if (!p.ok) {
      const unsupported = p.error.code === 'UNSUPPORTED';
      this.drop(unsupported ? 'unsupported-message' : 'malformed-message', `${p.error.code} ${p.error.field ?? ''}`);
      return;
    }
    this.lastReceivedAt = now;
    const m = p.value;
    switch (m.type) {
      case 'SCCRQ':
        return this.onSccrq(m, now);
      case 'SCCRP':
        return this.onSccrp(m, now);
      case 'STOPCCRQ':
        this.send({ type: 'STOPCCRP', resultCode: STOPCCRP_RESULT.OK, errorCode: 0 });
        return this.down(this.state === 'wait-stop-reply' ? 'local-stop' : 'peer-stop', `reason ${m.reason}`);
      case 'STOPCCRP':
        if (this.state !== 'wait-stop-reply') return this.drop('unexpected-message', 'StopCCRP');
        return this.down('local-stop');
      case 'ECHORQ': {
        const ok = this.state === 'established' || this.state === 'wait-stop-reply';
        this.send({
          type: 'ECHORP', identifier: m.identifier, resultCode: ok ? ECHO_RESULT.OK : ECHO_RESULT.GENERAL_ERROR,
          errorCode: ok ? GENERAL_ERROR.NONE : GENERAL_ERROR.NOT_CONNECTED,
        });
        return;
      }
      case 'ECHORP':
        if (this.echoOutstanding === undefined || m.identifier !== this.echoOutstanding) return this.drop('echo-reply-mismatch', `identifier ${m.identifier}`);
        this.echoOutstanding = undefined;
        this.echoDeadline = undefined;
        return;
      default:
        return this.onCallMessage(m, now);
    }
  }

  private onSccrq(m: ControlConnectionParams, now: Millis): void {
    if (this.opts.role !== 'server') return this.drop('unexpected-message', 'SCCRQ to a client');
    if (this.state === 'established') {
      // §2.2 result 3: "Command channel already exists".
      this.send({ type: 'SCCRP', resultCode: SCCRP_RESULT.CHANNEL_EXISTS, errorCode: 0, ...this.localParams() });
      return;
    }
    if (this.state !== 'idle') return this.drop('unexpected-message', 'SCCRQ');
    if (m.protocolVersion < PPTP_VERSION) {
      // §3.1.2: an earlier version we cannot support gets a reply with an error, then the TCP close.
      this.send({ type: 'SCCRP', resultCode: SCCRP_RESULT.BAD_PROTOCOL_VERSION, errorCode: 0, ...this.localParams() });
      return this.down('version-unsupported', `peer version 0x${m.protocolVersion.toString(16)}`);
    }
    // §3.1.2: the same or a later peer version gets our version.
    this.send({ type: 'SCCRP', resultCode: SCCRP_RESULT.SUCCESS, errorCode: 0, ...this.localParams() });
    this.establish(m, now);
  }

  private onSccrp(m: ControlConnectionParams & { resultCode: number; errorCode: number }, now: Millis): void {
    if (this.state !== 'wait-ctl-reply') return this.drop('unexpected-message', 'SCCRP');
    if (m.resultCode !== SCCRP_RESULT.SUCCESS) return this.down('rejected', `result ${m.resultCode} error ${m.errorCode}`);
    if (m.protocolVersion < PPTP_VERSION) {
      // §3.1.1: an earlier version we do not support → Stop-Control-Connection-Request.
      this.send({ type: 'STOPCCRQ', reason: STOP_REASON.STOP_PROTOCOL });
      this.state = 'wait-stop-reply';
      this.stopDeadline = now + (this.opts.stopTimeoutMs ?? DEFAULT_TIMEOUT_MS);
      return;
    }
    this.establish(m, now);
  }

  private establish(m: ControlConnectionParams, now: Millis): void {
    const { protocolVersion, framingCapabilities, bearerCapabilities, maximumChannels, firmwareRevision, hostName, vendorName } = m;
    this.peer = { protocolVersion, framingCapabilities, bearerCapabilities, maximumChannels, firmwareRevision, hostName, vendorName };
    this.state = 'established';
    this.handshakeDeadline = undefined;
    this.lastReceivedAt = now;
    this.out.push({ kind: 'event', event: { type: 'control-up', peer: this.peer } });
  }

  private onCallMessage(m: ControlMessage, now: Millis): void {
    if (this.state !== 'established') {
      // §2.16 Not-Connected: answer call requests that arrive before the handshake.
      if (m.type === 'OCRQ') this.refuseOcrq(m.callId, GENERAL_ERROR.NOT_CONNECTED);
      else if (m.type === 'ICRQ') this.refuseIcrq(m.callId, GENERAL_ERROR.NOT_CONNECTED);
      else this.drop('unexpected-message', `${m.type} in ${this.state}`);
      return;
    }
    const server = this.opts.role === 'server';
    switch (m.type) {
      case 'OCRQ': {
        if (!server) return this.drop('unexpected-message', 'OCRQ to a client');
        // §3.2.2: a Call ID is unique on the connection; a second live call with it is Bad-Call ID.
        if (this.byPeerCallId.has(m.callId)) return this.refuseOcrq(m.callId, GENERAL_ERROR.BAD_CALL_ID);
        const call = this.newCall('pac', 'outgoing', m.callSerialNumber);
        if (!call) return this.refuseOcrq(m.callId, GENERAL_ERROR.NO_RESOURCE);
        call.acceptOutgoing(m, this.sink);
        this.byPeerCallId.set(m.callId, call);
        return;
      }
      case 'ICRQ': {
        if (server) return this.drop('unexpected-message', 'ICRQ to a server');
        if (this.byPeerCallId.has(m.callId)) return this.refuseIcrq(m.callId, GENERAL_ERROR.BAD_CALL_ID);
        const call = this.newCall('pns', 'incoming', m.callSerialNumber);
        if (!call) return this.refuseIcrq(m.callId, GENERAL_ERROR.NO_RESOURCE);
        call.acceptIncoming(m, this.sink, now);
        this.byPeerCallId.set(m.callId, call);
        return;
      }
      case 'OCRP':
      case 'ICRP': {
        const call = this.calls.get(m.peerCallId);
        if (!call) return this.drop('unknown-call', `${m.type} for ${m.peerCallId}`);
        const fits = m.type === 'OCRP' ? call.onOcrp(m, this.sink) : call.onIcrp(m, this.sink);
        if (!fits) return this.drop('unexpected-message', `${m.type} in call state ${call.state}`);
        if (call.peerCallId !== undefined) this.byPeerCallId.set(call.peerCallId, call);
        this.reap(call);
        return;
      }
      case 'ICCN': {
        const call = this.calls.get(m.peerCallId);
        if (!call) return this.drop('unknown-call', `ICCN for ${m.peerCallId}`);
        if (!call.onIccn(m, this.sink)) this.drop('unexpected-message', `ICCN in call state ${call.state}`);
        return;
      }
      case 'CCRQ':
      case 'CDN': {
        // CCRQ carries the PNS's Call ID, CDN the PAC's: both are the peer's ID here.
        const call = this.byPeerCallId.get(m.callId);
        if (!call) return this.drop('unknown-call', `${m.type} for peer call ${m.callId}`);
        const fits = m.type === 'CCRQ' ? call.onCcrq(this.sink) : call.onCdn(m, this.sink);
        if (!fits) return this.drop('unexpected-message', `${m.type} to a ${call.role}`);
        this.reap(call);
        return;
      }
      case 'SLI': {
        // Windows sends Set-Link-Info right after OCRP and again after LCP
        // (jamesmackerel-pptp-windows-session.pcapng: ACCM ffffffff/ffffffff,
        // then 00000000/ffffffff); a Microsoft PAC sends it to the PNS too
        // (ndpi-pptp.pcap), so both roles accept it.
        const call = this.calls.get(m.peerCallId);
        if (!call) return this.drop('unknown-call', `SLI for ${m.peerCallId}`);
        this.sink.event({ type: 'link-info', callId: call.callId, sendAccm: m.sendAccm, receiveAccm: m.receiveAccm });
        return;
      }
      case 'WEN': {
        const call = this.calls.get(m.peerCallId);
        if (!call) return this.drop('unknown-call', `WEN for ${m.peerCallId}`);
        const { crcErrors, framingErrors, hardwareOverruns, bufferOverruns, timeoutErrors, alignmentErrors } = m;
        this.sink.event({ type: 'wan-error', callId: call.callId, crcErrors, framingErrors, hardwareOverruns, bufferOverruns, timeoutErrors, alignmentErrors });
        return;
      }
      default:
        return this.drop('unexpected-message', m.type);
    }
  }

  private refuseOcrq(peerCallId: number, errorCode: number): void {
    this.send({
      type: 'OCRP', callId: 0, peerCallId, resultCode: OCRP_RESULT.GENERAL_ERROR, errorCode, causeCode: 0, connectSpeed: 0,
      packetRecvWindowSize: 0, packetProcessingDelay: 0, physicalChannelId: 0,
    });
  }

  private refuseIcrq(peerCallId: number, errorCode: number): void {
    this.send({ type: 'ICRP', callId: 0, peerCallId, resultCode: ICRP_RESULT.GENERAL_ERROR, errorCode, packetRecvWindowSize: 0, packetTransmitDelay: 0 });
  }

  private newCall(role: 'pac' | 'pns', direction: 'outgoing' | 'incoming', serial: number): PptpCall | undefined {
    if (this.calls.size >= this.maxCalls) return undefined;
    const id = this.pool.allocate();
    if (id === undefined) return undefined;
    const call = new PptpCall(id, role, direction, serial, this.callParams);
    this.calls.set(id, call);
    return call;
  }

  /** Forgets a call that went back to Idle and frees its ID. */
  private reap(call: PptpCall): void {
    if (call.state !== 'idle') return;
    this.calls.delete(call.callId);
    if (call.peerCallId !== undefined && this.byPeerCallId.get(call.peerCallId) === call) this.byPeerCallId.delete(call.peerCallId);
    this.pool.release(call.callId);
  }

  private onOpenCall(now: Millis, ref: number | undefined): void {
    if (this.state !== 'established') return this.drop('command-ignored', `open-call in ${this.state}`);
    this.serial = (this.serial + 1) & 0xffff;
    const call = this.newCall(this.opts.role === 'client' ? 'pns' : 'pac', this.opts.role === 'client' ? 'outgoing' : 'incoming', this.serial);
    if (!call) return this.drop('command-ignored', `open-call: ${this.calls.size} calls, no free Call ID or at maxCalls`);
    call.open(this.sink, now, ref);
  }

  private onStop(reason: number, now: Millis): void {
    if (this.state === 'wait-stop-reply') return;
    if (this.state !== 'established') return this.down('local-stop', 'before the handshake completed');
    // §2.3: Stop-Control-Connection-Request clears every call implicitly.
    for (const call of this.calls.values()) {
      call.controlDown(this.sink);
      this.pool.release(call.callId);
    }
    this.calls.clear();
    this.byPeerCallId.clear();
    this.send({ type: 'STOPCCRQ', reason });
    this.state = 'wait-stop-reply';
    this.stopDeadline = now + (this.opts.stopTimeoutMs ?? DEFAULT_TIMEOUT_MS);
  }

  private onTimeout(now: Millis): void {
    switch (this.state) {
      case 'idle':
      case 'wait-ctl-reply':
        if (this.handshakeDeadline !== undefined && now >= this.handshakeDeadline) return this.down('handshake-timeout');
        break;
      case 'wait-stop-reply':
        if (this.stopDeadline !== undefined && now >= this.stopDeadline) return this.down('stop-timeout');
        break;
      case 'established':
        if (this.echoOutstanding !== undefined) {
          if (this.echoDeadline !== undefined && now >= this.echoDeadline) return this.down('echo-timeout', `no Echo-Reply to ${this.echoOutstanding}`);
        } else if (now >= this.lastReceivedAt + this.echoIntervalMs()) {
          // §3.1.4 item 2: 60 s without a control message → Echo-Request.
          this.echoId = (this.echoId + 1) >>> 0;
          this.echoOutstanding = this.echoId;
          this.echoDeadline = now + (this.opts.echoTimeoutMs ?? DEFAULT_TIMEOUT_MS);
          this.send({ type: 'ECHORQ', identifier: this.echoId });
        }
        break;
      case 'closed':
        return;
    }
    for (const call of [...this.calls.values()]) {
      if (call.deadline !== undefined && now >= call.deadline) {
        call.timeout(this.sink, now);
        this.reap(call);
      }
    }
  }
}

/** Throws LocalUsageError when `opts` cannot work; the config layer can call it at startup to fail early. */
export function checkControlOptions(opts: PptpControlOptions): void {
  if (opts.maxCalls !== undefined && (!Number.isInteger(opts.maxCalls) || opts.maxCalls < 1 || opts.maxCalls > 0xffff)) {
    throw new LocalUsageError(`maxCalls must be 1..65535, not ${opts.maxCalls}`);
  }
  if (opts.recvWindow !== undefined && (!Number.isInteger(opts.recvWindow) || opts.recvWindow < 1 || opts.recvWindow > 0xffff)) {
    throw new LocalUsageError(`recvWindow must be 1..65535, not ${opts.recvWindow}`);
  }
}
