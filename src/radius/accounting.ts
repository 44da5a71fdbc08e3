/**
 * Accounting-Request attributes for a PPP session (RFC 2866 §4–5, RFC 2869
 * §5.1–5.2 for Gigawords and Acct-Interim-Interval): Start, Interim-Update
 * and Stop with octet and packet counts, Acct-Session-Time and
 * Acct-Terminate-Cause.
 *
 * Directions follow RFC 2866 §5.3–5.4 from the NAS port's point of view:
 * "input" is what the user sent to us, "output" what we sent to the user.
 * Octet counts above 2^32 − 1 carry the overflow in Acct-*-Gigawords.
 */
import {
  ACCT_STATUS,
  ATTR,
  FRAMED_PROTOCOL_PPP,
  SERVICE_TYPE_FRAMED,
  TERMINATE_CAUSE,
  intAttr,
  ipv4Attr,
  textAttr,
  type RadiusAttribute,
} from './codec.js';
import { nasAttributes, type NasInfo } from './auth.js';

/** What accounting knows about one session. */
export interface AcctSession {
  /** Acct-Session-Id, unique per session (RFC 2866 §5.5). */
  sessionId: string;
  username: string;
  nas: NasInfo;
  framedIpAddress?: string;
  /** Class attributes from the Access-Accept, echoed (RFC 2865 §5.25). */
  classes: readonly Uint8Array[];
  /** Acct-Authentic: 1 RADIUS, 2 Local (RFC 2866 §5.6). */
  authentic: 'radius' | 'local';
  /**
   * Acct-Multi-Session-Id (RFC 2866 §5.11): the same for the sessions of one
   * bundle. tunppp has no Multilink PPP, so each session is its own bundle
   * and this is its Acct-Session-Id.
   */
  multiSessionId?: string;
}

/** Counters at the time of the record. */
export interface AcctCounters {
  inputOctets: number;
  outputOctets: number;
  inputPackets: number;
  outputPackets: number;
  sessionTimeS: number;
}

/** Acct-Status-Type names. */
export type AcctStatus = 'start' | 'interim-update' | 'stop';

/**
 * Accounting-On / Accounting-Off (RFC 2866 §5.1): the NAS starts or stops
 * accounting, so the server can close sessions a crashed NAS left open.
 * `sessionId` is the NAS's boot id (Acct-Session-Id is in every record).
 */
export function accountingOnOffAttributes(on: boolean, nas: NasInfo, sessionId: string): RadiusAttribute[] {
  return [
    intAttr(ATTR.ACCT_STATUS_TYPE, on ? ACCT_STATUS.ACCOUNTING_ON : ACCT_STATUS.ACCOUNTING_OFF),
    textAttr(ATTR.NAS_IDENTIFIER, nas.nasIdentifier),
    ...(nas.nasIpAddress !== undefined ? [ipv4Attr(ATTR.NAS_IP_ADDRESS, nas.nasIpAddress)] : []),
    textAttr(ATTR.ACCT_SESSION_ID, sessionId),
    intAttr(ATTR.ACCT_DELAY_TIME, 0),
  ];
}

const STATUS_VALUE: Record<AcctStatus, number> = {
  start: ACCT_STATUS.START,
  'interim-update': ACCT_STATUS.INTERIM_UPDATE,
  stop: ACCT_STATUS.STOP,
};

const GIGA = 2 ** 32;

/** Splits an octet count into the 32-bit attribute and its Gigawords (RFC 2869 §5.1–5.2). */
export function splitOctets(n: number): { low: number; giga: number } {
  const v = Math.max(0, Math.floor(n));
  return { low: v % GIGA, giga: Math.floor(v / GIGA) % GIGA };
}

/**
 * The attributes of one Accounting-Request. `counters` are required for
 * Interim-Update and Stop; `cause` only goes in a Stop; `delayS` is
 * Acct-Delay-Time (RFC 2866 §5.2) for records sent late.
 */
export function accountingAttributes(status: AcctStatus, s: AcctSession, counters?: AcctCounters, cause?: number, delayS = 0): RadiusAttribute[] {
  const a: RadiusAttribute[] = [
    intAttr(ATTR.ACCT_STATUS_TYPE, STATUS_VALUE[status]),
    textAttr(ATTR.USER_NAME, s.username),
    ...nasAttributes({ ...s.nas, acctSessionId: s.sessionId }),
    intAttr(ATTR.SERVICE_TYPE, SERVICE_TYPE_FRAMED),
    intAttr(ATTR.FRAMED_PROTOCOL, FRAMED_PROTOCOL_PPP),
    intAttr(ATTR.ACCT_AUTHENTIC, s.authentic === 'radius' ? 1 : 2),
    intAttr(ATTR.ACCT_DELAY_TIME, Math.max(0, Math.floor(delayS))),
  ];
  if (s.framedIpAddress !== undefined) a.push(ipv4Attr(ATTR.FRAMED_IP_ADDRESS, s.framedIpAddress));
  if (s.multiSessionId !== undefined) a.push(textAttr(ATTR.ACCT_MULTI_SESSION_ID, s.multiSessionId));
  for (const c of s.classes) a.push({ type: ATTR.CLASS, value: c });
  if (status !== 'start' && counters !== undefined) {
    const i = splitOctets(counters.inputOctets);
    const o = splitOctets(counters.outputOctets);
    a.push(
      intAttr(ATTR.ACCT_INPUT_OCTETS, i.low),
      intAttr(ATTR.ACCT_OUTPUT_OCTETS, o.low),
      intAttr(ATTR.ACCT_INPUT_GIGAWORDS, i.giga),
      intAttr(ATTR.ACCT_OUTPUT_GIGAWORDS, o.giga),
      intAttr(ATTR.ACCT_INPUT_PACKETS, counters.inputPackets % GIGA),
      intAttr(ATTR.ACCT_OUTPUT_PACKETS, counters.outputPackets % GIGA),
      intAttr(ATTR.ACCT_SESSION_TIME, Math.max(0, Math.floor(counters.sessionTimeS))),
    );
  }
  if (status === 'stop') a.push(intAttr(ATTR.ACCT_TERMINATE_CAUSE, cause ?? TERMINATE_CAUSE.NAS_REQUEST));
  return a;
}

/**
 * Acct-Terminate-Cause for a link's end reason (the free text the link logs,
 * with the transport's reason in parentheses). Unknown reasons are NAS-Request.
 */
export function terminateCauseFor(reason: string): number {
  const r = reason.toLowerCase();
  if (/session[- ]timeout/.test(r)) return TERMINATE_CAUSE.SESSION_TIMEOUT;
  if (/idle/.test(r)) return TERMINATE_CAUSE.IDLE_TIMEOUT;
  if (/disconnect-request|admin/.test(r)) return TERMINATE_CAUSE.ADMIN_RESET;
  if (/shutting down|shutdown|stopp(?!ed acknowledging)/.test(r)) return TERMINATE_CAUSE.ADMIN_REBOOT;
  // The transport vanished without a Call-Clear, CDN or StopCCN: the TCP connection closed
  // underneath (PPTP), or the LAC stopped acknowledging (L2TP).
  if (/tcp-closed|retransmissions exhausted|stopped acknowledging/.test(r)) return TERMINATE_CAUSE.LOST_CARRIER;
  // The peer broke the port: PPTP framing or version, or a looped-back link.
  if (/framing-error|version-unsupported|loopback/.test(r)) return TERMINATE_CAUSE.PORT_ERROR;
  if (/echo|no response|timed? ?out|lost/.test(r)) return TERMINATE_CAUSE.LOST_SERVICE;
  if (/terminate-request|peer|user request|call cleared|control connection closed|session closed|clear/.test(r)) return TERMINATE_CAUSE.USER_REQUEST;
  return TERMINATE_CAUSE.NAS_REQUEST;
}
