/**
 * One L2TP tunnel (control connection), sans-I/O (RFC 2661 §5.1, §7.2, §6).
 *
 * Theory of operation. The driver demultiplexes UDP datagrams by Tunnel ID,
 * parses the header and hands control messages here as
 * { type: 'packet', ns, nr, sessionId, body }. The reliable channel
 * (reliable.ts) turns them into in-order deliveries and acks; each delivered
 * body is decoded (message.ts) and dispatched: tunnel messages drive the
 * tunnel state, session messages go to the L2tpSessionFsm they name.
 * Everything we send goes out through the same channel, so Ns/Nr and
 * retransmission are never this file's concern.
 *
 *   LAC: idle --open/SCCRQ--> wait-ctl-reply --SCCRP/SCCCN--> established
 *   LNS: idle --SCCRQ/SCCRP--> wait-ctl-conn --SCCCN--> established
 *   any: StopCCN sent or received --> closing (acks the peer's retransmissions
 *        for one full retransmission cycle, §5.7) --> closed
 *
 * Tunnel authentication (§5.1.1): with a shared secret, a Challenge AVP in
 * SCCRQ/SCCRP must be answered in SCCRP/SCCCN with
 * MD5(message type ‖ secret ‖ challenge); a wrong answer ends the tunnel with
 * StopCCN result 4 (not authorized). An LNS may pick the secret per peer
 * from the Host Name AVP of the SCCRQ (`secretFor`, xl2tpd's l2tp-secrets);
 * AVPs hidden in that SCCRQ cannot be read then, since the secret is not yet
 * known (xl2tpd has the same order). An unknown AVP with the M bit ends the
 * session (CDN) or the tunnel (StopCCN) with result 2, error 8 (§4.2).
 * Keepalive: a HELLO goes out after `helloIntervalMs` without any message
 * from the peer (§6.5); if it is never acked the channel fails and the
 * tunnel goes down.
 *
 * Hostile peers. As an LNS the channel treats the SCCRQ's source as
 * unproven until the LAC acks our SCCRP (reliable.ts, "Unproven peers"): no
 * timer retransmissions toward it, one resend per retransmitted SCCRQ, freed
 * after 15 s. A datagram whose Nr acks what we never sent is dropped whole
 * (`bad-nr`) and does not count as hearing from the peer. Which address may
 * speak for a tunnel at all is the endpoint's business (endpoint.ts).
 *
 * Not done: the tie breaker for simultaneous SCCRQs (§4.4.3): as an LNS
 * for remote-access clients we never originate tunnels to the same peer.
 */
import { createHash } from 'node:crypto';
import type { Millis } from '../core/machine.js';
import { randomU16, type Rng } from '../core/rng.js';
import { CDN_RESULT, FRAMING, GENERAL_ERROR, MSG, SESSION_MESSAGES, STOPCCN_RESULT, messageName } from './constants.js';
import { encodeL2tpMessage, parseL2tpMessage, type L2tpMessage, type ResultCode } from './message.js';
import { ReliableChannel, type ReliableOptions } from './reliable.js';
import { L2tpSessionFsm } from './session-fsm.js';

/** Tunnel states. */
export type L2tpTunnelState = 'idle' | 'wait-ctl-reply' | 'wait-ctl-conn' | 'established' | 'closing' | 'closed';

/** Configuration of one tunnel. */
export interface L2tpTunnelOptions {
  role: 'lac' | 'lns';
  /** Our Assigned Tunnel ID (allocated by the driver's demux, never 0). */
  localTunnelId: number;
  hostName: string;
  vendorName?: string;
  /** Shared tunnel secret: enables tunnel authentication and hidden AVPs. */
  secret?: Uint8Array;
  /**
   * LNS without `secret`: the secret for the peer named by the SCCRQ's Host
   * Name AVP, or undefined when there is none for it.
   */
  secretFor?: (peerHostName: string) => Uint8Array | undefined;
  /**
   * Challenge the peer and refuse it unless it answers right. Default true
   * when `secret` is set. With `secretFor`, a peer without a secret is refused.
   */
  challengePeer?: boolean;
  helloIntervalMs?: number;
  /** How long a tunnel may take to reach established. */
  setupTimeoutMs?: number;
  maxSessions?: number;
  reliable?: Partial<ReliableOptions>;
}

/** What the tunnel reports. */
export type L2tpTunnelEvent =
  | { type: 'tunnel-up'; peerTunnelId: number; peerHostName: string; peerVendorName?: string }
  | { type: 'tunnel-down'; reason: string; result?: ResultCode }
  | { type: 'session-up'; sessionId: number; peerSessionId: number; sequencingRequired: boolean; info: Partial<L2tpMessage> }
  | { type: 'session-down'; sessionId: number; reason: string; result?: ResultCode }
  | { type: 'link-info'; sessionId: number; sendAccm: number; receiveAccm: number }
  /** Every session is gone and the hold time passed: the driver frees the tunnel ID. */
  | { type: 'closed' };

/** Why a control message was not acted on. */
export type L2tpTunnelDropReason =
  /** A reliable-layer drop: duplicate or out of window. */
  | 'duplicate'
  | 'duplicate-queued'
  | 'out-of-window'
  /** Nr acknowledges a message we never sent (reliable.ts): not from the peer. */
  | 'bad-nr'
  /** A message for a Session ID we do not have. */
  | 'unknown-session'
  /** A message that is not valid in the tunnel's state. */
  | 'unexpected-message'
  /** Arrived after the tunnel closed. */
  | 'tunnel-closed';

/** Inputs. */
export type L2tpTunnelInput =
  | { type: 'packet'; ns: number; nr: number; sessionId: number; body: Uint8Array }
  | { type: 'timeout' }
  /** LAC: start the tunnel (SCCRQ). */
  | { type: 'open' }
  | { type: 'close'; result?: ResultCode; reason?: string }
  /** LAC: place an incoming call; LNS: an outgoing call. The event carries the session ID. */
  | { type: 'open-session'; callSerialNumber?: number }
  | { type: 'close-session'; sessionId: number; result?: ResultCode; reason?: string };

/** One output. */
export type L2tpTunnelOutput =
  | { kind: 'send'; bytes: Uint8Array }
  | { kind: 'event'; event: L2tpTunnelEvent }
  | { kind: 'drop'; reason: L2tpTunnelDropReason; detail?: string };

/** §5.7: keep a closed tunnel this long to ack the peer's retransmitted StopCCN. */
const CLOSE_HOLD_MS = 31_000;

/** CHAP-style tunnel authentication response (§4.4.3, Challenge Response). */
export function tunnelChallengeResponse(messageType: number, secret: Uint8Array, challenge: Uint8Array): Uint8Array {
  return createHash('md5').update(Uint8Array.of(messageType)).update(secret).update(challenge).digest();
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/** One control connection and its sessions. */
export class L2tpTunnelFsm {
  state: L2tpTunnelState = 'idle';
  readonly channel: ReliableChannel;
  peerTunnelId = 0;
  peerHostName = '';
  readonly sessions = new Map<number, L2tpSessionFsm>();
  private readonly opts: Required<Omit<L2tpTunnelOptions, 'secret' | 'secretFor' | 'vendorName' | 'reliable'>> & L2tpTunnelOptions;
  /** The tunnel secret: `opts.secret`, or what `secretFor` gave for the peer. */
  private secret: Uint8Array | undefined;
  private ourChallenge: Uint8Array | undefined;
  private lastHeardAt: Millis | undefined;
  private setupDeadline: Millis | undefined;
  private closeAt: Millis | undefined;
  private callSerial = 0;

  constructor(
    opts: L2tpTunnelOptions,
    private readonly rng: Rng,
  ) {
    if (opts.localTunnelId <= 0 || opts.localTunnelId > 0xffff) throw new RangeError('localTunnelId must be 1..65535');
    this.opts = {
      helloIntervalMs: 60_000,
      setupTimeoutMs: 60_000,
      maxSessions: 1024,
      challengePeer: opts.secret !== undefined,
      ...opts,
    };
    this.secret = opts.secret;
    // LNS: an SCCRQ's source is unproven until the LAC acks our SCCRP; no reflection of
    // retransmissions toward it (reliable.ts, "Unproven peers").
    this.channel = new ReliableChannel(opts.role === 'lns' ? { unprovenRetransmits: 0, ...opts.reliable } : opts.reliable);
  }

  get localTunnelId(): number {
    return this.opts.localTunnelId;
  }

  /** Handles one input at time `now`. */
  handle(input: L2tpTunnelInput, now: Millis): L2tpTunnelOutput[] {
    const out: L2tpTunnelOutput[] = [];
    switch (input.type) {
      case 'packet':
        this.onPacket(input, now, out);
        break;
      case 'timeout':
        this.onTimeout(now, out);
        break;
      case 'open':
        if (this.state === 'idle' && this.opts.role === 'lac') {
          this.state = 'wait-ctl-reply';
          this.setupDeadline = now + this.opts.setupTimeoutMs;
          this.send(this.sccrqOrSccrp(MSG.SCCRQ, undefined), 0, now, out);
        }
        break;
      case 'close':
        this.stop(input.result ?? { result: STOPCCN_RESULT.GENERAL_REQUEST }, input.reason ?? 'administrative', now, out);
        break;
      case 'open-session':
        this.openSession(input.callSerialNumber, now, out);
        break;
      case 'close-session': {
        const s = this.sessions.get(input.sessionId);
        if (s) this.applySession(s, s.close(input.result, input.reason), now, out);
        break;
      }
    }
    this.finishIfDone(now, out);
    return out;
  }

  /** When the driver must call back with { type: 'timeout' }. */
  nextDeadline(): Millis | undefined {
    if (this.state === 'closed') return undefined;
    const ds: number[] = [];
    const c = this.channel.nextDeadline();
    if (c !== undefined) ds.push(c);
    if (this.setupDeadline !== undefined) ds.push(this.setupDeadline);
    if (this.closeAt !== undefined) ds.push(this.closeAt);
    if (this.state === 'established' && this.lastHeardAt !== undefined) ds.push(this.lastHeardAt + this.opts.helloIntervalMs);
    return ds.length ? Math.min(...ds) : undefined;
  }

  private onPacket(p: { ns: number; nr: number; sessionId: number; body: Uint8Array }, now: Millis, out: L2tpTunnelOutput[]): void {
    if (this.state === 'closed') {
      out.push({ kind: 'drop', reason: 'tunnel-closed' });
      return;
    }
    const rs = this.channel.receive(p.ns, p.nr, p.sessionId, p.body, now);
    // A datagram with an impossible Nr is not from the peer: it does not count as hearing from it.
    if (!rs.some((r) => r.kind === 'drop' && r.reason === 'bad-nr')) this.lastHeardAt = now;
    for (const r of rs) {
      if (r.kind === 'send') out.push(r);
      else if (r.kind === 'drop') out.push({ kind: 'drop', reason: r.reason, ...(r.detail !== undefined ? { detail: r.detail } : {}) });
      else if (r.kind === 'failed') this.channelFailed(out);
      else this.onMessage(r.sessionId, r.body, now, out);
    }
  }

  private onMessage(sessionId: number, body: Uint8Array, now: Millis, out: L2tpTunnelOutput[]): void {
    if (this.state === 'closing') return; // acked by the channel; nothing else to do (§5.7)
    const parsed = parseL2tpMessage(body, this.secret);
    if (!parsed.ok) {
      const e = parsed.error;
      const unknownMandatory = e.code === 'UNSUPPORTED' && e.field?.startsWith('mandatory-avp') === true;
      const result: ResultCode = { result: 2, error: unknownMandatory ? GENERAL_ERROR.UNKNOWN_MANDATORY_AVP : GENERAL_ERROR.BAD_LENGTH, message: `${e.code} ${e.field ?? ''}`.trim() };
      // The message type is the first AVP; read it raw to learn whether this was a session message.
      const type = body.length >= 8 ? (body[6]! << 8) | body[7]! : 0;
      const s = SESSION_MESSAGES.has(type) ? this.sessions.get(sessionId) : undefined;
      if (s) this.applySession(s, s.close({ ...result, result: CDN_RESULT.GENERAL_ERROR }, `bad ${messageName(type)}: ${result.message}`), now, out);
      else this.stop({ ...result, result: STOPCCN_RESULT.GENERAL_ERROR }, `bad ${messageName(type)}: ${result.message}`, now, out);
      return;
    }
    const msg = parsed.value;
    const t = msg.messageType;
    switch (t) {
      case MSG.SCCRQ:
        return this.onSccrq(msg, now, out);
      case MSG.SCCRP:
        return this.onSccrp(msg, now, out);
      case MSG.SCCCN:
        return this.onScccn(msg, out);
      case MSG.STOPCCN:
        return this.onStopccn(msg, now, out);
      case MSG.HELLO:
        return;
    }
    if (!SESSION_MESSAGES.has(t)) {
      out.push({ kind: 'drop', reason: 'unexpected-message', detail: messageName(t) });
      return;
    }
    if (this.state !== 'established') {
      out.push({ kind: 'drop', reason: 'unexpected-message', detail: `${messageName(t)} before the tunnel is up` });
      return;
    }
    if ((t === MSG.ICRQ && this.opts.role === 'lns') || (t === MSG.OCRQ && this.opts.role === 'lac')) {
      const s = this.newSession();
      if (!s) {
        // Answer with a CDN addressed to the peer's session (§6.12), then forget it.
        const peerSid = msg.assignedSessionId ?? 0;
        this.send({ messageType: MSG.CDN, resultCode: { result: CDN_RESULT.TEMPORARY_NO_FACILITIES, error: GENERAL_ERROR.INSUFFICIENT_RESOURCES, message: 'session limit reached' }, assignedSessionId: 0 }, peerSid, now, out);
        return;
      }
      this.applySession(s, s.receive(msg), now, out);
      return;
    }
    if (t === MSG.SLI && msg.accm) {
      const s = this.sessions.get(sessionId);
      if (s) out.push({ kind: 'event', event: { type: 'link-info', sessionId, sendAccm: msg.accm.sendAccm, receiveAccm: msg.accm.receiveAccm } });
      return;
    }
    const s = this.sessions.get(sessionId);
    if (!s) {
      if (t !== MSG.CDN) out.push({ kind: 'drop', reason: 'unknown-session', detail: `${messageName(t)} for session ${sessionId}` });
      return;
    }
    this.applySession(s, s.receive(msg), now, out);
  }

  private onSccrq(msg: L2tpMessage, now: Millis, out: L2tpTunnelOutput[]): void {
    if (this.opts.role !== 'lns' || this.state !== 'idle') {
      out.push({ kind: 'drop', reason: 'unexpected-message', detail: `SCCRQ in state ${this.state}` });
      return;
    }
    if (!this.acceptPeer(msg, now, out)) return;
    if (!this.secret && this.opts.secretFor) this.secret = this.opts.secretFor(this.peerHostName);
    if (this.opts.challengePeer && !this.secret) {
      // xl2tpd refuses a peer it must challenge but has no secret for ("No secret on our side").
      const why = `tunnel authentication required; no tunnel secret for host name '${this.peerHostName}'`;
      this.stop({ result: STOPCCN_RESULT.NOT_AUTHORIZED, message: 'no tunnel secret for your host name' }, why, now, out);
      return;
    }
    if (msg.challenge && !this.secret) {
      this.stop({ result: STOPCCN_RESULT.NOT_AUTHORIZED, error: 0, message: 'peer asked for tunnel authentication; no secret configured' }, 'peer challenged us but no tunnel secret is configured', now, out);
      return;
    }
    this.state = 'wait-ctl-conn';
    this.setupDeadline = now + this.opts.setupTimeoutMs;
    this.send(this.sccrqOrSccrp(MSG.SCCRP, msg.challenge), 0, now, out);
  }

  private onSccrp(msg: L2tpMessage, now: Millis, out: L2tpTunnelOutput[]): void {
    if (this.opts.role !== 'lac' || this.state !== 'wait-ctl-reply') {
      out.push({ kind: 'drop', reason: 'unexpected-message', detail: `SCCRP in state ${this.state}` });
      return;
    }
    if (!this.acceptPeer(msg, now, out)) return;
    if (!this.checkResponse(msg, MSG.SCCRP, now, out)) return;
    if (msg.challenge && !this.secret) {
      this.stop({ result: STOPCCN_RESULT.NOT_AUTHORIZED, message: 'peer asked for tunnel authentication; no secret configured' }, 'peer challenged us but no tunnel secret is configured', now, out);
      return;
    }
    const scccn: L2tpMessage = { messageType: MSG.SCCCN };
    if (msg.challenge) scccn.challengeResponse = tunnelChallengeResponse(MSG.SCCCN, this.secret!, msg.challenge);
    this.send(scccn, 0, now, out);
    this.up(out);
  }

  private onScccn(msg: L2tpMessage, out: L2tpTunnelOutput[]): void {
    if (this.opts.role !== 'lns' || this.state !== 'wait-ctl-conn') {
      out.push({ kind: 'drop', reason: 'unexpected-message', detail: `SCCCN in state ${this.state}` });
      return;
    }
    if (!this.checkResponse(msg, MSG.SCCCN, 0, out)) return;
    this.up(out);
  }

  private onStopccn(msg: L2tpMessage, now: Millis, out: L2tpTunnelOutput[]): void {
    const r = msg.resultCode;
    const reason = `peer sent StopCCN${r ? ` (result ${r.result}${r.error !== undefined ? `, error ${r.error}` : ''}${r.message ? `: ${r.message}` : ''})` : ''}`;
    this.sessionsDown(reason, out);
    this.state = 'closing';
    this.setupDeadline = undefined;
    this.closeAt = now + CLOSE_HOLD_MS;
    // Ack at once: the peer holds its tunnel (and a LAC its exit) until this ack arrives.
    for (const a of this.channel.ackNow()) if (a.kind === 'send') out.push(a);
    out.push({ kind: 'event', event: r ? { type: 'tunnel-down', reason, result: r } : { type: 'tunnel-down', reason } });
  }

  /** Common checks of SCCRQ/SCCRP (§6.1, §6.2): version, tunnel ID, host name. */
  private acceptPeer(msg: L2tpMessage, now: Millis, out: L2tpTunnelOutput[]): boolean {
    if (msg.assignedTunnelId === undefined || msg.assignedTunnelId === 0) {
      this.stop({ result: STOPCCN_RESULT.GENERAL_ERROR, error: GENERAL_ERROR.OUT_OF_RANGE, message: 'no Assigned Tunnel ID' }, 'peer sent no Assigned Tunnel ID', now, out);
      return false;
    }
    this.peerTunnelId = msg.assignedTunnelId;
    this.channel.peerTunnelId = msg.assignedTunnelId;
    this.channel.setPeerReceiveWindow(msg.receiveWindowSize);
    this.peerHostName = msg.hostName ?? '';
    if (msg.protocolVersion && (msg.protocolVersion.version !== 1 || msg.protocolVersion.revision !== 0)) {
      this.stop({ result: STOPCCN_RESULT.BAD_PROTOCOL_VERSION, error: 0x0100, message: 'only L2TP version 1.0 (RFC 2661)' }, `peer speaks protocol version ${msg.protocolVersion.version}.${msg.protocolVersion.revision}`, now, out);
      return false;
    }
    return true;
  }

  /** Verifies the Challenge Response to our challenge, when we sent one. */
  private checkResponse(msg: L2tpMessage, type: number, now: Millis, out: L2tpTunnelOutput[]): boolean {
    if (!this.ourChallenge) return true;
    const expected = tunnelChallengeResponse(type, this.secret!, this.ourChallenge);
    if (msg.challengeResponse && equalBytes(msg.challengeResponse, expected)) return true;
    const why = msg.challengeResponse ? 'tunnel authentication failed: wrong Challenge Response (shared secrets differ)' : 'tunnel authentication failed: peer sent no Challenge Response';
    this.stop({ result: STOPCCN_RESULT.NOT_AUTHORIZED, message: why }, why, now, out);
    return false;
  }

  private sccrqOrSccrp(type: number, peerChallenge: Uint8Array | undefined): L2tpMessage {
    const m: L2tpMessage = {
      messageType: type,
      protocolVersion: { version: 1, revision: 0 },
      framingCapabilities: FRAMING.SYNC | FRAMING.ASYNC,
      bearerCapabilities: 0,
      firmwareRevision: 0x0100,
      hostName: this.opts.hostName,
      vendorName: this.opts.vendorName ?? 'tunppp',
      assignedTunnelId: this.opts.localTunnelId,
      receiveWindowSize: this.channel.opts.receiveWindow,
    };
    if (this.secret && this.opts.challengePeer) {
      this.ourChallenge = this.rng.bytes(16);
      m.challenge = this.ourChallenge;
    }
    if (peerChallenge && this.secret) m.challengeResponse = tunnelChallengeResponse(type, this.secret, peerChallenge);
    return m;
  }

  private up(out: L2tpTunnelOutput[]): void {
    this.state = 'established';
    this.setupDeadline = undefined;
    out.push({ kind: 'event', event: { type: 'tunnel-up', peerTunnelId: this.peerTunnelId, peerHostName: this.peerHostName } });
  }

  private newSession(): L2tpSessionFsm | undefined {
    if (this.sessions.size >= this.opts.maxSessions) return undefined;
    for (let tries = 0; tries < 64; tries++) {
      const id = randomU16(this.rng);
      if (id !== 0 && !this.sessions.has(id)) {
        const s = new L2tpSessionFsm(id, this.opts.role);
        this.sessions.set(id, s);
        return s;
      }
    }
    return undefined;
  }

  private openSession(serial: number | undefined, now: Millis, out: L2tpTunnelOutput[]): void {
    if (this.state !== 'established') {
      out.push({ kind: 'event', event: { type: 'session-down', sessionId: 0, reason: 'tunnel is not established' } });
      return;
    }
    const s = this.newSession();
    if (!s) {
      out.push({ kind: 'event', event: { type: 'session-down', sessionId: 0, reason: 'session limit reached' } });
      return;
    }
    this.callSerial = (this.callSerial + 1) >>> 0;
    this.applySession(s, s.open(serial ?? this.callSerial), now, out);
  }

  private applySession(s: L2tpSessionFsm, actions: ReturnType<L2tpSessionFsm['receive']>, now: Millis, out: L2tpTunnelOutput[]): void {
    for (const a of actions) {
      if (a.type === 'send') this.send(a.msg, s.peerSessionId, now, out);
      else if (a.type === 'up') out.push({ kind: 'event', event: { type: 'session-up', sessionId: s.sessionId, peerSessionId: s.peerSessionId, sequencingRequired: s.sequencingRequired, info: s.info } });
      else {
        this.sessions.delete(s.sessionId);
        out.push({ kind: 'event', event: a.result ? { type: 'session-down', sessionId: s.sessionId, reason: a.reason, result: a.result } : { type: 'session-down', sessionId: s.sessionId, reason: a.reason } });
      }
    }
  }

  private send(msg: L2tpMessage, sessionId: number, now: Millis, out: L2tpTunnelOutput[]): void {
    for (const r of this.channel.send(encodeL2tpMessage(msg), sessionId, now)) if (r.kind === 'send') out.push(r);
  }

  private stop(result: ResultCode, reason: string, now: Millis, out: L2tpTunnelOutput[]): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.sessionsDown(reason, out);
    const wasIdle = this.state === 'idle' && this.peerTunnelId === 0;
    this.state = 'closing';
    this.setupDeadline = undefined;
    this.closeAt = now + CLOSE_HOLD_MS;
    if (!wasIdle) this.send({ messageType: MSG.STOPCCN, assignedTunnelId: this.opts.localTunnelId, resultCode: result }, 0, now, out);
    out.push({ kind: 'event', event: { type: 'tunnel-down', reason, result } });
  }

  private sessionsDown(reason: string, out: L2tpTunnelOutput[]): void {
    for (const s of this.sessions.values()) {
      s.state = 'closed';
      out.push({ kind: 'event', event: { type: 'session-down', sessionId: s.sessionId, reason: `tunnel down: ${reason}` } });
    }
    this.sessions.clear();
  }

  private channelFailed(out: L2tpTunnelOutput[]): void {
    if (this.state === 'closed') return;
    const wasClosing = this.state === 'closing';
    this.sessionsDown('peer stopped acknowledging control messages', out);
    this.state = 'closed';
    this.closeAt = undefined;
    this.setupDeadline = undefined;
    if (!wasClosing) out.push({ kind: 'event', event: { type: 'tunnel-down', reason: 'peer stopped acknowledging control messages (retransmissions exhausted)' } });
    out.push({ kind: 'event', event: { type: 'closed' } });
  }

  private onTimeout(now: Millis, out: L2tpTunnelOutput[]): void {
    if (this.state === 'closed') return;
    for (const r of this.channel.timeout(now)) {
      if (r.kind === 'send') out.push(r);
      else if (r.kind === 'failed') {
        this.channelFailed(out);
        return;
      }
    }
    if (this.setupDeadline !== undefined && now >= this.setupDeadline) {
      this.stop({ result: STOPCCN_RESULT.GENERAL_ERROR, error: 0, message: 'control connection setup timed out' }, 'control connection setup timed out', now, out);
    }
    if (this.state === 'established' && this.lastHeardAt !== undefined && now >= this.lastHeardAt + this.opts.helloIntervalMs) {
      this.lastHeardAt = now; // one HELLO per quiet interval; the channel retransmits it
      this.send({ messageType: MSG.HELLO }, 0, now, out);
    }
  }

  private finishIfDone(now: Millis, out: L2tpTunnelOutput[]): void {
    if (this.state === 'closing' && this.closeAt !== undefined && now >= this.closeAt) {
      this.state = 'closed';
      this.closeAt = undefined;
      out.push({ kind: 'event', event: { type: 'closed' } });
    }
  }
}
