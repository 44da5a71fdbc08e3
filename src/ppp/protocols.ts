/**
 * PPP protocol field values (RFC 1661 §2, IANA "PPP DLL Protocol Numbers")
 * and the packet codes shared by the control protocols. One table for the
 * whole stack: import from here, never re-declare a number.
 */

/** PPP protocol numbers. */
export const PPP_PROTO = {
  IPV4: 0x0021,
  IPV6: 0x0057,
  /** MPPE/MPPC compressed or encrypted datagram (RFC 1962 §1, RFC 3078 §3). */
  COMPRESSED: 0x00fd,
  VJ_COMPRESSED_TCP: 0x002d,
  VJ_UNCOMPRESSED_TCP: 0x002f,
  IPCP: 0x8021,
  IPV6CP: 0x8057,
  CCP: 0x80fd,
  /** Apple Client Server Protocol Control: macOS sends it; we Protocol-Reject it. */
  ACSCP: 0x8235,
  LCP: 0xc021,
  PAP: 0xc023,
  LQR: 0xc025,
  CHAP: 0xc223,
  /** Callback Control Protocol (Microsoft). */
  CBCP: 0xc029,
} as const;

/** A human name for a protocol number, for logs and events. */
export function protocolName(proto: number): string {
  switch (proto) {
    case PPP_PROTO.IPV4: return 'IPv4';
    case PPP_PROTO.IPV6: return 'IPv6';
    case PPP_PROTO.COMPRESSED: return 'Compressed datagram';
    case PPP_PROTO.IPCP: return 'IPCP';
    case PPP_PROTO.IPV6CP: return 'IPV6CP';
    case PPP_PROTO.CCP: return 'CCP';
    case PPP_PROTO.ACSCP: return 'Apple Client Server Protocol Control';
    case PPP_PROTO.LCP: return 'LCP';
    case PPP_PROTO.PAP: return 'PAP';
    case PPP_PROTO.CHAP: return 'CHAP';
    case PPP_PROTO.CBCP: return 'CBCP';
    case PPP_PROTO.LQR: return 'LQR';
    default: return `0x${proto.toString(16).padStart(4, '0')}`;
  }
}

/** Control protocol packet codes (RFC 1661 §5; LCP-only codes 8–13 included). */
export const CP_CODE = {
  CONFIGURE_REQUEST: 1,
  CONFIGURE_ACK: 2,
  CONFIGURE_NAK: 3,
  CONFIGURE_REJECT: 4,
  TERMINATE_REQUEST: 5,
  TERMINATE_ACK: 6,
  CODE_REJECT: 7,
  PROTOCOL_REJECT: 8,
  ECHO_REQUEST: 9,
  ECHO_REPLY: 10,
  DISCARD_REQUEST: 11,
  /** RFC 1570 §2.1. */
  IDENTIFICATION: 12,
  /** RFC 1570 §2.2. */
  TIME_REMAINING: 13,
  /** CCP only (RFC 1962 §2). */
  RESET_REQUEST: 14,
  RESET_ACK: 15,
} as const;
