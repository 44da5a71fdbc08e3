/**
 * The hash and response functions of CHAP-MD5 (RFC 1994 §4.1), MS-CHAPv1
 * (RFC 2433 Appendix A) and MS-CHAPv2 (RFC 2759 §8), plus the MPPE key
 * material each MS-CHAP variant yields (RFC 3079 §2–3). Pure functions, used
 * by both the verifier (server side) and the client.
 *
 * Read RFC 2759 §8 before editing; the test vectors in test/fixtures/vectors/rfc2759-*.json
 * and rfc2433-mschapv1.json pin every function here.
 * Left out: the Change-Password routines (RFC 2759 §8.9–8.12).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { md4 } from '../crypto/md4.js';
import { desEncrypt7 } from '../crypto/des.js';
import { getMasterKey, type MppeKeyMaterial } from '../mppe/keys.js';

/** The UTF-16LE form of a password, as MS-CHAP hashes it (RFC 2759 §8.3). */
export function utf16le(s: string): Uint8Array {
  const out = new Uint8Array(s.length * 2);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out[i * 2] = c & 0xff;
    out[i * 2 + 1] = c >> 8;
  }
  return out;
}

/** UTF-8 octets of a string. */
export function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** Equality in time independent of where the inputs differ. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

function sha1(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha1');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** RFC 1994 §4.1: MD5(Identifier | secret | Challenge). */
export function chapMd5Response(identifier: number, secret: Uint8Array, challenge: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('md5').update(Uint8Array.of(identifier & 0xff)).update(secret).update(challenge).digest());
}

/** RFC 2759 §8.3 NtPasswordHash: MD4 of the UTF-16LE password. */
export function ntPasswordHash(password: string): Uint8Array {
  return md4(utf16le(password));
}

/** RFC 2759 §8.4 HashNtPasswordHash: MD4 of the 16-octet hash. */
export function hashNtPasswordHash(passwordHash: Uint8Array): Uint8Array {
  return md4(passwordHash);
}

/**
 * RFC 2433 §A.2 LmPasswordHash: DES of "KGS!@#$%" under each half of the
 * upper-cased, zero-padded 14-octet password. Undefined for passwords LAN
 * Manager cannot represent (longer than 14 octets or outside Latin-1).
 */
export function lmPasswordHash(password: string): Uint8Array | undefined {
  const upper = password.toUpperCase();
  if (upper.length > 14 || /[^\u0000-\u00ff]/.test(upper)) return undefined;
  const pw = new Uint8Array(14);
  for (let i = 0; i < upper.length; i++) pw[i] = upper.charCodeAt(i);
  const std = Uint8Array.from('KGS!@#$%', (c) => c.charCodeAt(0));
  const out = new Uint8Array(16);
  out.set(desEncrypt7(std, pw.subarray(0, 7)), 0);
  out.set(desEncrypt7(std, pw.subarray(7, 14)), 8);
  return out;
}

/**
 * RFC 2759 §8.5 ChallengeResponse (= RFC 2433 §A.5 for v1): the 16-octet
 * hash zero-padded to 21 octets, split into three DES keys, each encrypting
 * the 8-octet challenge. 24 octets.
 */
export function challengeResponse(challenge: Uint8Array, passwordHash: Uint8Array): Uint8Array {
  const z = new Uint8Array(21);
  z.set(passwordHash.subarray(0, 16));
  const out = new Uint8Array(24);
  const ch = challenge.subarray(0, 8);
  out.set(desEncrypt7(ch, z.subarray(0, 7)), 0);
  out.set(desEncrypt7(ch, z.subarray(7, 14)), 8);
  out.set(desEncrypt7(ch, z.subarray(14, 21)), 16);
  return out;
}

/**
 * The user name MS-CHAPv2 hashes: RFC 2759 §8.2 uses the name "excluding
 * any prepended domain name", so "BIGCO\johndoe" hashes as "johndoe".
 */
export function stripDomain(username: Uint8Array): Uint8Array {
  const slash = username.lastIndexOf(0x5c);
  return slash < 0 ? username : username.subarray(slash + 1);
}

/** RFC 2759 §8.2 ChallengeHash: first 8 octets of SHA1(PeerChallenge | AuthenticatorChallenge | UserName). */
export function challengeHash(peerChallenge: Uint8Array, authenticatorChallenge: Uint8Array, username: Uint8Array): Uint8Array {
  return sha1(peerChallenge, authenticatorChallenge, stripDomain(username)).slice(0, 8);
}

/** RFC 2759 §8.1 GenerateNTResponse, from the password hash. */
export function generateNtResponseFromHash(
  authenticatorChallenge: Uint8Array,
  peerChallenge: Uint8Array,
  username: Uint8Array,
  passwordHash: Uint8Array,
): Uint8Array {
  return challengeResponse(challengeHash(peerChallenge, authenticatorChallenge, username), passwordHash);
}

/** RFC 2759 §8.1 GenerateNTResponse. */
export function generateNtResponse(
  authenticatorChallenge: Uint8Array,
  peerChallenge: Uint8Array,
  username: Uint8Array,
  password: string,
): Uint8Array {
  return generateNtResponseFromHash(authenticatorChallenge, peerChallenge, username, ntPasswordHash(password));
}

const AUTH_MAGIC1 = Uint8Array.from('Magic server to client signing constant', (c) => c.charCodeAt(0));
const AUTH_MAGIC2 = Uint8Array.from('Pad to make it do more than one iteration', (c) => c.charCodeAt(0));

/**
 * RFC 2759 §8.7 GenerateAuthenticatorResponse from PasswordHashHash:
 * "S=" and 40 upper-case hex digits.
 */
export function generateAuthenticatorResponseFromHashHash(
  passwordHashHash: Uint8Array,
  ntResponse: Uint8Array,
  peerChallenge: Uint8Array,
  authenticatorChallenge: Uint8Array,
  username: Uint8Array,
): string {
  const digest = sha1(passwordHashHash, ntResponse, AUTH_MAGIC1);
  const challenge = challengeHash(peerChallenge, authenticatorChallenge, username);
  const d2 = sha1(digest, challenge, AUTH_MAGIC2);
  let hex = '';
  for (const b of d2) hex += b.toString(16).padStart(2, '0');
  return `S=${hex.toUpperCase()}`;
}

/** RFC 2433 §A.1/A.5: the v1 responses to an 8-octet challenge. */
export function msChapV1Responses(challenge: Uint8Array, password: string): { lmResponse: Uint8Array; ntResponse: Uint8Array } {
  return { lmResponse: new Uint8Array(24), ntResponse: challengeResponse(challenge, ntPasswordHash(password)) };
}

/**
 * True when an MS-CHAPv1 Response carries a LAN Manager response (any
 * non-zero octet). pppd as Debian and most distributions build it (without
 * MSLANMAN) and our client zero-fill the field; Windows fills it whenever the
 * password has an LM form (RFC 2433 §6).
 */
export function hasLmResponse(lmResponse: Uint8Array): boolean {
  return lmResponse.some((b) => b !== 0);
}

/**
 * MS-CHAPv1 MPPE key material for a password and the authenticator challenge.
 * `lmKeys` picks the source of 40/56-bit keys:
 * - false: the first 8 octets of Get_Start_Key(Challenge, NtPasswordHashHash)
 *   for every strength. pppd derives MS-CHAPv1 keys this way in both roles
 *   (pppd/mppe.c mppe_set_chapv1, called from chap_ms.c Set_Start_Key whether
 *   or not MSLANMAN is built in), and so do accel-ppp (auth_mschap_v1.c
 *   set_mppe_keys) and the pppd RADIUS plugin.
 * - true: the first 8 octets of LmPasswordHash, as RFC 3079 §2.1–2.2 specify
 *   for Windows. Passwords without an LM form (over 14 characters) fall back
 *   to the NT-derived key.
 * 128-bit keys always come from Get_Start_Key (RFC 3079 §2.3).
 */
export function msChapV1KeyMaterial(challenge: Uint8Array, password: string, lmKeys = false): MppeKeyMaterial {
  const base = { kind: 'mschap-v1' as const, challenge: challenge.slice(0, 8), ntPasswordHashHash: hashNtPasswordHash(ntPasswordHash(password)) };
  const lm = lmKeys ? lmPasswordHash(password) : undefined;
  return lm ? { ...base, lmKey: lm.slice(0, 8) } : base;
}

/** MS-CHAPv2 MPPE key material (RFC 3079 §3.4 GetMasterKey). */
export function msChapV2KeyMaterial(passwordHashHash: Uint8Array, ntResponse: Uint8Array): MppeKeyMaterial {
  return { kind: 'mschap-v2', masterKey: getMasterKey(passwordHashHash, ntResponse) };
}
