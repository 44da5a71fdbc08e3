/**
 * What both Main Mode roles share: the established ISAKMP SA (keys and the
 * IV base of later exchanges), the key computation after messages 3/4, and
 * NAT detection with NAT-D payloads (RFC 3947 §3.2: in each message the
 * first NAT-D hashes the packet's destination address and port, the others
 * the sender's own; a peer whose hashes do not match what we see is behind a
 * NAT, and so are we when the hash of our address does not match).
 */
import { timingSafeEqual } from 'node:crypto';
import type { IkeCipher } from './ikev1-cipher.js';
import { deriveSkeyids, natDetectionHash, phase1EncryptionKey, phase1Iv, skeyidPsk, type IkeHash, type SkeyidSet } from './ikev1-keys.js';
import type { IdPayload, IsakmpPayload } from './isakmp.js';
import type { Phase1Choice } from './phase1-proposals.js';
import { usesDraftNumbers, type NatTraversalChoice } from './vendor-ids.js';

/** An IPv4 address and UDP port as seen on the wire. */
export interface Endpoint {
  /** 4 bytes. */
  address: Uint8Array;
  port: number;
}

/** NAT detection results (RFC 3947 §3.2). */
export interface NatDetection {
  /** Our address/port is not what the peer sent to: we are behind a NAT. */
  localBehindNat: boolean;
  /** The peer's address/port is none of those it hashed: it is behind a NAT. */
  peerBehindNat: boolean;
}

/** An established ISAKMP SA: everything Quick Mode, informational exchanges and DPD need. */
export interface Phase1Sa {
  role: 'initiator' | 'responder';
  initiatorCookie: Uint8Array;
  responderCookie: Uint8Array;
  choice: Phase1Choice;
  keys: SkeyidSet;
  encKey: Uint8Array;
  /** The last CBC block of Main Mode message 6: the base of every Phase 2 IV (RFC 2409 Appendix B). */
  lastPhase1Block: Uint8Array;
  /** Ni_b and Nr_b. */
  initiatorNonce: Uint8Array;
  responderNonce: Uint8Array;
  /** The peer's identity payload (its data is peer-supplied bytes: print with care). */
  peerId: IdPayload;
  natT: NatTraversalChoice | undefined;
  nat: NatDetection;
  /** The peer announced RFC 3706 DPD. */
  dpd: boolean;
  /** The peer sent INITIAL-CONTACT in message 5/6: it has no other SA with us (old ones can go). */
  initialContact: boolean;
}

/** The keys of a Main Mode exchange after messages 3/4. */
export interface MainModeKeys {
  keys: SkeyidSet;
  encKey: Uint8Array;
  /** The IV of message 5. */
  iv: Uint8Array;
}

/** SKEYID..., the encryption key and the first IV, from the exchanged values (RFC 2409 §5, Appendix B). */
export function mainModeKeys(hash: IkeHash, cipher: IkeCipher, psk: Uint8Array, niB: Uint8Array, nrB: Uint8Array, gxi: Uint8Array, gxr: Uint8Array, gxy: Uint8Array, ckyI: Uint8Array, ckyR: Uint8Array): MainModeKeys {
  const keys = deriveSkeyids(hash, skeyidPsk(hash, psk, niB, nrB), gxy, ckyI, ckyR);
  return { keys, encKey: phase1EncryptionKey(hash, keys.e, cipher.keyBytes), iv: phase1Iv(hash, gxi, gxr, cipher.blockBytes) };
}

/** An endpoint no packet comes from: hashing it in place of our own makes the peer see a NAT. */
const NOWHERE: Endpoint = { address: new Uint8Array(4), port: 0 };

/**
 * The NAT-D payloads of a message we send from `local` to `remote`: the
 * destination first. With `forceEncapsulation` our own hash is of an address
 * we do not have, so the peer concludes we are behind a NAT and moves IKE
 * and ESP to UDP 4500 (what charon's `forceencaps` does; RFC 3947 leaves the
 * hashes to the sender): no raw ESP socket is then needed.
 */
export function natDPayloads(hash: IkeHash, natT: NatTraversalChoice, ckyI: Uint8Array, ckyR: Uint8Array, local: Endpoint, remote: Endpoint, forceEncapsulation = false): IsakmpPayload[] {
  const draft = usesDraftNumbers(natT.variant);
  const self = forceEncapsulation ? NOWHERE : local;
  return [
    { kind: 'nat-d', draft, hash: natDetectionHash(hash, ckyI, ckyR, remote.address, remote.port) },
    { kind: 'nat-d', draft, hash: natDetectionHash(hash, ckyI, ckyR, self.address, self.port) },
  ];
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * NAT detection from the NAT-D payloads of a message the peer sent from
 * `remote` (as we see it) to `local`. Undefined when it carried none (the
 * peer does no NAT-T after all).
 */
export function detectNat(hash: IkeHash, payloads: readonly IsakmpPayload[], ckyI: Uint8Array, ckyR: Uint8Array, local: Endpoint, remote: Endpoint): NatDetection | undefined {
  const hashes = payloads.flatMap((p) => (p.kind === 'nat-d' ? [p.hash] : []));
  if (hashes.length < 2) return undefined;
  const ours = natDetectionHash(hash, ckyI, ckyR, local.address, local.port);
  const theirs = natDetectionHash(hash, ckyI, ckyR, remote.address, remote.port);
  return {
    localBehindNat: !same(hashes[0]!, ours),
    peerBehindNat: !hashes.slice(1).some((h) => same(h, theirs)),
  };
}

/** Byte equality for retransmission detection (not secret: plain compare). */
export function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  if (!a || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Constant-time equality of a received hash and the expected one. */
export function sameHash(received: Uint8Array, expected: Uint8Array): boolean {
  return same(received, expected);
}
