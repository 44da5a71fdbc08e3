/**
 * L2TP session (call) states (RFC 2661 §7.4), one object per session inside
 * a tunnel. The tunnel FSM owns the control channel and feeds each session
 * the messages addressed to it; this file only decides the session's state
 * and which message answers which.
 *
 * Incoming calls (the usual remote-access case: the LAC is the client):
 *   LAC: idle --open--> wait-reply (sent ICRQ) --ICRP--> established (sent ICCN)
 *   LNS: idle --ICRQ--> wait-connect (sent ICRP) --ICCN--> established
 * Outgoing calls (LNS asks the LAC to place a call):
 *   LNS: idle --open--> wait-reply (sent OCRQ) --OCRP--> wait-connect --OCCN--> established
 *   LAC: idle --OCRQ--> established after sending OCRP and OCCN
 * Either side: CDN → closed (an ack is the channel's job).
 *
 * Read RFC 2661 §7.4 before editing.
 */
import { CDN_RESULT, MSG } from './constants.js';
import type { L2tpMessage, ResultCode } from './message.js';

/** Session states (RFC 2661 §7.4.1–§7.4.4 names, simplified to what a state decides). */
export type L2tpSessionState = 'idle' | 'wait-reply' | 'wait-connect' | 'established' | 'closed';

/** What a session wants: a message to send, or a change to report. */
export type SessionAction =
  | { type: 'send'; msg: L2tpMessage }
  | { type: 'up' }
  | { type: 'down'; reason: string; result?: ResultCode };

/** One call in a tunnel. */
export class L2tpSessionFsm {
  state: L2tpSessionState = 'idle';
  /** The peer's Assigned Session ID (the Session ID we put in headers). */
  peerSessionId = 0;
  /** Serial number of the call, from ICRQ/OCRQ. */
  callSerialNumber = 0;
  /** What the peer told us of the call: calling/called numbers, proxy LCP, speeds, framing. */
  info: Partial<L2tpMessage> = {};
  /** True when the peer asked for sequenced data (Sequencing Required AVP, §4.4.6). */
  sequencingRequired = false;

  constructor(
    /** Our Assigned Session ID. */
    readonly sessionId: number,
    readonly role: 'lac' | 'lns',
  ) {}

  /** Local command: place a call (LAC: incoming call ICRQ; LNS: outgoing call OCRQ). */
  open(callSerialNumber: number, calledNumber?: string): SessionAction[] {
    if (this.state !== 'idle') return [];
    this.callSerialNumber = callSerialNumber;
    this.state = 'wait-reply';
    const msg: L2tpMessage = { messageType: this.role === 'lac' ? MSG.ICRQ : MSG.OCRQ, assignedSessionId: this.sessionId, callSerialNumber };
    if (this.role === 'lac') msg.bearerType = 0;
    else {
      msg.minimumBps = 0;
      msg.maximumBps = 1_000_000_000;
      msg.bearerType = 3;
      msg.framingType = 3;
      msg.calledNumber = calledNumber ?? '';
    }
    return [{ type: 'send', msg }];
  }

  /** Local command: hang up with a CDN. */
  close(result: ResultCode = { result: CDN_RESULT.ADMIN }, reason = 'administrative'): SessionAction[] {
    if (this.state === 'closed') return [];
    const wasOpen = this.state !== 'idle';
    this.state = 'closed';
    const out: SessionAction[] = [];
    if (wasOpen || this.peerSessionId !== 0) out.push({ type: 'send', msg: { messageType: MSG.CDN, resultCode: result, assignedSessionId: this.sessionId } });
    out.push({ type: 'down', reason, result });
    return out;
  }

  /** A control message for this session. */
  receive(msg: L2tpMessage): SessionAction[] {
    const t = msg.messageType;
    if (t === MSG.CDN) {
      if (this.state === 'closed') return [];
      this.state = 'closed';
      const reason = `peer sent CDN${msg.resultCode ? ` (result ${msg.resultCode.result}${msg.resultCode.error !== undefined ? `, error ${msg.resultCode.error}` : ''}${msg.resultCode.message ? `: ${msg.resultCode.message}` : ''})` : ''}`;
      return msg.resultCode ? [{ type: 'down', reason, result: msg.resultCode }] : [{ type: 'down', reason }];
    }
    if (t === MSG.WEN || t === MSG.SLI || t === MSG.ZLB) return [];
    switch (this.state) {
      case 'idle':
        if (this.role === 'lns' && t === MSG.ICRQ) return this.answerIcrq(msg);
        if (this.role === 'lac' && t === MSG.OCRQ) return this.answerOcrq(msg);
        break;
      case 'wait-reply':
        if (this.role === 'lac' && t === MSG.ICRP) {
          if (msg.assignedSessionId === undefined || msg.assignedSessionId === 0) return this.fail('ICRP without Assigned Session ID');
          this.peerSessionId = msg.assignedSessionId;
          this.state = 'established';
          // §6.9: ICCN carries the connect speed and framing type.
          const iccn: L2tpMessage = { messageType: MSG.ICCN, txConnectSpeed: 100_000_000, framingType: 1 };
          return [{ type: 'send', msg: iccn }, { type: 'up' }];
        }
        if (this.role === 'lns' && t === MSG.OCRP) {
          if (msg.assignedSessionId === undefined || msg.assignedSessionId === 0) return this.fail('OCRP without Assigned Session ID');
          this.peerSessionId = msg.assignedSessionId;
          this.state = 'wait-connect';
          return [];
        }
        break;
      case 'wait-connect':
        if (this.role === 'lns' && (t === MSG.ICCN || t === MSG.OCCN)) {
          this.info = { ...this.info, ...msg };
          this.sequencingRequired = msg.sequencingRequired === true;
          this.state = 'established';
          return [{ type: 'up' }];
        }
        break;
      case 'established':
      case 'closed':
        break;
    }
    // §7.4: an unexpected message in a state clears the call with a CDN.
    return this.fail(`unexpected message type ${t} in state ${this.state}`);
  }

  private answerIcrq(msg: L2tpMessage): SessionAction[] {
    if (msg.assignedSessionId === undefined || msg.assignedSessionId === 0) return this.fail('ICRQ without Assigned Session ID');
    this.peerSessionId = msg.assignedSessionId;
    this.callSerialNumber = msg.callSerialNumber ?? 0;
    this.info = { ...msg };
    this.state = 'wait-connect';
    return [{ type: 'send', msg: { messageType: MSG.ICRP, assignedSessionId: this.sessionId } }];
  }

  private answerOcrq(msg: L2tpMessage): SessionAction[] {
    if (msg.assignedSessionId === undefined || msg.assignedSessionId === 0) return this.fail('OCRQ without Assigned Session ID');
    this.peerSessionId = msg.assignedSessionId;
    this.callSerialNumber = msg.callSerialNumber ?? 0;
    this.info = { ...msg };
    this.state = 'established';
    return [
      { type: 'send', msg: { messageType: MSG.OCRP, assignedSessionId: this.sessionId } },
      { type: 'send', msg: { messageType: MSG.OCCN, txConnectSpeed: 100_000_000, framingType: 1 } },
      { type: 'up' },
    ];
  }

  private fail(reason: string): SessionAction[] {
    return this.close({ result: CDN_RESULT.GENERAL_ERROR, error: 3, message: reason }, reason);
  }
}
