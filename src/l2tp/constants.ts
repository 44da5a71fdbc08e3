/**
 * L2TP (RFC 2661) numbers: control message types (§3.2), AVP attribute types
 * (§4.4), result and error codes (§4.4.2), header bits (§3.1). One table for
 * the L2TP layer; import from here.
 */

/** Control message types, the value of the Message Type AVP (RFC 2661 §3.2). */
export const MSG = {
  /** Not a message type: our name for a Zero-Length Body acknowledgement (§5.8). */
  ZLB: 0,
  SCCRQ: 1,
  SCCRP: 2,
  SCCCN: 3,
  STOPCCN: 4,
  HELLO: 6,
  OCRQ: 7,
  OCRP: 8,
  OCCN: 9,
  ICRQ: 10,
  ICRP: 11,
  ICCN: 12,
  CDN: 14,
  WEN: 15,
  SLI: 16,
} as const;

/** A short name for a message type, for logs and drops. */
export function messageName(type: number): string {
  for (const [name, v] of Object.entries(MSG)) if (v === type) return name;
  return `type-${type}`;
}

/** Message types that belong to a session rather than to the tunnel (§4.2: which one an unknown M-bit AVP tears down). */
export const SESSION_MESSAGES: ReadonlySet<number> = new Set([MSG.OCRQ, MSG.OCRP, MSG.OCCN, MSG.ICRQ, MSG.ICRP, MSG.ICCN, MSG.CDN, MSG.WEN, MSG.SLI]);

/** AVP attribute types with IETF vendor ID 0 (RFC 2661 §4.4). */
export const AVP = {
  MESSAGE_TYPE: 0,
  RESULT_CODE: 1,
  PROTOCOL_VERSION: 2,
  FRAMING_CAPABILITIES: 3,
  BEARER_CAPABILITIES: 4,
  TIE_BREAKER: 5,
  FIRMWARE_REVISION: 6,
  HOST_NAME: 7,
  VENDOR_NAME: 8,
  ASSIGNED_TUNNEL_ID: 9,
  RECEIVE_WINDOW_SIZE: 10,
  CHALLENGE: 11,
  Q931_CAUSE_CODE: 12,
  CHALLENGE_RESPONSE: 13,
  ASSIGNED_SESSION_ID: 14,
  CALL_SERIAL_NUMBER: 15,
  MINIMUM_BPS: 16,
  MAXIMUM_BPS: 17,
  BEARER_TYPE: 18,
  FRAMING_TYPE: 19,
  CALLED_NUMBER: 21,
  CALLING_NUMBER: 22,
  SUB_ADDRESS: 23,
  TX_CONNECT_SPEED: 24,
  PHYSICAL_CHANNEL_ID: 25,
  INITIAL_RECEIVED_LCP_CONFREQ: 26,
  LAST_SENT_LCP_CONFREQ: 27,
  LAST_RECEIVED_LCP_CONFREQ: 28,
  PROXY_AUTHEN_TYPE: 29,
  PROXY_AUTHEN_NAME: 30,
  PROXY_AUTHEN_CHALLENGE: 31,
  PROXY_AUTHEN_ID: 32,
  PROXY_AUTHEN_RESPONSE: 33,
  CALL_ERRORS: 34,
  ACCM: 35,
  RANDOM_VECTOR: 36,
  PRIVATE_GROUP_ID: 37,
  RX_CONNECT_SPEED: 38,
  SEQUENCING_REQUIRED: 39,
} as const;

/** StopCCN Result Code values (§4.4.2). */
export const STOPCCN_RESULT = {
  GENERAL_REQUEST: 1,
  GENERAL_ERROR: 2,
  ALREADY_EXISTS: 3,
  NOT_AUTHORIZED: 4,
  BAD_PROTOCOL_VERSION: 5,
  BEING_SHUT_DOWN: 6,
  FSM_ERROR: 7,
} as const;

/** CDN Result Code values (§4.4.2). */
export const CDN_RESULT = {
  LOST_CARRIER: 1,
  GENERAL_ERROR: 2,
  ADMIN: 3,
  TEMPORARY_NO_FACILITIES: 4,
  PERMANENT_NO_FACILITIES: 5,
  INVALID_DESTINATION: 6,
  NO_CARRIER: 7,
  BUSY: 8,
  NO_DIAL_TONE: 9,
  TIMEOUT: 10,
  BAD_FRAMING: 11,
} as const;

/** General Error Codes carried with result code 2 (§4.4.2). */
export const GENERAL_ERROR = {
  NONE: 0,
  NO_CONTROL_CONNECTION: 1,
  BAD_LENGTH: 2,
  OUT_OF_RANGE: 3,
  INSUFFICIENT_RESOURCES: 4,
  INVALID_SESSION_ID: 5,
  VENDOR_ERROR: 6,
  TRY_ANOTHER: 7,
  UNKNOWN_MANDATORY_AVP: 8,
} as const;

/** Header flag bits in the first 16-bit word (§3.1). */
export const HDR = {
  T: 0x8000,
  L: 0x4000,
  S: 0x0800,
  O: 0x0200,
  P: 0x0100,
  VERSION_MASK: 0x000f,
  VERSION: 2,
} as const;

/** Framing and bearer capability bits (§4.4.3). */
export const FRAMING = { SYNC: 0x1, ASYNC: 0x2 } as const;
export const BEARER = { DIGITAL: 0x1, ANALOG: 0x2 } as const;

/** The UDP port L2TP listens on (§8.1). */
export const L2TP_PORT = 1701;
