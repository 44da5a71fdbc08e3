/**
 * PPTP control connection messages (RFC 2637 §1.4, §2.1–§2.16): one codec
 * for the fifteen control messages carried over TCP port 1723.
 *
 * Every message starts with the 12-octet header Length, PPTP Message Type,
 * Magic Cookie, Control Message Type, Reserved0. Each control message type
 * has one fixed length (§2); a Length field that differs from it is
 * BAD_LENGTH. Fixed-size text fields (Host Name, Vendor String, Phone Number,
 * Subaddress, Call Statistics) are decoded up to the first NUL, one
 * character per octet (latin1), so any octets before the NUL re-encode
 * byte for byte.
 *
 * Left out on purpose: Management messages (PPTP Message Type 2) are not
 * defined by the RFC and parse as UNSUPPORTED. Reserved fields are ignored on
 * receipt and sent as zero (§2: "Any reserved fields MUST be sent as 0").
 *
 * The message names are the abbreviations tcpdump and Wireshark print
 * (SCCRQ, OCRP, SLI ...), so logs and dissector output line up.
 */
import { type Parsed, fail, ok } from '../wire/parsed.js';
import { Reader } from '../wire/reader.js';
import { Writer } from '../wire/writer.js';

/** TCP port of the control connection (RFC 2637 §1.4). */
export const PPTP_TCP_PORT = 1723;

/** The constant every message carries to check stream synchronisation (§1.4). */
export const PPTP_MAGIC_COOKIE = 0x1a2b3c4d;

/** Protocol Version 1, revision 0 (§1.4): the only version there is. */
export const PPTP_VERSION = 0x0100;

/** Octets of the header every control message starts with. */
export const PPTP_HEADER_BYTES = 12;

/** PPTP Message Type field values (§1.4). */
export const PPTP_MESSAGE_TYPE = {
  CONTROL: 1,
  /** Defined as a type but no message exists (§1.4: "currently not defined"). */
  MANAGEMENT: 2,
} as const;

/** Control Message Type codes (§1.4), named as tcpdump and Wireshark print them. */
export const CONTROL_MESSAGE_TYPE = {
  /** Start-Control-Connection-Request. */
  SCCRQ: 1,
  /** Start-Control-Connection-Reply. */
  SCCRP: 2,
  /** Stop-Control-Connection-Request. */
  STOPCCRQ: 3,
  /** Stop-Control-Connection-Reply. */
  STOPCCRP: 4,
  /** Echo-Request. */
  ECHORQ: 5,
  /** Echo-Reply. */
  ECHORP: 6,
  /** Outgoing-Call-Request. */
  OCRQ: 7,
  /** Outgoing-Call-Reply. */
  OCRP: 8,
  /** Incoming-Call-Request. */
  ICRQ: 9,
  /** Incoming-Call-Reply. */
  ICRP: 10,
  /** Incoming-Call-Connected. */
  ICCN: 11,
  /** Call-Clear-Request. */
  CCRQ: 12,
  /** Call-Disconnect-Notify. */
  CDN: 13,
  /** WAN-Error-Notify. */
  WEN: 14,
  /** Set-Link-Info. */
  SLI: 15,
} as const;

/** The name of a control message type. */
export type ControlMessageName = keyof typeof CONTROL_MESSAGE_TYPE;

/** The fixed total length of each control message, header included (§2). */
export const CONTROL_MESSAGE_LENGTH: Readonly<Record<ControlMessageName, number>> = {
  SCCRQ: 156,
  SCCRP: 156,
  STOPCCRQ: 16,
  STOPCCRP: 16,
  ECHORQ: 16,
  ECHORP: 20,
  OCRQ: 168,
  OCRP: 32,
  ICRQ: 220,
  ICRP: 24,
  ICCN: 28,
  CCRQ: 16,
  CDN: 148,
  WEN: 40,
  SLI: 24,
};

/** The longest control message there is (ICRQ); the stream framer never buffers more. */
export const PPTP_MAX_MESSAGE_BYTES = 220;

/** Framing Capabilities bits (§2.1). */
export const FRAMING_CAP = { ASYNC: 1, SYNC: 2 } as const;
/** Bearer Capabilities bits (§2.1). */
export const BEARER_CAP = { ANALOG: 1, DIGITAL: 2 } as const;
/** Bearer Type of a call (§2.7, §2.9). */
export const BEARER_TYPE = { ANALOG: 1, DIGITAL: 2, ANY: 3 } as const;
/** Framing Type of a call (§2.7, §2.11). */
export const FRAMING_TYPE = { ASYNC: 1, SYNC: 2, ANY: 3 } as const;

/** Start-Control-Connection-Reply Result Code (§2.2). */
export const SCCRP_RESULT = {
  SUCCESS: 1,
  GENERAL_ERROR: 2,
  CHANNEL_EXISTS: 3,
  NOT_AUTHORIZED: 4,
  BAD_PROTOCOL_VERSION: 5,
} as const;

/** Stop-Control-Connection-Request Reason (§2.3). */
export const STOP_REASON = {
  NONE: 1,
  STOP_PROTOCOL: 2,
  STOP_LOCAL_SHUTDOWN: 3,
} as const;

/** Stop-Control-Connection-Reply Result Code (§2.4). */
export const STOPCCRP_RESULT = { OK: 1, GENERAL_ERROR: 2 } as const;

/** Echo-Reply Result Code (§2.6). */
export const ECHO_RESULT = { OK: 1, GENERAL_ERROR: 2 } as const;

/** Outgoing-Call-Reply Result Code (§2.8). */
export const OCRP_RESULT = {
  CONNECTED: 1,
  GENERAL_ERROR: 2,
  NO_CARRIER: 3,
  BUSY: 4,
  NO_DIAL_TONE: 5,
  TIME_OUT: 6,
  DO_NOT_ACCEPT: 7,
} as const;

/** Incoming-Call-Reply Result Code (§2.10). */
export const ICRP_RESULT = { CONNECT: 1, GENERAL_ERROR: 2, DO_NOT_ACCEPT: 3 } as const;

/** Call-Disconnect-Notify Result Code (§2.13). */
export const CDN_RESULT = {
  LOST_CARRIER: 1,
  GENERAL_ERROR: 2,
  ADMIN_SHUTDOWN: 3,
  REQUEST: 4,
} as const;

/** General Error Codes carried in the Error Code field (§2.16). */
export const GENERAL_ERROR = {
  NONE: 0,
  NOT_CONNECTED: 1,
  BAD_FORMAT: 2,
  BAD_VALUE: 3,
  NO_RESOURCE: 4,
  BAD_CALL_ID: 5,
  PAC_ERROR: 6,
} as const;

/** Fields shared by Start-Control-Connection-Request and -Reply (§2.1, §2.2). */
export interface ControlConnectionParams {
  protocolVersion: number;
  framingCapabilities: number;
  bearerCapabilities: number;
  maximumChannels: number;
  firmwareRevision: number;
  /** Host Name, 64 octets on the wire. */
  hostName: string;
  /** Vendor String, 64 octets on the wire. */
  vendorName: string;
}

/** Start-Control-Connection-Request (§2.1). */
export interface Sccrq extends ControlConnectionParams {
  type: 'SCCRQ';
}

/** Start-Control-Connection-Reply (§2.2). */
export interface Sccrp extends ControlConnectionParams {
  type: 'SCCRP';
  resultCode: number;
  errorCode: number;
}

/** Stop-Control-Connection-Request (§2.3). */
export interface StopCcrq {
  type: 'STOPCCRQ';
  reason: number;
}

/** Stop-Control-Connection-Reply (§2.4). */
export interface StopCcrp {
  type: 'STOPCCRP';
  resultCode: number;
  errorCode: number;
}

/** Echo-Request (§2.5). */
export interface EchoRq {
  type: 'ECHORQ';
  identifier: number;
}

/** Echo-Reply (§2.6). */
export interface EchoRp {
  type: 'ECHORP';
  identifier: number;
  resultCode: number;
  errorCode: number;
}

/** Outgoing-Call-Request (§2.7), PNS → PAC (VPN client → server). */
export interface Ocrq {
  type: 'OCRQ';
  callId: number;
  callSerialNumber: number;
  minimumBps: number;
  maximumBps: number;
  bearerType: number;
  framingType: number;
  packetRecvWindowSize: number;
  packetProcessingDelay: number;
  /** Phone Number Length as sent; it may disagree with the string (it is a count of "valid digits"). */
  phoneNumberLength: number;
  phoneNumber: string;
  subaddress: string;
}

/** Outgoing-Call-Reply (§2.8), PAC → PNS. */
export interface Ocrp {
  type: 'OCRP';
  callId: number;
  peerCallId: number;
  resultCode: number;
  errorCode: number;
  causeCode: number;
  connectSpeed: number;
  packetRecvWindowSize: number;
  packetProcessingDelay: number;
  physicalChannelId: number;
}

/** Incoming-Call-Request (§2.9), PAC → PNS. */
export interface Icrq {
  type: 'ICRQ';
  callId: number;
  callSerialNumber: number;
  callBearerType: number;
  physicalChannelId: number;
  dialedNumberLength: number;
  dialingNumberLength: number;
  dialedNumber: string;
  dialingNumber: string;
  subaddress: string;
}

/** Incoming-Call-Reply (§2.10), PNS → PAC. */
export interface Icrp {
  type: 'ICRP';
  callId: number;
  peerCallId: number;
  resultCode: number;
  errorCode: number;
  packetRecvWindowSize: number;
  packetTransmitDelay: number;
}

/** Incoming-Call-Connected (§2.11), PAC → PNS. */
export interface Iccn {
  type: 'ICCN';
  peerCallId: number;
  connectSpeed: number;
  packetRecvWindowSize: number;
  packetTransmitDelay: number;
  framingType: number;
}

/** Call-Clear-Request (§2.12), PNS → PAC; Call ID is the PNS's. */
export interface Ccrq {
  type: 'CCRQ';
  callId: number;
}

/** Call-Disconnect-Notify (§2.13), PAC → PNS; Call ID is the PAC's. */
export interface Cdn {
  type: 'CDN';
  callId: number;
  resultCode: number;
  errorCode: number;
  causeCode: number;
  /** Call Statistics, 128 octets on the wire. */
  callStatistics: string;
}

/** WAN-Error-Notify (§2.14), PAC → PNS; Peer's Call ID is the PNS's. */
export interface Wen {
  type: 'WEN';
  peerCallId: number;
  crcErrors: number;
  framingErrors: number;
  hardwareOverruns: number;
  bufferOverruns: number;
  timeoutErrors: number;
  alignmentErrors: number;
}

/** Set-Link-Info (§2.15), PNS → PAC; Peer's Call ID is the PAC's. */
export interface Sli {
  type: 'SLI';
  peerCallId: number;
  /**
   * Reserved1, present only when a peer sent it non-zero. A Microsoft PAC
   * sends 0xa196 here (ndpi-pptp.pcap frames 12 and 14); it is kept so the
   * message re-encodes byte for byte, and it is never sent by us.
   */
  reserved1?: number;
  sendAccm: number;
  receiveAccm: number;
}

/** Any PPTP control message. */
export type ControlMessage =
  | Sccrq
  | Sccrp
  | StopCcrq
  | StopCcrp
  | EchoRq
  | EchoRp
  | Ocrq
  | Ocrp
  | Icrq
  | Icrp
  | Iccn
  | Ccrq
  | Cdn
  | Wen
  | Sli;

const NAME_BY_CODE: readonly (ControlMessageName | undefined)[] = (() => {
  const out: (ControlMessageName | undefined)[] = [];
  for (const [name, code] of Object.entries(CONTROL_MESSAGE_TYPE)) out[code] = name as ControlMessageName;
  return out;
})();

/** The name of a Control Message Type code, or undefined for an unknown code. */
export function controlMessageName(code: number): ControlMessageName | undefined {
  return NAME_BY_CODE[code];
}

/** Total octets of `msg` on the wire. */
export function controlMessageLength(msg: ControlMessage): number {
  return CONTROL_MESSAGE_LENGTH[msg.type];
}

function readText(r: Reader, n: number, field: string): string {
  const b = r.bytes(n, field);
  let s = '';
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return s;
}

function writeText(w: Writer, s: string, n: number): void {
  const len = Math.min(s.length, n);
  for (let i = 0; i < len; i++) w.u8(s.charCodeAt(i) & 0xff);
  w.zeros(n - len);
}

/**
 * Parses one control message at the start of `bytes`. `bytesRead` is the
 * message's Length; anything after it is left alone (the stream framer cuts
 * messages apart). Never throws.
 */
export function parseControlMessage(bytes: Uint8Array): Parsed<ControlMessage> {
  if (bytes.length < PPTP_HEADER_BYTES) return fail('TRUNCATED', bytes.length, 'header');
  const r = new Reader(bytes);
  const length = r.u16();
  const pptpType = r.u16();
  const cookie = r.u32();
  const code = r.u16();
  r.u16(); // Reserved0: ignored on receipt.
  if (cookie !== PPTP_MAGIC_COOKIE) return fail('BAD_VALUE', 4, 'magicCookie');
  if (pptpType !== PPTP_MESSAGE_TYPE.CONTROL) return fail('UNSUPPORTED', 2, 'pptpMessageType');
  const name = controlMessageName(code);
  if (name === undefined) return fail('UNSUPPORTED', 8, 'controlMessageType');
  if (length !== CONTROL_MESSAGE_LENGTH[name]) return fail('BAD_LENGTH', 0, 'length');
  if (bytes.length < length) return fail('TRUNCATED', bytes.length, name);
  const body = new Reader(bytes, PPTP_HEADER_BYTES, length);
  const msg = parseBody(name, body);
  if (body.error) return { ok: false, error: body.error };
  return ok(msg, length);
}

function parseBody(name: ControlMessageName, r: Reader): ControlMessage {
  switch (name) {
    case 'SCCRQ':
    case 'SCCRP': {
      const protocolVersion = r.u16();
      let resultCode = 0;
      let errorCode = 0;
      if (name === 'SCCRP') {
        resultCode = r.u8();
        errorCode = r.u8();
      } else r.u16(); // Reserved1
      const framingCapabilities = r.u32();
      const bearerCapabilities = r.u32();
      const maximumChannels = r.u16();
      const firmwareRevision = r.u16();
      const hostName = readText(r, 64, 'hostName');
      const vendorName = readText(r, 64, 'vendorName');
      const params = { protocolVersion, framingCapabilities, bearerCapabilities, maximumChannels, firmwareRevision, hostName, vendorName };
      return name === 'SCCRQ' ? { type: 'SCCRQ', ...params } : { type: 'SCCRP', resultCode, errorCode, ...params };
    }
    case 'STOPCCRQ': {
      const reason = r.u8();
      r.skip(3); // Reserved1, Reserved2
      return { type: 'STOPCCRQ', reason };
    }
    case 'STOPCCRP': {
      const resultCode = r.u8();
      const errorCode = r.u8();
      r.skip(2);
      return { type: 'STOPCCRP', resultCode, errorCode };
    }
    case 'ECHORQ':
      return { type: 'ECHORQ', identifier: r.u32() };
    case 'ECHORP': {
      const identifier = r.u32();
      const resultCode = r.u8();
      const errorCode = r.u8();
      r.skip(2);
      return { type: 'ECHORP', identifier, resultCode, errorCode };
    }
    case 'OCRQ': {
      const callId = r.u16();
      const callSerialNumber = r.u16();
      const minimumBps = r.u32();
      const maximumBps = r.u32();
      const bearerType = r.u32();
      const framingType = r.u32();
      const packetRecvWindowSize = r.u16();
      const packetProcessingDelay = r.u16();
      const phoneNumberLength = r.u16();
      r.skip(2);
      const phoneNumber = readText(r, 64, 'phoneNumber');
      const subaddress = readText(r, 64, 'subaddress');
      return {
        type: 'OCRQ', callId, callSerialNumber, minimumBps, maximumBps, bearerType, framingType,
        packetRecvWindowSize, packetProcessingDelay, phoneNumberLength, phoneNumber, subaddress,
      };
    }
    case 'OCRP': {
      const callId = r.u16();
      const peerCallId = r.u16();
      const resultCode = r.u8();
      const errorCode = r.u8();
      const causeCode = r.u16();
      const connectSpeed = r.u32();
      const packetRecvWindowSize = r.u16();
      const packetProcessingDelay = r.u16();
      const physicalChannelId = r.u32();
      return { type: 'OCRP', callId, peerCallId, resultCode, errorCode, causeCode, connectSpeed, packetRecvWindowSize, packetProcessingDelay, physicalChannelId };
    }
    case 'ICRQ': {
      const callId = r.u16();
      const callSerialNumber = r.u16();
      const callBearerType = r.u32();
      const physicalChannelId = r.u32();
      const dialedNumberLength = r.u16();
      const dialingNumberLength = r.u16();
      const dialedNumber = readText(r, 64, 'dialedNumber');
      const dialingNumber = readText(r, 64, 'dialingNumber');
      const subaddress = readText(r, 64, 'subaddress');
      return { type: 'ICRQ', callId, callSerialNumber, callBearerType, physicalChannelId, dialedNumberLength, dialingNumberLength, dialedNumber, dialingNumber, subaddress };
    }
    case 'ICRP': {
      const callId = r.u16();
      const peerCallId = r.u16();
      const resultCode = r.u8();
      const errorCode = r.u8();
      const packetRecvWindowSize = r.u16();
      const packetTransmitDelay = r.u16();
      r.skip(2);
      return { type: 'ICRP', callId, peerCallId, resultCode, errorCode, packetRecvWindowSize, packetTransmitDelay };
    }
    case 'ICCN': {
      const peerCallId = r.u16();
      r.skip(2);
      const connectSpeed = r.u32();
      const packetRecvWindowSize = r.u16();
      const packetTransmitDelay = r.u16();
      const framingType = r.u32();
      return { type: 'ICCN', peerCallId, connectSpeed, packetRecvWindowSize, packetTransmitDelay, framingType };
    }
    case 'CCRQ': {
      const callId = r.u16();
      r.skip(2);
      return { type: 'CCRQ', callId };
    }
    case 'CDN': {
      const callId = r.u16();
      const resultCode = r.u8();
      const errorCode = r.u8();
      const causeCode = r.u16();
      r.skip(2);
      const callStatistics = readText(r, 128, 'callStatistics');
      return { type: 'CDN', callId, resultCode, errorCode, causeCode, callStatistics };
    }
    case 'WEN': {
      const peerCallId = r.u16();
      r.skip(2);
      return {
        type: 'WEN', peerCallId, crcErrors: r.u32(), framingErrors: r.u32(), hardwareOverruns: r.u32(),
        bufferOverruns: r.u32(), timeoutErrors: r.u32(), alignmentErrors: r.u32(),
      };
    }
    case 'SLI': {
      const peerCallId = r.u16();
      const reserved1 = r.u16();
      const sli: Sli = { type: 'SLI', peerCallId, sendAccm: r.u32(), receiveAccm: r.u32() };
      if (reserved1 !== 0) sli.reserved1 = reserved1;
      return sli;
    }
  }
}

/** Encodes `msg` with its header; reserved fields are zero. */
export function encodeControlMessage(msg: ControlMessage): Uint8Array {
  const length = controlMessageLength(msg);
  const w = new Writer(length);
  w.u16(length).u16(PPTP_MESSAGE_TYPE.CONTROL).u32(PPTP_MAGIC_COOKIE).u16(CONTROL_MESSAGE_TYPE[msg.type]).u16(0);
  switch (msg.type) {
    case 'SCCRQ':
    case 'SCCRP':
      w.u16(msg.protocolVersion);
      if (msg.type === 'SCCRP') w.u8(msg.resultCode).u8(msg.errorCode);
      else w.u16(0);
      w.u32(msg.framingCapabilities).u32(msg.bearerCapabilities).u16(msg.maximumChannels).u16(msg.firmwareRevision);
      writeText(w, msg.hostName, 64);
      writeText(w, msg.vendorName, 64);
      break;
    case 'STOPCCRQ':
      w.u8(msg.reason).u8(0).u16(0);
      break;
    case 'STOPCCRP':
      w.u8(msg.resultCode).u8(msg.errorCode).u16(0);
      break;
    case 'ECHORQ':
      w.u32(msg.identifier);
      break;
    case 'ECHORP':
      w.u32(msg.identifier).u8(msg.resultCode).u8(msg.errorCode).u16(0);
      break;
    case 'OCRQ':
      w.u16(msg.callId).u16(msg.callSerialNumber).u32(msg.minimumBps).u32(msg.maximumBps).u32(msg.bearerType).u32(msg.framingType);
      w.u16(msg.packetRecvWindowSize).u16(msg.packetProcessingDelay).u16(msg.phoneNumberLength).u16(0);
      writeText(w, msg.phoneNumber, 64);
      writeText(w, msg.subaddress, 64);
      break;
    case 'OCRP':
      w.u16(msg.callId).u16(msg.peerCallId).u8(msg.resultCode).u8(msg.errorCode).u16(msg.causeCode).u32(msg.connectSpeed);
      w.u16(msg.packetRecvWindowSize).u16(msg.packetProcessingDelay).u32(msg.physicalChannelId);
      break;
    case 'ICRQ':
      w.u16(msg.callId).u16(msg.callSerialNumber).u32(msg.callBearerType).u32(msg.physicalChannelId);
      w.u16(msg.dialedNumberLength).u16(msg.dialingNumberLength);
      writeText(w, msg.dialedNumber, 64);
      writeText(w, msg.dialingNumber, 64);
      writeText(w, msg.subaddress, 64);
      break;
    case 'ICRP':
      w.u16(msg.callId).u16(msg.peerCallId).u8(msg.resultCode).u8(msg.errorCode).u16(msg.packetRecvWindowSize);
      w.u16(msg.packetTransmitDelay).u16(0);
      break;
    case 'ICCN':
      w.u16(msg.peerCallId).u16(0).u32(msg.connectSpeed).u16(msg.packetRecvWindowSize).u16(msg.packetTransmitDelay).u32(msg.framingType);
      break;
    case 'CCRQ':
      w.u16(msg.callId).u16(0);
      break;
    case 'CDN':
      w.u16(msg.callId).u8(msg.resultCode).u8(msg.errorCode).u16(msg.causeCode).u16(0);
      writeText(w, msg.callStatistics, 128);
      break;
    case 'WEN':
      w.u16(msg.peerCallId).u16(0).u32(msg.crcErrors).u32(msg.framingErrors).u32(msg.hardwareOverruns);
      w.u32(msg.bufferOverruns).u32(msg.timeoutErrors).u32(msg.alignmentErrors);
      break;
    case 'SLI':
      w.u16(msg.peerCallId).u16(msg.reserved1 ?? 0).u32(msg.sendAccm).u32(msg.receiveAccm);
      break;
  }
  return w.finish();
}
