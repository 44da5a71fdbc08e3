/**
 * The MPPE CCP option (RFC 3078 §2): CCP option type 18, length 6, carrying a
 * 32-bit "Supported Bits" field, most significant octet first. The CCP
 * handler imports these constants; the negotiation itself lives in ccp/.
 */

/** CCP option type of MPPE/MPPC (RFC 3078 §2, RFC 2118). */
export const CCP_OPTION_MPPE = 18;

/** Bits of the 32-bit Supported Bits field (RFC 3078 §2). */
export const MPPE_BITS = {
  /** H: stateless mode, the session key changes on every packet. */
  STATELESS: 0x01000000,
  /** M: 56-bit session keys. */
  BITS_56: 0x00000080,
  /** S: 128-bit session keys. */
  BITS_128: 0x00000040,
  /** L: 40-bit session keys. */
  BITS_40: 0x00000020,
  /** D: obsolete; RFC 3078 §2 says it SHOULD NOT be accepted. */
  OBSOLETE_D: 0x00000010,
  /** C: MPPC compression (RFC 2118); not supported here. */
  MPPC: 0x00000001,
} as const;

/** Every bit RFC 3078 defines; the rest are reserved and MUST be 0. */
export const MPPE_KNOWN_BITS =
  MPPE_BITS.STATELESS | MPPE_BITS.BITS_56 | MPPE_BITS.BITS_128 | MPPE_BITS.BITS_40 | MPPE_BITS.OBSOLETE_D | MPPE_BITS.MPPC;

/** An MPPE key strength in bits. */
export type MppeStrength = 40 | 56 | 128;

/** The Supported Bits for one strength and mode. */
export function mppeBits(strength: MppeStrength, stateless: boolean): number {
  const s = strength === 128 ? MPPE_BITS.BITS_128 : strength === 56 ? MPPE_BITS.BITS_56 : MPPE_BITS.BITS_40;
  return (s | (stateless ? MPPE_BITS.STATELESS : 0)) >>> 0;
}

/**
 * The strongest encryption option in `bits` (RFC 3078 §2.1: S over M over L),
 * or undefined when none is set.
 */
export function strongestMppeStrength(bits: number): MppeStrength | undefined {
  if (bits & MPPE_BITS.BITS_128) return 128;
  if (bits & MPPE_BITS.BITS_56) return 56;
  if (bits & MPPE_BITS.BITS_40) return 40;
  return undefined;
}

/** Session key length in octets for a strength (RFC 3079: 8 for 40/56, 16 for 128). */
export function mppeKeyLength(strength: MppeStrength): 8 | 16 {
  return strength === 128 ? 16 : 8;
}
