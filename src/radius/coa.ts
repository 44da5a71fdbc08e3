/**
 * What a CoA-Request (RFC 5176 §3.2) asks of a NAS, checked before anything
 * is applied: RFC 5176 §3.4 says a NAS that cannot apply every change in a
 * request must apply none and answer CoA-NAK, so this reads the whole
 * request first and either returns the changes or one Error-Cause (§3.5).
 *
 * Understood:
 * - Session identification (§3.3): Acct-Session-Id, User-Name,
 *   Framed-IP-Address; NAS identification: NAS-Identifier, NAS-IP-Address,
 *   which must be ours (403 NAS Identification Mismatch otherwise).
 * - Changes: Session-Timeout (seconds from now that the session may still
 *   last; 0 removes the limit), Idle-Timeout (0 removes it), the rate
 *   (Mikrotik-Rate-Limit, or a Filter-Id rate: rate-limit-attrs.ts;
 *   "0/0" lifts it).
 * - Event-Timestamp, Message-Authenticator and Proxy-State (handled by the
 *   listener).
 *
 * Refused: Service-Type Authorize-Only (405: it needs an Access-Request
 * round we do not make), any other attribute (401 Unsupported Attribute),
 * a change attribute that does not parse or a Filter-Id that names a filter
 * (407 Invalid Attribute Value), and a request that names no session (402).
 */
import type { RateLimit } from '../core/rate-limit.js';
import { ATTR, ERROR_CAUSE, VENDOR_MICROSOFT, attrInt, attrIpv4, attrText, parseVendorSpecific, type RadiusPacket } from './codec.js';
import { MIKROTIK_RATE_LIMIT, VENDOR_MIKROTIK, rateLimitFromAccept } from './rate-limit-attrs.js';

/** Service-Type Authorize-Only (RFC 5176 §3.2). */
const SERVICE_TYPE_AUTHORIZE_ONLY = 17;

/** How a CoA-Request names the sessions it is for (every given field must match). */
export interface CoaSelector {
  acctSessionId?: string;
  userName?: string;
  framedIpAddress?: string;
}

/** What a CoA-Request changes; an absent field stays as it is. */
export interface CoaChanges {
  /** Seconds from now the session may still last; null removes the limit. */
  sessionTimeoutS?: number | null;
  /** null removes the limit. */
  idleTimeoutS?: number | null;
  /** The new rate limit ({} lifts it) and where it came from, for the log. */
  rate?: { limit: RateLimit; source: string };
}

/** The checked request: the sessions and the changes, or why it is refused. */
export type CoaRequest =
  | { ok: true; selector: CoaSelector; changes: CoaChanges }
  | { ok: false; errorCause: number; reason: string };

/** Our identity, to check NAS-Identifier and NAS-IP-Address against. */
export interface CoaNas {
  nasIdentifier: string;
  nasIpAddress?: string;
}

/** Attributes that only identify or protect the request. */
const IDENTIFYING: ReadonlySet<number> = new Set([
  ATTR.ACCT_SESSION_ID,
  ATTR.USER_NAME,
  ATTR.FRAMED_IP_ADDRESS,
  ATTR.NAS_IDENTIFIER,
  ATTR.NAS_IP_ADDRESS,
  ATTR.EVENT_TIMESTAMP,
  ATTR.MESSAGE_AUTHENTICATOR,
  ATTR.PROXY_STATE,
]);

function refuse(errorCause: number, reason: string): CoaRequest {
  return { ok: false, errorCause, reason };
}

/** A 4-octet integer attribute that must be there once if at all: the value, undefined if absent, 'bad' if malformed. */
function intOf(p: RadiusPacket, type: number): number | undefined | 'bad' {
  const all = p.attributes.filter((a) => a.type === type);
  if (all.length === 0) return undefined;
  const v = attrInt(all[0]!.value);
  return all.length > 1 || v === undefined ? 'bad' : v;
}

/** Checks a CoA-Request (its authenticator already verified) for `nas`. */
export function parseCoaRequest(p: RadiusPacket, nas: CoaNas): CoaRequest {
  for (const a of p.attributes) {
    if (IDENTIFYING.has(a.type) || a.type === ATTR.SESSION_TIMEOUT || a.type === ATTR.IDLE_TIMEOUT || a.type === ATTR.FILTER_ID) continue;
    if (a.type === ATTR.SERVICE_TYPE) {
      if (attrInt(a.value) === SERVICE_TYPE_AUTHORIZE_ONLY) return refuse(ERROR_CAUSE.UNSUPPORTED_SERVICE, 'Service-Type Authorize-Only is not supported (no Access-Request round)');
      return refuse(ERROR_CAUSE.UNSUPPORTED_ATTRIBUTE, `Service-Type ${attrInt(a.value) ?? '?'} is not supported in a CoA-Request`);
    }
    if (a.type === ATTR.VENDOR_SPECIFIC) {
      const v = parseVendorSpecific(a.value);
      const rate = v.ok && v.value.length === 1 && v.value[0]!.vendorId === VENDOR_MIKROTIK && v.value[0]!.vendorType === MIKROTIK_RATE_LIMIT;
      if (rate) continue;
      const name = v.ok && v.value[0] ? `${v.value[0].vendorId === VENDOR_MICROSOFT ? 'Microsoft' : `vendor ${v.value[0].vendorId}`} attribute ${v.value[0].vendorType}` : 'a malformed Vendor-Specific';
      return refuse(ERROR_CAUSE.UNSUPPORTED_ATTRIBUTE, `${name} is not supported in a CoA-Request`);
    }
    return refuse(ERROR_CAUSE.UNSUPPORTED_ATTRIBUTE, `attribute ${a.type} is not supported in a CoA-Request`);
  }
  const nasId = p.attributes.find((a) => a.type === ATTR.NAS_IDENTIFIER);
  if (nasId !== undefined && attrText(nasId.value) !== nas.nasIdentifier) return refuse(ERROR_CAUSE.NAS_IDENTIFICATION_MISMATCH, `NAS-Identifier is not ours (${nas.nasIdentifier})`);
  const nasIp = p.attributes.find((a) => a.type === ATTR.NAS_IP_ADDRESS);
  if (nasIp !== undefined && attrIpv4(nasIp.value) !== nas.nasIpAddress) return refuse(ERROR_CAUSE.NAS_IDENTIFICATION_MISMATCH, `NAS-IP-Address is not ours (${nas.nasIpAddress ?? 'none configured'})`);

  const selector: CoaSelector = {};
  const sid = p.attributes.find((a) => a.type === ATTR.ACCT_SESSION_ID);
  if (sid !== undefined) selector.acctSessionId = attrText(sid.value);
  const user = p.attributes.find((a) => a.type === ATTR.USER_NAME);
  if (user !== undefined) selector.userName = attrText(user.value);
  const ip = p.attributes.find((a) => a.type === ATTR.FRAMED_IP_ADDRESS);
  if (ip !== undefined) {
    const v = attrIpv4(ip.value);
    if (v === undefined) return refuse(ERROR_CAUSE.INVALID_ATTRIBUTE_VALUE, 'Framed-IP-Address is not 4 octets');
    selector.framedIpAddress = v;
  }
  if (Object.keys(selector).length === 0) return refuse(ERROR_CAUSE.MISSING_ATTRIBUTE, 'no Acct-Session-Id, User-Name or Framed-IP-Address names a session');

  const changes: CoaChanges = {};
  const st = intOf(p, ATTR.SESSION_TIMEOUT);
  if (st === 'bad') return refuse(ERROR_CAUSE.INVALID_ATTRIBUTE_VALUE, 'Session-Timeout is not one 4-octet integer');
  if (st !== undefined) changes.sessionTimeoutS = st === 0 ? null : st;
  const it = intOf(p, ATTR.IDLE_TIMEOUT);
  if (it === 'bad') return refuse(ERROR_CAUSE.INVALID_ATTRIBUTE_VALUE, 'Idle-Timeout is not one 4-octet integer');
  if (it !== undefined) changes.idleTimeoutS = it === 0 ? null : it;
  const rate = rateLimitFromAccept(p);
  if (rate.limit === undefined && rate.problem !== undefined) return refuse(ERROR_CAUSE.INVALID_ATTRIBUTE_VALUE, rate.problem);
  if (rate.limit !== undefined) changes.rate = { limit: rate.limit, source: rate.source ?? 'rate' };
  return { ok: true, selector, changes };
}

/** True when a session with these identifiers is one `s` names. */
export function coaSelects(s: CoaSelector, session: { acctSessionId: string; userName: string | undefined; framedIpAddress: string | undefined }): boolean {
  return (
    (s.acctSessionId === undefined || s.acctSessionId === session.acctSessionId) &&
    (s.userName === undefined || s.userName === session.userName) &&
    (s.framedIpAddress === undefined || s.framedIpAddress === session.framedIpAddress)
  );
}
