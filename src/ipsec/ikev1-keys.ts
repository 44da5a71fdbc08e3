/**
 * IKEv1 key derivations for pre-shared key authentication (RFC 2409):
 *
 *   SKEYID   = prf(pre-shared-key, Ni_b | Nr_b)                          §5
 *   SKEYID_d = prf(SKEYID, g^xy | CKY-I | CKY-R | 0)
 *   SKEYID_a = prf(SKEYID, SKEYID_d | g^xy | CKY-I | CKY-R | 1)
 *   SKEYID_e = prf(SKEYID, SKEYID_a | g^xy | CKY-I | CKY-R | 2)
 *   HASH_I   = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b)
 *   HASH_R   = prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b)
 *   Ka       = K1 | K2 | ..., K1 = prf(SKEYID_e, 0), Kn = prf(SKEYID_e, Kn-1)   App. B
 *   IV (P1)  = hash(g^xi | g^xr), IV (P2) = hash(last P1 CBC block | M-ID)       App. B
 *   HASH(1)  = prf(SKEYID_a, M-ID | <payloads after HASH>)              §5.5
 *   HASH(2)  = prf(SKEYID_a, M-ID | Ni_b | <payloads after HASH>)
 *   HASH(3)  = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b)
 *   KEYMAT   = K1 | K2 ..., K1 = prf(SKEYID_d, [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b),
 *              Kn = prf(SKEYID_d, Kn-1 | [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b)
 *   NAT-D    = HASH(CKY-I | CKY-R | IP | Port)                          RFC 3947 §3.2
 *
 * prf is HMAC with the negotiated hash (RFC 2409 §4: no PRF attribute means
 * the HMAC version of the hash). "_b" means a payload's body without its
 * generic header. All inputs are given; nothing here is random. Read RFC
 * 2409 §5 and Appendix B before editing.
 */
import { createHash, createHmac } from 'node:crypto';
import { u32Bytes } from './bytes.js';
import { P1_HASH } from './constants.js';

/** Hash functions IKEv1 negotiates (node:crypto names). */
export type IkeHash = 'md5' | 'sha1' | 'sha256' | 'sha384' | 'sha512';

/** The hash of a Phase 1 Hash Algorithm attribute value, or undefined for one we do not implement. */
export function ikeHashFromAttribute(value: number): IkeHash | undefined {
  switch (value) {
    case P1_HASH.MD5: return 'md5';
    case P1_HASH.SHA1: return 'sha1';
    case P1_HASH.SHA2_256: return 'sha256';
    case P1_HASH.SHA2_384: return 'sha384';
    case P1_HASH.SHA2_512: return 'sha512';
    default: return undefined;
  }
}

/** Output bytes of each hash. */
export const HASH_BYTES: Record<IkeHash, number> = { md5: 16, sha1: 20, sha256: 32, sha384: 48, sha512: 64 };

/** hash(parts...) with the negotiated hash. */
export function ikeDigest(h: IkeHash, ...parts: readonly Uint8Array[]): Uint8Array {
  const x = createHash(h);
  for (const p of parts) x.update(p);
  return new Uint8Array(x.digest());
}

/** prf(key, parts...) = HMAC with the negotiated hash (RFC 2409 §4). */
export function prf(h: IkeHash, key: Uint8Array, ...parts: readonly Uint8Array[]): Uint8Array {
  const x = createHmac(h, key);
  for (const p of parts) x.update(p);
  return new Uint8Array(x.digest());
}

const ZERO = Uint8Array.of(0);
const ONE = Uint8Array.of(1);
const TWO = Uint8Array.of(2);

/** SKEYID for pre-shared keys (RFC 2409 §5). `niB`/`nrB` are the nonce payload bodies. */
export function skeyidPsk(h: IkeHash, psk: Uint8Array, niB: Uint8Array, nrB: Uint8Array): Uint8Array {
  return prf(h, psk, niB, nrB);
}

/** SKEYID_d, SKEYID_a, SKEYID_e (RFC 2409 §5). */
export interface SkeyidSet {
  skeyid: Uint8Array;
  d: Uint8Array;
  a: Uint8Array;
  e: Uint8Array;
}

/** Derives SKEYID_d/a/e from SKEYID, g^xy and the cookies. */
export function deriveSkeyids(h: IkeHash, skeyid: Uint8Array, gxy: Uint8Array, ckyI: Uint8Array, ckyR: Uint8Array): SkeyidSet {
  const d = prf(h, skeyid, gxy, ckyI, ckyR, ZERO);
  const a = prf(h, skeyid, d, gxy, ckyI, ckyR, ONE);
  const e = prf(h, skeyid, a, gxy, ckyI, ckyR, TWO);
  return { skeyid, d, a, e };
}

/**
 * The Phase 1 encryption key of `keyBytes` from SKEYID_e: its first bytes
 * when it is long enough, else the Appendix B expansion K1 | K2 | ...
 * (needed for AES-256 with SHA1 or 3DES with MD5).
 */
export function phase1EncryptionKey(h: IkeHash, skeyidE: Uint8Array, keyBytes: number): Uint8Array {
  if (skeyidE.length >= keyBytes) return skeyidE.slice(0, keyBytes);
  const out = new Uint8Array(keyBytes);
  let k = prf(h, skeyidE, ZERO);
  let at = 0;
  for (;;) {
    out.set(k.subarray(0, keyBytes - at), at);
    at += k.length;
    if (at >= keyBytes) return out;
    k = prf(h, skeyidE, k);
  }
}

/** The Phase 1 IV: hash(g^xi | g^xr) truncated to the cipher block (Appendix B). */
export function phase1Iv(h: IkeHash, gxi: Uint8Array, gxr: Uint8Array, blockBytes: number): Uint8Array {
  return ikeDigest(h, gxi, gxr).slice(0, blockBytes);
}

/**
 * The IV of a Quick Mode or informational exchange: hash(last Phase 1 CBC
 * output block | M-ID) truncated to the block (Appendix B). The last Phase 1
 * block is the last ciphertext block of Main Mode message 6.
 */
export function phase2Iv(h: IkeHash, lastPhase1Block: Uint8Array, messageId: number, blockBytes: number): Uint8Array {
  return ikeDigest(h, lastPhase1Block, u32Bytes(messageId)).slice(0, blockBytes);
}

/** HASH_I (RFC 2409 §5). `saiB` is the initiator's SA payload body as it was sent. */
export function hashI(h: IkeHash, skeyid: Uint8Array, gxi: Uint8Array, gxr: Uint8Array, ckyI: Uint8Array, ckyR: Uint8Array, saiB: Uint8Array, idiiB: Uint8Array): Uint8Array {
  return prf(h, skeyid, gxi, gxr, ckyI, ckyR, saiB, idiiB);
}

/** HASH_R (RFC 2409 §5). */
export function hashR(h: IkeHash, skeyid: Uint8Array, gxi: Uint8Array, gxr: Uint8Array, ckyI: Uint8Array, ckyR: Uint8Array, saiB: Uint8Array, idirB: Uint8Array): Uint8Array {
  return prf(h, skeyid, gxr, gxi, ckyR, ckyI, saiB, idirB);
}

/** Quick Mode HASH(1) over the encoded payloads that follow the HASH payload (RFC 2409 §5.5). */
export function quickModeHash1(h: IkeHash, skeyidA: Uint8Array, messageId: number, afterHash: Uint8Array): Uint8Array {
  return prf(h, skeyidA, u32Bytes(messageId), afterHash);
}

/** Quick Mode HASH(2): like HASH(1) with the initiator's nonce body first. */
export function quickModeHash2(h: IkeHash, skeyidA: Uint8Array, messageId: number, niB: Uint8Array, afterHash: Uint8Array): Uint8Array {
  return prf(h, skeyidA, u32Bytes(messageId), niB, afterHash);
}

/** Quick Mode HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b). */
export function quickModeHash3(h: IkeHash, skeyidA: Uint8Array, messageId: number, niB: Uint8Array, nrB: Uint8Array): Uint8Array {
  return prf(h, skeyidA, ZERO, u32Bytes(messageId), niB, nrB);
}

/** The HASH of an informational exchange protected by the ISAKMP SA: prf(SKEYID_a, M-ID | N/D) (RFC 2409 §5.7). */
export function informationalHash(h: IkeHash, skeyidA: Uint8Array, messageId: number, afterHash: Uint8Array): Uint8Array {
  return prf(h, skeyidA, u32Bytes(messageId), afterHash);
}

/**
 * KEYMAT of `bytes` for one direction's SA (RFC 2409 §5.5). `spi` is the SPI
 * of the SA being keyed (the receiver's choice), `protocol` PROTO.IPSEC_ESP;
 * `gqmxy` is the Quick Mode DH secret with PFS, absent without.
 */
export function keymat(h: IkeHash, skeyidD: Uint8Array, protocol: number, spi: Uint8Array, niB: Uint8Array, nrB: Uint8Array, bytes: number, gqmxy?: Uint8Array): Uint8Array {
  const seed = gqmxy ? [gqmxy, Uint8Array.of(protocol), spi, niB, nrB] : [Uint8Array.of(protocol), spi, niB, nrB];
  const out = new Uint8Array(bytes);
  let k = prf(h, skeyidD, ...seed);
  let at = 0;
  for (;;) {
    out.set(k.subarray(0, bytes - at), at);
    at += k.length;
    if (at >= bytes) return out;
    k = prf(h, skeyidD, k, ...seed);
  }
}

/** A NAT-D hash: HASH(CKY-I | CKY-R | IP | Port) with the negotiated hash (RFC 3947 §3.2). */
export function natDetectionHash(h: IkeHash, ckyI: Uint8Array, ckyR: Uint8Array, address: Uint8Array, port: number): Uint8Array {
  return ikeDigest(h, ckyI, ckyR, address, Uint8Array.of(port >>> 8, port & 0xff));
}
