/**
 * Diffie-Hellman for IKEv1 (RFC 2409 §5, §6): MODP groups 2 (1024-bit,
 * RFC 2409 §6.2), 5 (1536, RFC 3526 §2) and 14 (2048, RFC 3526 §3), and the
 * ECP groups 19 (P-256) and 20 (P-384) of RFC 5903, through node:crypto.
 *
 * KE payload formats: MODP g^x is big-endian, left-padded to the prime's
 * length; ECP is x | y, each coordinate the field size (RFC 5903 §7, no
 * 0x04 prefix). The shared secret g^xy is the MODP value padded the same way,
 * or for ECP the x coordinate alone (RFC 5903 §7).
 *
 * No randomness inside: private keys come from the caller's Rng. A peer's
 * public value that is the wrong length, out of range (MODP: not in
 * 2..p-2) or not on the curve gives `undefined`, never a throw.
 */
import { createDiffieHellman, createECDH, getDiffieHellman, type DiffieHellman, type ECDH } from 'node:crypto';
import type { Rng } from '../core/rng.js';
import { DH_GROUP } from './constants.js';

/** What we know about a group. */
export interface DhGroupInfo {
  group: number;
  kind: 'modp' | 'ecp';
  /** Bytes of the KE payload data (and of the MODP shared secret). */
  publicBytes: number;
  /** Bytes of the shared secret g^xy. */
  secretBytes: number;
  /** The name admins know from ipsec.conf (`modp2048`, `ecp384`). */
  name: string;
  /** True for groups below today's bar (MODP1024): allowed only when configured, logged as weak. */
  weak: boolean;
}

const GROUPS: Record<number, DhGroupInfo & { node: string; privateBytes: number }> = {
  // Exponents of 256 bits: at least twice the strength of each group (RFC 3526 §8).
  [DH_GROUP.MODP_1024]: { group: 2, kind: 'modp', publicBytes: 128, secretBytes: 128, name: 'modp1024', weak: true, node: 'modp2', privateBytes: 32 },
  [DH_GROUP.MODP_1536]: { group: 5, kind: 'modp', publicBytes: 192, secretBytes: 192, name: 'modp1536', weak: false, node: 'modp5', privateBytes: 32 },
  [DH_GROUP.MODP_2048]: { group: 14, kind: 'modp', publicBytes: 256, secretBytes: 256, name: 'modp2048', weak: false, node: 'modp14', privateBytes: 32 },
  [DH_GROUP.ECP_256]: { group: 19, kind: 'ecp', publicBytes: 64, secretBytes: 32, name: 'ecp256', weak: false, node: 'prime256v1', privateBytes: 32 },
  [DH_GROUP.ECP_384]: { group: 20, kind: 'ecp', publicBytes: 96, secretBytes: 48, name: 'ecp384', weak: false, node: 'secp384r1', privateBytes: 48 },
};

// The MODP primes are node's RFC 2409/3526 groups (checked against the RFC text in dh.test.ts).
const primes = new Map<number, Buffer>();
function prime(group: number): Buffer {
  let p = primes.get(group);
  if (!p) {
    p = getDiffieHellman(GROUPS[group]!.node).getPrime();
    primes.set(group, p);
  }
  return p;
}

/** The group's description, or undefined for a group we do not implement. */
export function dhGroup(group: number): DhGroupInfo | undefined {
  const g = GROUPS[group];
  if (!g) return undefined;
  const { node: _node, privateBytes: _pb, ...info } = g;
  return info;
}

/** The MODP prime of a group (for tests and validation). */
export function modpPrime(group: number): Uint8Array | undefined {
  return GROUPS[group]?.kind === 'modp' ? new Uint8Array(prime(group)) : undefined;
}

/** Our half of an exchange. */
export interface DhKeyPair {
  group: number;
  privateKey: Uint8Array;
  /** g^x as the KE payload carries it. */
  publicKey: Uint8Array;
}

function leftPad(b: Uint8Array, n: number): Uint8Array {
  if (b.length === n) return new Uint8Array(b);
  const out = new Uint8Array(n);
  out.set(b.subarray(Math.max(0, b.length - n)), Math.max(0, n - b.length));
  return out;
}

// One context per MODP group, reused: creating one checks the prime (45 ms for
// MODP1024, which OpenSSL 3 does not know by name), setting a key does not.
// Calls are synchronous, so reuse never interleaves.
const contexts = new Map<number, DiffieHellman>();

/** The group's MODP context loaded with our private key; `withPublic` computes g^x too (computeSecret does not need it). */
function modp(group: number, privateKey: Uint8Array, withPublic: boolean): DiffieHellman {
  let dh = contexts.get(group);
  if (!dh) {
    dh = createDiffieHellman(prime(group), Buffer.of(2));
    contexts.set(group, dh);
  }
  dh.setPrivateKey(privateKey);
  if (withPublic) dh.generateKeys();
  return dh;
}

function ecdh(group: number, privateKey: Uint8Array): ECDH | undefined {
  const e = createECDH(GROUPS[group]!.node);
  try {
    e.setPrivateKey(privateKey);
  } catch {
    return undefined; // zero or not below the group order
  }
  return e;
}

/**
 * The key pair for a given private key, or undefined when the private key
 * is not usable (an ECP scalar of 0 or not below the order; a MODP exponent
 * of 0). Throws only for a group we do not implement (a bug: callers pick
 * groups from dhGroup).
 */
export function dhKeyPairFromPrivate(group: number, privateKey: Uint8Array): DhKeyPair | undefined {
  const g = GROUPS[group];
  if (!g) throw new Error(`DH group ${group} is not implemented`);
  if (g.kind === 'modp') {
    if (privateKey.every((b) => b === 0)) return undefined;
    return { group, privateKey, publicKey: leftPad(modp(group, privateKey, true).getPublicKey(), g.publicBytes) };
  }
  const e = ecdh(group, privateKey);
  if (!e) return undefined;
  return { group, privateKey, publicKey: new Uint8Array(e.getPublicKey().subarray(1)) };
}

/** A fresh key pair with the private key drawn from `rng` (redrawn in the rare unusable case). */
export function dhGenerate(group: number, rng: Rng): DhKeyPair {
  const g = GROUPS[group];
  if (!g) throw new Error(`DH group ${group} is not implemented`);
  for (;;) {
    const pair = dhKeyPairFromPrivate(group, rng.bytes(g.privateBytes));
    if (pair) return pair;
  }
}

/** True when `y` (big-endian, prime-length) lies in 2..p-2 (RFC 2631 §2.1.5 style range check). */
function modpPublicInRange(y: Uint8Array, p: Uint8Array): boolean {
  let allZeroButLast = true;
  for (let i = 0; i < y.length - 1; i++) if (y[i] !== 0) allZeroButLast = false;
  if (allZeroButLast && y[y.length - 1]! <= 1) return false;
  // y <= p - 2  ⇔  y + 1 < p: compare y against p - 1 (p is odd, so p - 1 only flips the last bit).
  for (let i = 0; i < y.length; i++) {
    const pm1 = i === y.length - 1 ? p[i]! - 1 : p[i]!;
    if (y[i]! !== pm1) return y[i]! < pm1;
  }
  return false; // y == p - 1
}

/**
 * g^xy from our pair and the peer's KE data, or undefined when the peer's
 * value is the wrong length, out of range or not a curve point.
 */
export function dhSharedSecret(pair: DhKeyPair, peerPublic: Uint8Array): Uint8Array | undefined {
  const g = GROUPS[pair.group]!;
  if (peerPublic.length !== g.publicBytes) return undefined;
  if (g.kind === 'modp') {
    if (!modpPublicInRange(peerPublic, prime(pair.group))) return undefined;
    try {
      return leftPad(modp(pair.group, pair.privateKey, false).computeSecret(peerPublic), g.secretBytes);
    } catch {
      return undefined;
    }
  }
  const e = ecdh(pair.group, pair.privateKey);
  if (!e) return undefined;
  const point = new Uint8Array(1 + peerPublic.length);
  point[0] = 0x04;
  point.set(peerPublic, 1);
  try {
    return new Uint8Array(e.computeSecret(point));
  } catch {
    return undefined; // not on the curve
  }
}
