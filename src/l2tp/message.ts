/**
 * L2TP control messages (RFC 2661 §4.4, §6): the AVP list of a message body
 * decoded into one typed object, and back. The header (Ns/Nr, IDs) is
 * header.ts's; reliable delivery is reliable.ts's.
 *
 * Decoding rules (§4.1, §4.2, §6):
 * - The Message Type AVP MUST be first. An empty body is a ZLB ack.
 * - An unknown AVP with the M bit set fails the parse with
 *   { code: 'UNSUPPORTED', field: 'mandatory-avp:<vendor>:<type>' }; the FSM
 *   answers StopCCN or CDN with result 2, error 8. Unknown AVPs without the
 *   M bit, and vendor AVPs, are kept in `unknown` and otherwise ignored.
 * - A known AVP with an impossible length fails with BAD_LENGTH (§7.2:
 *   malformed mandatory AVPs end the tunnel or session).
 *
 * Read RFC 2661 §4.4 before editing.
 */
import { fail, ok, type Parsed } from '../wire/parsed.js';
import { AVP, MSG } from './constants.js';
import { encodeAvps, parseAvps, type HideOptions, type RawAvp } from './avp.js';

/** Result Code AVP (§4.4.2). */
export interface ResultCode {
  result: number;
  error?: number;
  message?: string;
}

/** Call Errors AVP (§4.4.6). */
export interface CallErrors {
  crcErrors: number;
  framingErrors: number;
  hardwareOverruns: number;
  bufferOverruns: number;
  timeoutErrors: number;
  alignmentErrors: number;
}

/** A decoded control message. Fields are the RFC's AVP names in camelCase. */
export interface L2tpMessage {
  /** MSG.*; MSG.ZLB (0) for an empty body. */
  messageType: number;
  resultCode?: ResultCode;
  protocolVersion?: { version: number; revision: number };
  framingCapabilities?: number;
  bearerCapabilities?: number;
  tieBreaker?: Uint8Array;
  firmwareRevision?: number;
  hostName?: string;
  vendorName?: string;
  assignedTunnelId?: number;
  receiveWindowSize?: number;
  challenge?: Uint8Array;
  q931CauseCode?: { cause: number; msg: number; advisory?: string };
  challengeResponse?: Uint8Array;
  assignedSessionId?: number;
  callSerialNumber?: number;
  minimumBps?: number;
  maximumBps?: number;
  bearerType?: number;
  framingType?: number;
  calledNumber?: string;
  callingNumber?: string;
  subAddress?: string;
  txConnectSpeed?: number;
  physicalChannelId?: number;
  initialReceivedLcpConfreq?: Uint8Array;
  lastSentLcpConfreq?: Uint8Array;
  lastReceivedLcpConfreq?: Uint8Array;
  proxyAuthenType?: number;
  proxyAuthenName?: string;
  proxyAuthenChallenge?: Uint8Array;
  proxyAuthenId?: number;
  proxyAuthenResponse?: Uint8Array;
  callErrors?: CallErrors;
  accm?: { sendAccm: number; receiveAccm: number };
  randomVector?: Uint8Array;
  privateGroupId?: Uint8Array;
  rxConnectSpeed?: number;
  sequencingRequired?: boolean;
  /** AVPs we do not know and that are not mandatory (or vendor AVPs), kept for logs. */
  unknown?: RawAvp[];
  /** Attribute types that arrived hidden (for tests and logs). */
  hiddenTypes?: number[];
}

type Field = Exclude<keyof L2tpMessage, 'messageType' | 'unknown' | 'hiddenTypes'>;
type Kind = 'u16' | 'u32' | 'bytes' | 'string' | 'flag' | 'result' | 'version' | 'q931' | 'accm' | 'callErrors' | 'u8x2';

interface AvpDef {
  type: number;
  field: Field;
  kind: Kind;
  /** The M bit we send (§4.4 text for each AVP). */
  mandatory: boolean;
}

/** Every IETF AVP we know, in the order we encode them (after Message Type). */
const DEFS: readonly AvpDef[] = [
  { type: AVP.RANDOM_VECTOR, field: 'randomVector', kind: 'bytes', mandatory: true },
  { type: AVP.RESULT_CODE, field: 'resultCode', kind: 'result', mandatory: true },
  { type: AVP.PROTOCOL_VERSION, field: 'protocolVersion', kind: 'version', mandatory: true },
  { type: AVP.FRAMING_CAPABILITIES, field: 'framingCapabilities', kind: 'u32', mandatory: true },
  { type: AVP.BEARER_CAPABILITIES, field: 'bearerCapabilities', kind: 'u32', mandatory: true },
  { type: AVP.TIE_BREAKER, field: 'tieBreaker', kind: 'bytes', mandatory: false },
  { type: AVP.FIRMWARE_REVISION, field: 'firmwareRevision', kind: 'u16', mandatory: false },
  { type: AVP.HOST_NAME, field: 'hostName', kind: 'string', mandatory: true },
  { type: AVP.VENDOR_NAME, field: 'vendorName', kind: 'string', mandatory: false },
  { type: AVP.ASSIGNED_TUNNEL_ID, field: 'assignedTunnelId', kind: 'u16', mandatory: true },
  { type: AVP.RECEIVE_WINDOW_SIZE, field: 'receiveWindowSize', kind: 'u16', mandatory: true },
  { type: AVP.CHALLENGE, field: 'challenge', kind: 'bytes', mandatory: true },
  { type: AVP.Q931_CAUSE_CODE, field: 'q931CauseCode', kind: 'q931', mandatory: true },
  { type: AVP.CHALLENGE_RESPONSE, field: 'challengeResponse', kind: 'bytes', mandatory: true },
  { type: AVP.ASSIGNED_SESSION_ID, field: 'assignedSessionId', kind: 'u16', mandatory: true },
  { type: AVP.CALL_SERIAL_NUMBER, field: 'callSerialNumber', kind: 'u32', mandatory: true },
  { type: AVP.MINIMUM_BPS, field: 'minimumBps', kind: 'u32', mandatory: true },
  { type: AVP.MAXIMUM_BPS, field: 'maximumBps', kind: 'u32', mandatory: true },
  { type: AVP.BEARER_TYPE, field: 'bearerType', kind: 'u32', mandatory: true },
  { type: AVP.FRAMING_TYPE, field: 'framingType', kind: 'u32', mandatory: true },
  { type: AVP.CALLED_NUMBER, field: 'calledNumber', kind: 'string', mandatory: true },
  { type: AVP.CALLING_NUMBER, field: 'callingNumber', kind: 'string', mandatory: true },
  { type: AVP.SUB_ADDRESS, field: 'subAddress', kind: 'string', mandatory: true },
  { type: AVP.TX_CONNECT_SPEED, field: 'txConnectSpeed', kind: 'u32', mandatory: true },
  { type: AVP.PHYSICAL_CHANNEL_ID, field: 'physicalChannelId', kind: 'u32', mandatory: false },
  { type: AVP.INITIAL_RECEIVED_LCP_CONFREQ, field: 'initialReceivedLcpConfreq', kind: 'bytes', mandatory: false },
  { type: AVP.LAST_SENT_LCP_CONFREQ, field: 'lastSentLcpConfreq', kind: 'bytes', mandatory: false },
  { type: AVP.LAST_RECEIVED_LCP_CONFREQ, field: 'lastReceivedLcpConfreq', kind: 'bytes', mandatory: false },
  { type: AVP.PROXY_AUTHEN_TYPE, field: 'proxyAuthenType', kind: 'u16', mandatory: false },
  { type: AVP.PROXY_AUTHEN_NAME, field: 'proxyAuthenName', kind: 'string', mandatory: false },
  { type: AVP.PROXY_AUTHEN_CHALLENGE, field: 'proxyAuthenChallenge', kind: 'bytes', mandatory: false },
  { type: AVP.PROXY_AUTHEN_ID, field: 'proxyAuthenId', kind: 'u8x2', mandatory: false },
  { type: AVP.PROXY_AUTHEN_RESPONSE, field: 'proxyAuthenResponse', kind: 'bytes', mandatory: false },
  { type: AVP.CALL_ERRORS, field: 'callErrors', kind: 'callErrors', mandatory: true },
  { type: AVP.ACCM, field: 'accm', kind: 'accm', mandatory: true },
  { type: AVP.PRIVATE_GROUP_ID, field: 'privateGroupId', kind: 'bytes', mandatory: false },
  { type: AVP.RX_CONNECT_SPEED, field: 'rxConnectSpeed', kind: 'u32', mandatory: false },
  { type: AVP.SEQUENCING_REQUIRED, field: 'sequencingRequired', kind: 'flag', mandatory: true },
];

const BY_TYPE = new Map(DEFS.map((d) => [d.type, d]));
const latin1 = new TextDecoder('latin1');

function u16(v: Uint8Array, o = 0): number {
  return (v[o]! << 8) | v[o + 1]!;
}
function u32(v: Uint8Array, o = 0): number {
  return ((v[o]! << 24) | (v[o + 1]! << 16) | (v[o + 2]! << 8) | v[o + 3]!) >>> 0;
}

/** Decodes one known AVP value into `msg`; false when its length is impossible. */
function decodeValue(def: AvpDef, v: Uint8Array, msg: L2tpMessage): boolean {
  const m = msg as unknown as Record<string, unknown>;
  switch (def.kind) {
    case 'u16':
      if (v.length !== 2) return false;
      m[def.field] = u16(v);
      return true;
    case 'u8x2':
      // Proxy Authen ID: 2 octets, the first reserved, the second the ID (§4.4.5).
      if (v.length !== 2) return false;
      m[def.field] = v[1]!;
      return true;
    case 'u32':
      if (v.length !== 4) return false;
      m[def.field] = u32(v);
      return true;
    case 'bytes':
      m[def.field] = v.slice();
      return true;
    case 'string':
      m[def.field] = latin1.decode(v);
      return true;
    case 'flag':
      if (v.length !== 0) return false;
      m[def.field] = true;
      return true;
    case 'version':
      if (v.length !== 2) return false;
      msg.protocolVersion = { version: v[0]!, revision: v[1]! };
      return true;
    case 'result': {
      if (v.length < 2) return false;
      const r: ResultCode = { result: u16(v) };
      if (v.length === 3) return false;
      if (v.length >= 4) r.error = u16(v, 2);
      if (v.length > 4) r.message = latin1.decode(v.subarray(4));
      msg.resultCode = r;
      return true;
    }
    case 'q931': {
      if (v.length < 3) return false;
      const q: { cause: number; msg: number; advisory?: string } = { cause: u16(v), msg: v[2]! };
      if (v.length > 3) q.advisory = latin1.decode(v.subarray(3));
      msg.q931CauseCode = q;
      return true;
    }
    case 'accm':
      if (v.length !== 10) return false;
      msg.accm = { sendAccm: u32(v, 2), receiveAccm: u32(v, 6) };
      return true;
    case 'callErrors':
      if (v.length !== 26) return false;
      msg.callErrors = {
        crcErrors: u32(v, 2),
        framingErrors: u32(v, 6),
        hardwareOverruns: u32(v, 10),
        bufferOverruns: u32(v, 14),
        timeoutErrors: u32(v, 18),
        alignmentErrors: u32(v, 22),
      };
      return true;
  }
}

/**
 * Decodes a control message body (the bytes after the header). `secret` is
 * the tunnel secret, needed only for hidden AVPs.
 */
export function parseL2tpMessage(body: Uint8Array, secret?: Uint8Array): Parsed<L2tpMessage> {
  if (body.length === 0) return ok({ messageType: MSG.ZLB }, 0);
  const avps = parseAvps(body, secret);
  if (!avps.ok) return avps;
  const list = avps.value;
  const first = list[0]!;
  if (first.vendorId !== 0 || first.type !== AVP.MESSAGE_TYPE || first.value.length !== 2 || first.hidden) {
    return fail('BAD_VALUE', 0, 'message-type-first');
  }
  const msg: L2tpMessage = { messageType: u16(first.value) };
  if (msg.messageType === MSG.ZLB) return fail('BAD_VALUE', 6, 'message-type');
  for (let i = 1; i < list.length; i++) {
    const a = list[i]!;
    const def = a.vendorId === 0 ? BY_TYPE.get(a.type) : undefined;
    if (!def) {
      if (a.mandatory) return fail('UNSUPPORTED', 0, `mandatory-avp:${a.vendorId}:${a.type}`);
      (msg.unknown ??= []).push({ ...a, value: a.value.slice() });
      continue;
    }
    if (!decodeValue(def, a.value, msg)) return fail('BAD_LENGTH', 0, `avp:${a.type}`);
    if (a.hidden) (msg.hiddenTypes ??= []).push(a.type);
  }
  return ok(msg, body.length);
}

function be16(n: number): Uint8Array {
  return Uint8Array.of((n >>> 8) & 0xff, n & 0xff);
}
function be32(n: number): Uint8Array {
  return Uint8Array.of((n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}
const latin1Bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);

function encodeValue(def: AvpDef, msg: L2tpMessage): Uint8Array | undefined {
  const val = (msg as unknown as Record<string, unknown>)[def.field];
  if (val === undefined || val === false) return undefined;
  switch (def.kind) {
    case 'u16':
      return be16(val as number);
    case 'u8x2':
      return Uint8Array.of(0, (val as number) & 0xff);
    case 'u32':
      return be32(val as number);
    case 'bytes':
      return val as Uint8Array;
    case 'string':
      return latin1Bytes(val as string);
    case 'flag':
      return new Uint8Array(0);
    case 'version': {
      const v = val as { version: number; revision: number };
      return Uint8Array.of(v.version, v.revision);
    }
    case 'result': {
      const r = val as ResultCode;
      if (r.error === undefined && r.message === undefined) return be16(r.result);
      const text = r.message === undefined ? new Uint8Array(0) : latin1Bytes(r.message);
      const out = new Uint8Array(4 + text.length);
      out.set(be16(r.result), 0);
      out.set(be16(r.error ?? 0), 2);
      out.set(text, 4);
      return out;
    }
    case 'q931': {
      const q = val as { cause: number; msg: number; advisory?: string };
      const text = q.advisory === undefined ? new Uint8Array(0) : latin1Bytes(q.advisory);
      const out = new Uint8Array(3 + text.length);
      out.set(be16(q.cause), 0);
      out[2] = q.msg;
      out.set(text, 3);
      return out;
    }
    case 'accm': {
      const a = val as { sendAccm: number; receiveAccm: number };
      const out = new Uint8Array(10);
      out.set(be32(a.sendAccm), 2);
      out.set(be32(a.receiveAccm), 6);
      return out;
    }
    case 'callErrors': {
      const c = val as CallErrors;
      const out = new Uint8Array(26);
      [c.crcErrors, c.framingErrors, c.hardwareOverruns, c.bufferOverruns, c.timeoutErrors, c.alignmentErrors].forEach((n, i) => out.set(be32(n), 2 + i * 4));
      return out;
    }
  }
}

/** How to hide AVPs when encoding (§4.3): which types, the secret, the padding. */
export interface EncodeHiding extends HideOptions {
  /** Attribute types to hide; `msg.randomVector` must be set. */
  types: ReadonlySet<number>;
}

/** The message as raw AVPs in encoding order (Message Type first, Random Vector before anything hidden). */
export function l2tpMessageAvps(msg: L2tpMessage, hiding?: EncodeHiding): RawAvp[] {
  if (msg.messageType === MSG.ZLB) return [];
  const avps: RawAvp[] = [{ mandatory: true, hidden: false, vendorId: 0, type: AVP.MESSAGE_TYPE, value: be16(msg.messageType) }];
  for (const def of DEFS) {
    const value = encodeValue(def, msg);
    if (value === undefined) continue;
    const hidden = hiding !== undefined && hiding.types.has(def.type) && def.type !== AVP.RANDOM_VECTOR;
    avps.push({ mandatory: def.mandatory, hidden, vendorId: 0, type: def.type, value });
  }
  for (const u of msg.unknown ?? []) avps.push({ ...u, hidden: false });
  return avps;
}

/** Encodes a control message body (AVPs only; the header is header.ts's). */
export function encodeL2tpMessage(msg: L2tpMessage, hiding?: EncodeHiding): Uint8Array {
  if (hiding && hiding.types.size > 0 && !msg.randomVector) throw new Error('encodeL2tpMessage: hiding needs msg.randomVector');
  return encodeAvps(l2tpMessageAvps(msg, hiding), hiding);
}

/** The encoded body length of `msg`. */
export function l2tpMessageLength(msg: L2tpMessage, hiding?: EncodeHiding): number {
  return encodeL2tpMessage(msg, hiding).length;
}
