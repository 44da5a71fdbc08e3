/**
 * PPP authentication over RADIUS: a `VerifyRequest` becomes Access-Request
 * attributes, an Access-Accept/Reject becomes an `AuthVerdict` plus the
 * session limits the server applies.
 *
 * - PAP: User-Password (RFC 2865 §5.2), hidden by the client machine.
 * - CHAP-MD5: CHAP-Password = CHAP Ident | Response, CHAP-Challenge
 *   (RFC 2865 §5.3, §5.40).
 * - MS-CHAPv1: MS-CHAP-Challenge + MS-CHAP-Response; keys from
 *   MS-CHAP-MPPE-Keys (RFC 2548 §2.1.1, §2.3.1–2.3.2, §2.4.1).
 * - MS-CHAPv2: MS-CHAP-Challenge + MS-CHAP2-Response; MS-CHAP2-Success
 *   carries "S=…", keys come in MS-MPPE-Send-Key/Recv-Key (RFC 2548 §2.3.2,
 *   §2.3.3, §2.4.2–2.4.3).
 *
 * MS-CHAP-MPPE-Keys holds the LM key and NtPasswordHashHash (what FreeRADIUS
 * and Windows IAS send), not the NT hash RFC 2548 §2.4.1 describes; pppd's
 * radius plugin reads it the same way.
 *
 * Left out: Access-Challenge (no EAP, no token cards: it is a failure),
 * MS-CHAP password change.
 */
import type { AuthVerdict, MppeKeyMaterial, VerifyRequest } from '../ppp/auth/types.js';
import { MSCHAP_ERROR } from '../ppp/auth/types.js';
import { hasLmResponse } from '../ppp/auth/mschap.js';
import {
  ATTR,
  FRAMED_PROTOCOL_PPP,
  MS_ATTR,
  NAS_PORT_TYPE_VIRTUAL,
  RADIUS_CODE,
  RADIUS_MAX_ATTRIBUTE_VALUE,
  SERVICE_TYPE_FRAMED,
  VENDOR_MICROSOFT,
  attrInt,
  attrIpv4,
  attrText,
  decryptMppeKey,
  encodeVendorSpecific,
  findAttr,
  findAttrs,
  findMsAttr,
  intAttr,
  ipv4Attr,
  textAttr,
  unhidePassword,
  type RadiusAttribute,
  type RadiusPacket,
} from './codec.js';
import { rateLimitFromAccept, type RateLimitFromAttrs } from './rate-limit-attrs.js';

/** What the NAS says about itself and the call in every request. */
export interface NasInfo {
  /** NAS-Identifier (RFC 2865 §5.32). */
  nasIdentifier: string;
  /** NAS-IP-Address, when configured. */
  nasIpAddress?: string;
  /** NAS-Port: the link number. */
  nasPort?: number;
  /** Calling-Station-Id: the client's outer address. */
  callingStationId?: string;
  /** Called-Station-Id: our outer address. */
  calledStationId?: string;
  /** Acct-Session-Id, sent in Access-Request too so Disconnect-Request can name it (RFC 2866 §5.5). */
  acctSessionId?: string;
  /** NAS-Port-Id: e.g. "pptp" or "l2tp". */
  nasPortId?: string;
}

/** Attributes of an Access-Request, and the PAP password the client machine hides. */
export interface AccessRequestParts {
  attributes: RadiusAttribute[];
  password?: Uint8Array;
}

/** The MS-CHAP Ident octet we send; the server echoes it in MS-CHAP2-Success/MS-CHAP-Error. */
const MSCHAP_IDENT = 1;

/** Attributes common to every request of a call. */
export function nasAttributes(nas: NasInfo): RadiusAttribute[] {
  const a: RadiusAttribute[] = [textAttr(ATTR.NAS_IDENTIFIER, nas.nasIdentifier)];
  if (nas.nasIpAddress !== undefined) a.push(ipv4Attr(ATTR.NAS_IP_ADDRESS, nas.nasIpAddress));
  if (nas.nasPort !== undefined) a.push(intAttr(ATTR.NAS_PORT, nas.nasPort));
  a.push(intAttr(ATTR.NAS_PORT_TYPE, NAS_PORT_TYPE_VIRTUAL));
  if (nas.nasPortId !== undefined) a.push(textAttr(ATTR.NAS_PORT_ID, nas.nasPortId));
  if (nas.callingStationId !== undefined) a.push(textAttr(ATTR.CALLING_STATION_ID, nas.callingStationId));
  if (nas.calledStationId !== undefined) a.push(textAttr(ATTR.CALLED_STATION_ID, nas.calledStationId));
  if (nas.acctSessionId !== undefined) a.push(textAttr(ATTR.ACCT_SESSION_ID, nas.acctSessionId));
  return a;
}

function ms(type: number, value: Uint8Array): RadiusAttribute {
  return encodeVendorSpecific({ vendorId: VENDOR_MICROSOFT, vendorType: type, value });
}

/** CHAP-MD5 Response Value: MD5 output (RFC 1994 §4.1). */
const CHAP_MD5_RESPONSE_SIZE = 16;

/**
 * Why `req` cannot become an Access-Request, or undefined when it can: a
 * User-Name over 253 octets, a PAP password over 128 (RFC 2865 §5.1–5.2), a
 * CHAP-MD5 Response that is not 16 octets or a Challenge over 253 (§5.3,
 * §5.40). Nothing is cut to fit: a cut credential would be checked as
 * something the peer never sent. The PPP edge refuses the peer's part of
 * these already (src/ppp/auth/server.ts); this is the RADIUS side's own check.
 */
export function accessRequestProblem(req: VerifyRequest): string | undefined {
  if (req.usernameBytes.length > RADIUS_MAX_ATTRIBUTE_VALUE) return `User-Name of ${req.usernameBytes.length} octets (RADIUS carries at most ${RADIUS_MAX_ATTRIBUTE_VALUE})`;
  const p = req.proof;
  if (p.protocol === 'pap' && p.password.length > 128) return `PAP password of ${p.password.length} octets (RADIUS carries at most 128)`;
  if (p.protocol === 'chap-md5') {
    if (p.response.length !== CHAP_MD5_RESPONSE_SIZE) return `CHAP-MD5 Response of ${p.response.length} octets (must be ${CHAP_MD5_RESPONSE_SIZE})`;
    if (p.challenge.length > RADIUS_MAX_ATTRIBUTE_VALUE) return `CHAP Challenge of ${p.challenge.length} octets`;
  }
  return undefined;
}

/**
 * The Access-Request for `req`. User-Name carries the octets the peer sent.
 * Check `accessRequestProblem` first: what does not fit is not cut here, and
 * the client machine refuses it (a `refused` event).
 */
export function accessRequest(req: VerifyRequest, nas: NasInfo): AccessRequestParts {
  const attributes: RadiusAttribute[] = [
    { type: ATTR.USER_NAME, value: req.usernameBytes.slice() },
    intAttr(ATTR.SERVICE_TYPE, SERVICE_TYPE_FRAMED),
    intAttr(ATTR.FRAMED_PROTOCOL, FRAMED_PROTOCOL_PPP),
    ...nasAttributes(nas),
  ];
  const p = req.proof;
  switch (p.protocol) {
    case 'pap':
      return { attributes, password: p.password.slice() };
    case 'chap-md5':
      attributes.push({ type: ATTR.CHAP_PASSWORD, value: Uint8Array.of(p.identifier & 0xff, ...p.response) });
      attributes.push({ type: ATTR.CHAP_CHALLENGE, value: p.challenge.slice() });
      return { attributes };
    case 'mschap-v1': {
      // RFC 2548 §2.3.1: Ident | Flags | LM-Response(24) | NT-Response(24).
      const v = new Uint8Array(50);
      v[0] = MSCHAP_IDENT;
      v[1] = p.useNtResponse ? 1 : 0;
      v.set(p.lmResponse.subarray(0, 24), 2);
      v.set(p.ntResponse.subarray(0, 24), 26);
      attributes.push(ms(MS_ATTR.MS_CHAP_CHALLENGE, p.challenge), ms(MS_ATTR.MS_CHAP_RESPONSE, v));
      return { attributes };
    }
    case 'mschap-v2': {
      // RFC 2548 §2.3.2: Ident | Flags | Peer-Challenge(16) | Reserved(8) | Response(24).
      const v = new Uint8Array(50);
      v[0] = MSCHAP_IDENT;
      v[1] = p.flags & 0xff;
      v.set(p.peerChallenge.subarray(0, 16), 2);
      v.set(p.ntResponse.subarray(0, 24), 26);
      attributes.push(ms(MS_ATTR.MS_CHAP_CHALLENGE, p.authenticatorChallenge), ms(MS_ATTR.MS_CHAP2_RESPONSE, v));
      return { attributes };
    }
  }
}

/** What an Access-Accept grants beyond the verdict. */
export interface AcceptInfo {
  /** Framed-IP-Address, unless it is 255.255.255.254 ("NAS picks") or 255.255.255.255 ("user picks"). */
  framedIpAddress?: string;
  /** Session-Timeout in seconds. */
  sessionTimeoutS?: number;
  /** Idle-Timeout in seconds. */
  idleTimeoutS?: number;
  /** Acct-Interim-Interval in seconds. */
  acctInterimIntervalS?: number;
  /** Framed-MTU. */
  framedMtu?: number;
  /** Framed-Pool (RFC 2869 §5.18): the local pool to take the address from, when there is no Framed-IP-Address. */
  framedPool?: string;
  /** Class attributes, echoed in accounting (RFC 2865 §5.25). */
  classes: Uint8Array[];
  /** Reply-Message text, joined. */
  replyMessage?: string;
  /** Mikrotik-Rate-Limit or a Filter-Id rate (rate-limit-attrs.ts): the limit and what was not applied. */
  rate?: RateLimitFromAttrs;
}

/** A verdict and, for an Accept, what it grants. */
export interface RadiusAuthResult {
  verdict: AuthVerdict;
  accept?: AcceptInfo;
  /** Why an Accept was turned into a failure (logged by the glue). */
  problem?: string;
}

function replyMessage(p: RadiusPacket): string | undefined {
  const m = findAttrs(p, ATTR.REPLY_MESSAGE).map(attrText).join('');
  return m === '' ? undefined : m;
}

/**
 * The MS-CHAP-Error text (RFC 2548 §2.1.5: Ident | "E=691 R=0 …") read as
 * code and retry flag.
 */
function msChapError(p: RadiusPacket): { code?: number; retryable?: boolean } {
  const v = findMsAttr(p, MS_ATTR.MS_CHAP_ERROR);
  if (v === undefined || v.length < 2) return {};
  const text = attrText(v.subarray(1));
  const out: { code?: number; retryable?: boolean } = {};
  const e = /E=(\d+)/.exec(text);
  if (e) out.code = Number(e[1]);
  const r = /R=([01])/.exec(text);
  if (r) out.retryable = r[1] === '1';
  return out;
}

function acceptInfo(p: RadiusPacket): AcceptInfo {
  const info: AcceptInfo = { classes: findAttrs(p, ATTR.CLASS) };
  const ip = attrIpv4(findAttr(p, ATTR.FRAMED_IP_ADDRESS));
  if (ip !== undefined && ip !== '255.255.255.254' && ip !== '255.255.255.255' && ip !== '0.0.0.0') info.framedIpAddress = ip;
  const st = attrInt(findAttr(p, ATTR.SESSION_TIMEOUT));
  if (st !== undefined && st > 0) info.sessionTimeoutS = st;
  const it = attrInt(findAttr(p, ATTR.IDLE_TIMEOUT));
  if (it !== undefined && it > 0) info.idleTimeoutS = it;
  const ii = attrInt(findAttr(p, ATTR.ACCT_INTERIM_INTERVAL));
  if (ii !== undefined && ii > 0) info.acctInterimIntervalS = ii;
  const mtu = attrInt(findAttr(p, ATTR.FRAMED_MTU));
  if (mtu !== undefined && mtu >= 64) info.framedMtu = mtu;
  const pool = findAttr(p, ATTR.FRAMED_POOL);
  if (pool !== undefined && pool.length > 0) info.framedPool = attrText(pool);
  const m = replyMessage(p);
  if (m !== undefined) info.replyMessage = m;
  const rate = rateLimitFromAccept(p);
  if (rate.limit !== undefined || rate.problem !== undefined) info.rate = rate;
  return info;
}

/** MS-MPPE-Send/Recv-Key from an Accept as 'start-keys' material, if both decrypt. */
export function mppeKeysFromAccept(p: RadiusPacket, secret: Uint8Array | string, requestAuthenticator: Uint8Array): MppeKeyMaterial | undefined {
  const send = findMsAttr(p, MS_ATTR.MS_MPPE_SEND_KEY);
  const recv = findMsAttr(p, MS_ATTR.MS_MPPE_RECV_KEY);
  if (send === undefined || recv === undefined) return undefined;
  const s = decryptMppeKey(send, secret, requestAuthenticator);
  const r = decryptMppeKey(recv, secret, requestAuthenticator);
  if (!s.ok || !r.ok || s.value.length < 8 || r.value.length < 8) return undefined;
  // RFC 2548 §2.4.2: the Send-Key encrypts NAS → peer traffic.
  return { kind: 'start-keys', serverSend: s.value, serverRecv: r.value };
}

/**
 * Turns a verified Access-Accept/Reject/Challenge for `req` into a verdict.
 * An Accept that the protocol cannot use (MS-CHAPv2 without a well-formed
 * MS-CHAP2-Success) becomes a non-retryable failure with `problem` set.
 */
export function authResultFromResponse(req: VerifyRequest, p: RadiusPacket, secret: Uint8Array | string, requestAuthenticator: Uint8Array): RadiusAuthResult {
  const message = replyMessage(p);
  if (p.code !== RADIUS_CODE.ACCESS_ACCEPT) {
    const err = msChapError(p);
    const verdict: AuthVerdict = { ok: false, code: err.code ?? MSCHAP_ERROR.AUTHENTICATION_FAILURE };
    if (err.retryable !== undefined) verdict.retryable = err.retryable;
    if (p.code === RADIUS_CODE.ACCESS_CHALLENGE) verdict.retryable = false;
    if (message !== undefined) verdict.message = message;
    const r: RadiusAuthResult = { verdict };
    if (p.code === RADIUS_CODE.ACCESS_CHALLENGE) r.problem = 'Access-Challenge is not supported (no EAP or token cards)';
    return r;
  }
  const accept = acceptInfo(p);
  const verdict: AuthVerdict & { ok: true } = { ok: true };
  if (message !== undefined) verdict.message = message;
  switch (req.proof.protocol) {
    case 'mschap-v2': {
      const v = findMsAttr(p, MS_ATTR.MS_CHAP2_SUCCESS);
      const text = v === undefined || v.length < 2 ? '' : attrText(v.subarray(1));
      const m = /S=[0-9A-Fa-f]{40}/.exec(text);
      if (!m) return { verdict: { ok: false, retryable: false, message: 'authentication server error' }, problem: 'Access-Accept without a valid MS-CHAP2-Success (S=)' };
      // RFC 2759 §5: S= and 40 upper-case hex digits.
      verdict.authenticatorResponse = m[0].toUpperCase();
      const keys = mppeKeysFromAccept(p, secret, requestAuthenticator);
      if (keys) verdict.keyMaterial = keys;
      break;
    }
    case 'mschap-v1': {
      const keys = mppeKeysFromAccept(p, secret, requestAuthenticator);
      if (keys) {
        verdict.keyMaterial = keys;
        break;
      }
      const v = findMsAttr(p, MS_ATTR.MS_CHAP_MPPE_KEYS);
      if (v !== undefined) {
        const plain = unhidePassword(v, secret, requestAuthenticator);
        // 8 octets LM key | 16 octets NT key (NtPasswordHashHash); trailing zeros are stripped by unhide.
        if (plain.ok && plain.value.length > 8) {
          const full = new Uint8Array(24);
          full.set(plain.value.subarray(0, 24));
          const lmKey = full.slice(0, 8);
          const material: MppeKeyMaterial = { kind: 'mschap-v1', challenge: req.proof.challenge.slice(), ntPasswordHashHash: full.slice(8, 24) };
          // The LM key serves 40/56-bit only for a peer that sent an LM response (see msChapV1KeyMaterial).
          if (lmKey.some((b) => b !== 0) && hasLmResponse(req.proof.lmResponse)) material.lmKey = lmKey;
          verdict.keyMaterial = material;
        }
      }
      break;
    }
    default:
      break;
  }
  return { verdict, accept };
}
