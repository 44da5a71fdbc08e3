/**
 * The MPPE data path (RFC 3078): RC4 encryption of PPP datagrams with a
 * 12-bit coherency count, in stateful or stateless mode, at 40, 56 or 128 bits.
 *
 * Theory of operation
 * -------------------
 * Each direction has its own start key (keys.ts). The initial session key is
 * GetNewKeyFromSHA(StartKey, StartKey) plus the 40/56-bit salt, and RC4 is
 * keyed with it. A *key change* (RFC 3078 §7.3) derives an interim key with
 * GetNewKeyFromSHA(StartKey, SessionKey), keys RC4 with it, encrypts the
 * interim key to get the new session key, salts it and re-keys RC4.
 *
 * - Stateless (H bit): the sender changes key before every packet and sets
 *   FLUSHED on all of them; the receiver performs (count - lastCount) mod 4096
 *   key changes before decrypting (§7.1, §8.1), so loss needs no signalling.
 * - Stateful: the RC4 stream runs across packets. The sender changes key
 *   before each "flag" packet (count low octet 0xFF, §7.2). On a CCP
 *   Reset-Request its next packet is FLUSHED (§8.2); see the interop notes
 *   for how it is keyed. The receiver expects consecutive
 *   counts; on a gap it drops the packet, asks for a CCP Reset-Request
 *   (`takeResetRequest()`), discards until a FLUSHED packet arrives, then does
 *   one key change per flag packet it missed and re-keys RC4 (§8.2).
 *
 * Packet layout (RFC 3078 §3.1), the PPP information field of protocol 0x00FD:
 *   A B C D | 12-bit coherency count | RC4(inner protocol field + data)
 * with A = FLUSHED (0x80), C = MPPC-compressed (0x20), D = encrypted (0x10).
 *
 * Interop notes. Like the Linux ppp_mppe driver, the first packet of each
 * direction carries count 0 and stateful mode does not set FLUSHED on it.
 * RFC 3078 §8.2 says a Reset-Request re-initialises RC4 from the current
 * session key (FreeBSD's ng_mppc does that); the Linux driver — the far end of
 * most pptpd and pptp-linux links — performs a full key change instead, when
 * sending a FLUSHED packet and when receiving one (drivers/net/ppp/ppp_mppe.c,
 * mppe_compress and mppe_decompress). A Linux receiver in its discard state
 * does one key change per flag packet passed plus one for the FLUSHED packet,
 * so a sender that changes key for a reset and whose FLUSHED packet is lost is
 * one key change ahead for good: every later packet fails and pppd keeps
 * sending Reset-Requests (seen against pptpd: the TCP stream toward pppd
 * stalled, test/interop/tunppp.test.ts). So by default (`resetMode:
 * 'key-change'`) we answer a Reset-Request by jumping the count to the next
 * flag packet: FLUSHED with the flag packet's key change, which every receiver
 * keys the same way and which stays in step however many are lost. 'rfc'
 * re-initialises RC4 on the next packet instead. On receive we try both
 * readings of a FLUSHED non-flag packet, keeping the one whose plaintext is an
 * IP packet. Stateless mode, which Windows, macOS and pppd negotiate by
 * default, is unaffected.
 *
 * Left out: MPPC compression (C bit), self-describing padding.
 */
import { LocalUsageError } from '../../core/errors.js';
import { TYPESCRIPT_MPPE_PRIMITIVES, type MppePrimitives, type Rc4Stream } from './primitives.js';
import { initialSessionKey, saltSessionKey } from './keys.js';
import { mppeKeyLength, type MppeStrength } from './options.js';

/** Octets MPPE adds in front of the encrypted data. */
export const MPPE_HEADER_LENGTH = 2;

/** Header bits of the first octet (RFC 3078 §3.1). */
export const MPPE_HEADER_BITS = {
  /** A: RC4 tables were re-initialised before this packet. */
  FLUSHED: 0x80,
  /** B: meaningless for MPPE. */
  B: 0x40,
  /** C: MPPC-compressed; we never negotiate MPPC. */
  COMPRESSED: 0x20,
  /** D: the packet is encrypted. */
  ENCRYPTED: 0x10,
} as const;

/** The coherency count is 12 bits (RFC 3078 §3.1). */
const CCOUNT_MASK = 0x0fff;
/**
 * A count at most this far ahead of the last one is taken as loss; further
 * (i.e. up to 256 behind) it is a late or repeated packet and dropped.
 */
const MAX_FORWARD = 4096 - 256;

/** Mode and strength of one MPPE direction, as negotiated by CCP. */
export interface MppeOptions {
  strength: MppeStrength;
  /** Stateless (historyless) mode: the H bit was negotiated. */
  stateless: boolean;
  /**
   * Sender, stateful mode: what a Reset-Request triggers before the FLUSHED
   * packet. 'key-change' (default), for peers that change key on FLUSHED like
   * the Linux ppp_mppe driver: the count jumps to the next flag packet (see the
   * interop notes above); 'rfc' re-initialises RC4 only (RFC 3078 §8.2,
   * FreeBSD ng_mppc). The receiver accepts both (see MppeDecrypter).
   */
  resetMode?: 'key-change' | 'rfc';
  /** RC4 and SHA-1 (default: the TypeScript ones; the I/O edge may pass native ones). */
  primitives?: MppePrimitives;
}

/** Why `MppeDecrypter.decrypt` dropped a packet. */
export type MppeDropReason =
  /** Shorter than the 2-octet MPPE header plus one octet of data. */
  | 'truncated'
  /** The D (encrypted) bit is clear: MPPE-negotiated links carry only encrypted datagrams. */
  | 'not-encrypted'
  /** The C bit is set: the peer sent MPPC-compressed data we never negotiated. */
  | 'compressed'
  /** Stateful: the count is not the next one; packets were lost. A Reset-Request is now pending. */
  | 'coherency-gap'
  /** Stateful: discarding after a gap until a packet with the FLUSHED bit arrives. */
  | 'awaiting-flush'
  /** The count repeats or is behind the last one (reordered or duplicated packet). */
  | 'stale'
  /**
   * Stateless: the count jumps further ahead than the key-change budget
   * allows (a peer cycling the count to make us re-key thousands of times
   * per packet). Legitimate loss never gets here: see REKEY_BUDGET_MAX.
   */
  | 'rekey-budget';

/** A dropped packet: `decrypt` returns this instead of a length. */
export interface MppeDrop {
  readonly kind: 'drop';
  readonly reason: MppeDropReason;
}

const DROPS: { readonly [R in MppeDropReason]: MppeDrop } = {
  truncated: Object.freeze({ kind: 'drop', reason: 'truncated' }),
  'not-encrypted': Object.freeze({ kind: 'drop', reason: 'not-encrypted' }),
  compressed: Object.freeze({ kind: 'drop', reason: 'compressed' }),
  'coherency-gap': Object.freeze({ kind: 'drop', reason: 'coherency-gap' }),
  'awaiting-flush': Object.freeze({ kind: 'drop', reason: 'awaiting-flush' }),
  stale: Object.freeze({ kind: 'drop', reason: 'stale' }),
  'rekey-budget': Object.freeze({ kind: 'drop', reason: 'rekey-budget' }),
};

/**
 * Stateless key changes are bounded per received packet: every packet earns
 * REKEY_PER_PACKET changes, up to REKEY_BUDGET_MAX saved. A sender cannot
 * advance its count faster than it sends, so honest traffic needs one change
 * per packet plus one per lost packet (covered up to 75% sustained loss, and
 * bursts of ~8000 lost packets). A hostile peer that jumps the count by ~3800
 * on every packet would otherwise cost ~13 ms of CPU per packet.
 */
const REKEY_PER_PACKET = 4;
const REKEY_BUDGET_MAX = 8192;

/** Counters of one MPPE direction, for metrics and the doctor. */
export interface MppeStats {
  /** Packets encrypted, or decrypted successfully. */
  packets: number;
  /** Payload octets in those packets (without the MPPE header). */
  octets: number;
  /** Key changes (RFC 3078 §7.3): one per packet stateless, one per 256 stateful, more after loss. */
  keyChanges: number;
  /** Stateful: FLUSHED packets sent after a Reset-Request, or resynchronisations after loss. */
  resyncs: number;
}

/** True when `count` is a stateful "flag" packet (low octet 0xFF, RFC 3078 §7.2). */
export function isFlagPacket(count: number): boolean {
  return (count & 0xff) === 0xff;
}

/** The plaintext starts with an IPv4 or IPv6 protocol field (PFC or not) and a matching IP version. */
function plausibleInner(b: Uint8Array, o: number, len: number): boolean {
  if (len < 2) return false;
  const p0 = b[o]!;
  if (p0 === 0x21) return b[o + 1]! >> 4 === 4;
  if (p0 === 0x57) return b[o + 1]! >> 4 === 6;
  if (p0 !== 0x00 || len < 3) return false;
  const p1 = b[o + 1]!;
  return (p1 === 0x21 && b[o + 2]! >> 4 === 4) || (p1 === 0x57 && b[o + 2]! >> 4 === 6);
}

/** How many flag counts lie in (from, to], walking forward modulo 4096. */
export function flagPacketsBetween(from: number, to: number): number {
  const d = (to - from) & CCOUNT_MASK;
  const lo = from & 0xff;
  return Math.floor((lo + d + 1) / 256) - (lo === 0xff ? 1 : 0);
}

/** Key state shared by both directions: session key, RC4 and the §7.3 key change. */
class MppeKeyState {
  readonly keyLength: 8 | 16;
  readonly startKey: Uint8Array;
  readonly sessionKey: Uint8Array;
  readonly rc4: Rc4Stream;
  private readonly sha1Into: MppePrimitives['sha1Into'];
  private readonly fusedKeyChange: MppePrimitives['keyChange'];
  /** Octets of the 40/56-bit salt (saltSessionKey). */
  private readonly saltLength: number;
  /** StartKey | SHApad1 | SessionKey | SHApad2, the GetNewKeyFromSHA input; only SessionKey changes. */
  private readonly shaInput: Uint8Array;
  private readonly digest = new Uint8Array(20);
  /** Key changes performed so far (RFC 3078 §7.3). */
  keyChanges = 0;

  constructor(
    startKey: Uint8Array,
    readonly strength: MppeStrength,
    primitives: MppePrimitives = TYPESCRIPT_MPPE_PRIMITIVES,
  ) {
    this.rc4 = primitives.createRc4();
    this.sha1Into = primitives.sha1Into;
    this.fusedKeyChange = primitives.keyChange;
    this.saltLength = strength === 40 ? 3 : strength === 56 ? 1 : 0;
    const n = mppeKeyLength(strength);
    this.keyLength = n;
    this.startKey = startKey.slice(0, n);
    this.sessionKey = initialSessionKey(this.startKey, strength);
    this.rc4.setKey(this.sessionKey);
    this.shaInput = new Uint8Array(2 * n + 80);
    this.shaInput.set(this.startKey, 0);
    this.shaInput.fill(0xf2, 2 * n + 40);
  }

  /**
   * RFC 3078 §7.3: derive the next session key and re-key RC4 with it.
   * Allocation-free: stateless mode runs this for every packet.
   */
  changeKey(): void {
    this.keyChanges++;
    const n = this.keyLength;
    this.shaInput.set(this.sessionKey, n + 40);
    if (this.fusedKeyChange) {
      this.fusedKeyChange(this.rc4, this.shaInput, this.sessionKey, n, this.saltLength);
      return;
    }
    this.sha1Into(this.shaInput, this.shaInput.length, this.digest);
    // The interim key is digest[0, n): key RC4 with it, then encrypt it into the new session key.
    this.rc4.setKey(this.digest, n);
    this.rc4.process(this.digest, 0, this.sessionKey, 0, n);
    saltSessionKey(this.sessionKey, this.strength);
    this.rc4.setKey(this.sessionKey);
  }

  /** Re-initialises RC4 from the current session key (a FLUSHED packet, §8.2). */
  flush(): void {
    this.rc4.setKey(this.sessionKey);
  }
}

/** Encrypts one direction of MPPE traffic. */
export class MppeEncrypter {
  private readonly keys: MppeKeyState;
  private readonly stateless: boolean;
  /** Count of the last packet sent; 0xFFF so that the first packet carries 0. */
  private ccount = CCOUNT_MASK;
  private resetPending = false;
  private packets = 0;
  private octets = 0;
  private resyncs = 0;
  /** See MppeOptions.resetMode; the session copies what the decrypter learnt of the peer. */
  resetMode: 'key-change' | 'rfc';

  /** `startKey` is this end's send start key (`mppeStartKeys(...).send`). */
  constructor(startKey: Uint8Array, opts: MppeOptions) {
    this.keys = new MppeKeyState(startKey, opts.strength, opts.primitives);
    this.stateless = opts.stateless;
    this.resetMode = opts.resetMode ?? 'key-change';
  }

  /**
   * Encrypts `payload` (the inner PPP protocol field, normally 2 octets, and
   * its data) into `out[outOffset…]` as MPPE header + ciphertext, and returns
   * the number of octets written (payload length + 2). `payload` may be the
   * view `out.subarray(outOffset + 2)` (in place); otherwise it must not
   * overlap the output. The caller sends the result as PPP protocol 0x00FD.
   */
  encrypt(payload: Uint8Array, out: Uint8Array, outOffset: number): number {
    const len = payload.length;
    if (outOffset < 0 || out.length - outOffset < len + MPPE_HEADER_LENGTH) {
      throw new LocalUsageError(`MPPE output buffer too small: need ${len + MPPE_HEADER_LENGTH} octets at offset ${outOffset}`);
    }
    let count = (this.ccount + 1) & CCOUNT_MASK;
    const jump = !this.stateless && this.resetPending && this.resetMode === 'key-change';
    // After a Reset-Request, for a receiver that changes key on FLUSHED (Linux
    // ppp_mppe): the next flag packet's count, so our key changes stay one per
    // flag packet whatever was lost (header, interop notes).
    if (jump) count = (count | 0xff) & CCOUNT_MASK;
    this.ccount = count;
    let flushed = false;
    if (this.stateless || isFlagPacket(count)) {
      // §7.1 stateless: new key before every packet; §7.2 stateful: before each flag packet.
      this.keys.changeKey();
      flushed = true;
      if (jump) this.resyncs++;
    } else if (this.resetPending) {
      // 'rfc': RFC 3078 §8.2, RC4 re-initialised from the current session key.
      this.keys.flush();
      flushed = true;
      this.resyncs++;
    }
    this.resetPending = false;
    out[outOffset] = MPPE_HEADER_BITS.ENCRYPTED | (flushed ? MPPE_HEADER_BITS.FLUSHED : 0) | (count >> 8);
    out[outOffset + 1] = count & 0xff;
    this.keys.rc4.process(payload, 0, out, outOffset + MPPE_HEADER_LENGTH, len);
    this.packets++;
    this.octets += len;
    return len + MPPE_HEADER_LENGTH;
  }

  /** Counters since construction. */
  get stats(): MppeStats {
    return { packets: this.packets, octets: this.octets, keyChanges: this.keys.keyChanges, resyncs: this.resyncs };
  }

  /**
   * The peer sent a CCP Reset-Request (RFC 3078 §8.2): the next packet is
   * sent FLUSHED with RC4 re-keyed from the current session key. Several
   * requests before the next packet count as one. No effect in stateless mode,
   * where every packet is FLUSHED anyway. MPPE needs no Reset-Ack; CCP may
   * still send one (RFC 1962 §2).
   */
  onResetRequest(): void {
    if (!this.stateless) this.resetPending = true;
  }

  /** The coherency count of the last packet sent (0xFFF before the first). */
  get coherencyCount(): number {
    return this.ccount;
  }

  /** A copy of the current session key, for tests and diagnostics. */
  get sessionKey(): Uint8Array {
    return this.keys.sessionKey.slice();
  }
}

/** Decrypts one direction of MPPE traffic and tracks its synchronisation. */
export class MppeDecrypter {
  private readonly keys: MppeKeyState;
  private readonly stateless: boolean;
  /** Count of the last packet whose key changes have been applied. */
  private keyedThrough = CCOUNT_MASK;
  /** Stateful: the count the next packet must carry. */
  private expected = 0;
  private discard = false;
  private resetWanted = false;
  /** How the peer handles FLUSHED outside flag packets (see decryptAmbiguousFlush). */
  private peerResetMode: 'key-change' | 'rfc' = 'key-change';
  private packets = 0;
  private octets = 0;
  private resyncs = 0;
  /** Stateless key changes this decrypter may still make (see REKEY_BUDGET_MAX). */
  private rekeyBudget = REKEY_BUDGET_MAX;

  /** `startKey` is this end's receive start key (`mppeStartKeys(...).recv`). */
  constructor(startKey: Uint8Array, opts: MppeOptions) {
    this.keys = new MppeKeyState(startKey, opts.strength, opts.primitives);
    this.stateless = opts.stateless;
  }

  /**
   * Decrypts an MPPE packet (the PPP information field of protocol 0x00FD:
   * 2-octet header + ciphertext) into `out[outOffset…]`. Returns the
   * plaintext length, or an `MppeDrop`. The plaintext starts with the inner
   * protocol field, which may be PFC-compressed to one octet (odd first octet).
   * `out` may be the packet's own buffer at or before the ciphertext.
   * After a 'coherency-gap' drop, `takeResetRequest()` returns true once.
   */
  decrypt(packet: Uint8Array, out: Uint8Array, outOffset: number): number | MppeDrop {
    if (packet.length <= MPPE_HEADER_LENGTH) return DROPS.truncated;
    const b0 = packet[0]!;
    if ((b0 & MPPE_HEADER_BITS.ENCRYPTED) === 0) return DROPS['not-encrypted'];
    if ((b0 & MPPE_HEADER_BITS.COMPRESSED) !== 0) return DROPS.compressed;
    const len = packet.length - MPPE_HEADER_LENGTH;
    if (outOffset < 0 || out.length - outOffset < len) {
      throw new LocalUsageError(`MPPE output buffer too small: need ${len} octets at offset ${outOffset}`);
    }
    const count = ((b0 & 0x0f) << 8) | packet[1]!;
    const flushed = (b0 & MPPE_HEADER_BITS.FLUSHED) !== 0;
    const ahead = (count - this.keyedThrough) & CCOUNT_MASK;
    const keys = this.keys;

    if (this.stateless) {
      // §8.1: N = C1 - C2 key changes before decrypting.
      if (ahead === 0 || ahead > MAX_FORWARD) return DROPS.stale;
      this.rekeyBudget = Math.min(REKEY_BUDGET_MAX, this.rekeyBudget + REKEY_PER_PACKET);
      if (ahead > this.rekeyBudget) return DROPS['rekey-budget'];
      this.rekeyBudget -= ahead;
      for (let n = 0; n < ahead; n++) keys.changeKey();
      this.keyedThrough = count;
    } else if (!this.discard && count === this.expected && !(flushed && !isFlagPacket(count))) {
      if (isFlagPacket(count)) keys.changeKey();
      this.keyedThrough = count;
      this.expected = (count + 1) & CCOUNT_MASK;
    } else if (flushed) {
      // §8.2: a FLUSHED packet (re)synchronises: one key change per flag packet
      // passed since the last good one, then RC4 from the current session key.
      if (ahead === 0 || ahead > MAX_FORWARD) return DROPS.stale;
      const changes = flagPacketsBetween(this.keyedThrough, count);
      for (let n = 0; n < changes; n++) keys.changeKey();
      const wasDiscarding = this.discard;
      this.keyedThrough = count;
      this.expected = (count + 1) & CCOUNT_MASK;
      this.discard = false;
      if (wasDiscarding) this.resyncs++;
      if (isFlagPacket(count)) keys.flush();
      else return this.decryptAmbiguousFlush(packet, out, outOffset, len);
    } else if (!this.discard) {
      // §8.2: loss detected: drop, send a Reset-Request, discard until FLUSHED.
      this.discard = true;
      this.resetWanted = true;
      return DROPS['coherency-gap'];
    } else {
      return DROPS['awaiting-flush'];
    }
    keys.rc4.process(packet, MPPE_HEADER_LENGTH, out, outOffset, len);
    this.packets++;
    this.octets += len;
    return len;
  }

  /**
   * A FLUSHED packet that is not a flag packet, in stateful mode. RFC 3078
   * §8.2 says: re-initialise RC4 from the current session key. The Linux
   * ppp_mppe driver (the other end of most pptpd/pptp-linux links) performs a
   * key change instead, on both ends — and so does one more for every FLUSHED
   * packet of its that was lost. The readings differ only in how many key
   * changes come first, so try the one that worked last (Linux's at first),
   * then the other, then one to three extra key changes, and keep the first
   * whose plaintext starts with an IPv4/IPv6 protocol field and IP header.
   * When none does, drop the packet and keep asking for a reset rather than
   * deliver garbage. Rare (only after Reset-Requests), so the copies here stay
   * off the per-packet path.
   */
  private decryptAmbiguousFlush(packet: Uint8Array, out: Uint8Array, outOffset: number, len: number): number | MppeDrop {
    const keys = this.keys;
    const cipher = packet.slice(MPPE_HEADER_LENGTH);
    const savedKey = keys.sessionKey.slice();
    const savedChanges = keys.keyChanges;
    const attempt = (changes: number): boolean => {
      keys.sessionKey.set(savedKey);
      keys.keyChanges = savedChanges;
      if (changes === 0) keys.flush();
      for (let n = 0; n < changes; n++) keys.changeKey();
      keys.rc4.process(cipher, 0, out, outOffset, len);
      return plausibleInner(out, outOffset, len);
    };
    const first = this.peerResetMode === 'rfc' ? 0 : 1;
    for (const changes of [first, 1 - first, 2, 3, 4]) {
      if (attempt(changes)) {
        if (changes === 0) this.peerResetMode = 'rfc';
        else if (changes === 1) this.peerResetMode = 'key-change';
        this.packets++;
        this.octets += len;
        return len;
      }
    }
    keys.sessionKey.set(savedKey);
    keys.keyChanges = savedChanges;
    keys.flush();
    this.discard = true;
    this.resetWanted = true;
    return DROPS['awaiting-flush'];
  }

  /** How the peer re-keys on a FLUSHED packet, as learnt from its traffic. */
  get peerResetHandling(): 'key-change' | 'rfc' {
    return this.peerResetMode;
  }

  /** Counters since construction. */
  get stats(): MppeStats {
    return { packets: this.packets, octets: this.octets, keyChanges: this.keys.keyChanges, resyncs: this.resyncs };
  }

  /**
   * True once after a loss was detected in stateful mode: the session sends a
   * CCP Reset-Request (without data). CCP's own restart timer retransmits it;
   * `discarding` tells whether it is still needed.
   */
  takeResetRequest(): boolean {
    const r = this.resetWanted;
    this.resetWanted = false;
    return r;
  }

  /** A Reset-Request is due (same as what `takeResetRequest` would return, without clearing it). */
  get resetRequestPending(): boolean {
    return this.resetWanted;
  }

  /** Stateful: discarding packets until one arrives with the FLUSHED bit. */
  get discarding(): boolean {
    return this.discard;
  }

  /** The coherency count of the last packet accepted (0xFFF before the first). */
  get coherencyCount(): number {
    return this.keyedThrough;
  }

  /** A copy of the current session key, for tests and diagnostics. */
  get sessionKey(): Uint8Array {
    return this.keys.sessionKey.slice();
  }
}

/** True for a decrypt result that is a drop rather than a length. */
export function isMppeDrop<T>(r: T | MppeDrop): r is MppeDrop {
  return typeof r === 'object' && r !== null && (r as { kind?: unknown }).kind === 'drop';
}
