/**
 * UDP encapsulation of IKE and ESP on port 4500 (RFC 3948 §2, RFC 3947 §4):
 *
 *   NAT-keepalive:   0xFF                                  (one byte, §2.3)
 *   IKE:             0x00000000 (Non-ESP Marker) | ISAKMP  (§2.2)
 *   ESP:             SPI (non-zero) | Sequence | ...       (§2.1)
 *
 * On port 500 there is no marker: every datagram is ISAKMP. Classification
 * never throws; a datagram that is none of the three (too short for ESP, a
 * marker with nothing after it) is `invalid` with the reason.
 */

/** The single-byte NAT-keepalive (RFC 3948 §2.3). */
export const NAT_KEEPALIVE = Uint8Array.of(0xff);

/** Bytes of the Non-ESP Marker. */
export const NON_ESP_MARKER_BYTES = 4;

/** What a datagram on UDP 4500 carries. Views, not copies. */
export type Udp4500Datagram =
  | { kind: 'keepalive' }
  | { kind: 'ike'; ike: Uint8Array }
  | { kind: 'esp'; esp: Uint8Array }
  | { kind: 'invalid'; reason: 'udp4500-empty' | 'udp4500-short-esp' | 'udp4500-short-ike' };

/** Sorts a UDP 4500 payload into keepalive, IKE (marker removed) or ESP. */
export function classifyUdp4500(payload: Uint8Array): Udp4500Datagram {
  if (payload.length === 0) return { kind: 'invalid', reason: 'udp4500-empty' };
  if (payload.length === 1 && payload[0] === 0xff) return { kind: 'keepalive' };
  // RFC 3948 §2.1: an ESP header is at least SPI and sequence number.
  if (payload.length < 8) return { kind: 'invalid', reason: payload.length >= 4 && isMarker(payload) ? 'udp4500-short-ike' : 'udp4500-short-esp' };
  if (isMarker(payload)) return { kind: 'ike', ike: payload.subarray(NON_ESP_MARKER_BYTES) };
  return { kind: 'esp', esp: payload };
}

function isMarker(b: Uint8Array): boolean {
  return b[0] === 0 && b[1] === 0 && b[2] === 0 && b[3] === 0;
}

/** An ISAKMP message with the Non-ESP Marker in front, for port 4500. */
export function encodeIkeOverUdp4500(ike: Uint8Array): Uint8Array {
  const out = new Uint8Array(NON_ESP_MARKER_BYTES + ike.length);
  out.set(ike, NON_ESP_MARKER_BYTES);
  return out;
}
