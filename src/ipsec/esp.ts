/**
 * ESP (RFC 4303) for transport mode, the framing L2TP/IPsec uses:
 *
 *   SPI (4) | Sequence Number (4) | IV | ciphertext of [payload | Padding | Pad Length | Next Header] | ICV
 *
 * Suites: AES-CBC-128/256 (RFC 3602) and 3DES-CBC (RFC 2451) with
 * HMAC-SHA1-96 (RFC 2404) or HMAC-SHA2-256-128/384-192/512-256 (RFC 4868;
 * plus the 96-bit SHA-256 truncation old Android kernels use, only when
 * configured), and
 * AES-GCM-16 with an 8-octet IV and the 4-octet salt from KEYMAT (RFC 4106).
 *
 * Outbound: the sequence number counts from 1 and never wraps (no ESN,
 * RFC 4303 §3.3.3): at 2^32-1 `seal` refuses and the SA must be rekeyed.
 * CBC IVs come from the injected Rng (unpredictable, RFC 3602 §3); the GCM IV
 * is the sequence number, unique per key as RFC 4106 §3.1 requires.
 * Inbound (§3.4): length checks, the replay window's cheap check, then the
 * ICV (constant time) before any decryption, then decryption, the padding
 * check (§2.4: 1, 2, 3, ...), and only then the window update. Every refusal
 * is a drop reason, never a throw. The SPI lookup is the caller's (it owns
 * the SA table); this file keys one SA.
 *
 * Read RFC 4303 §2-§3 and RFC 4106 §3-§8 before editing.
 */
import { createCipheriv, createDecipheriv, createHmac, timingSafeEqual } from 'node:crypto';
import type { Rng } from '../core/rng.js';
import { get32, put32 } from './bytes.js';
import { ESP_TRANSFORM, P2_AUTH } from './constants.js';
import { ReplayWindow } from './replay-window.js';

/** An ESP transform as negotiated. */
export interface EspSuite {
  /** The name admins know from ipsec.conf (`aes128-sha1`, `aes128gcm16`). */
  name: string;
  cipher: 'aes-cbc' | 'aes-gcm' | '3des-cbc';
  encKeyBytes: number;
  /** 4 for GCM (RFC 4106 §8.1), else 0. */
  saltBytes: number;
  integrity: 'hmac-sha1-96' | 'hmac-sha256-128' | 'hmac-sha256-96' | 'hmac-sha384-192' | 'hmac-sha512-256' | 'gcm';
  authKeyBytes: number;
  icvBytes: number;
  ivBytes: number;
  /** Alignment of payload|padding|2 (the cipher block, 4 for GCM, RFC 4303 §2.4). */
  alignBytes: number;
  /** True for suites below today's bar (3DES, truncated SHA-256): logged as weak. */
  weak: boolean;
}

/** Options for `espSuite`. */
export interface EspSuiteOptions {
  /** HMAC-SHA2-256 with a 96-bit ICV (pre-RFC 4868 Linux/Android) instead of 128. */
  sha256Truncated96?: boolean;
}

/**
 * The suite for a Quick Mode ESP transform (transform ID, Key Length and
 * Authentication Algorithm attributes), or undefined when we do not
 * implement it. GCM takes no authentication algorithm (RFC 4106 §8.3).
 */
export function espSuite(transformId: number, keyLengthBits: number | undefined, authAlgorithm: number | undefined, opts: EspSuiteOptions = {}): EspSuite | undefined {
  if (transformId === ESP_TRANSFORM.AES_GCM_16) {
    const bits = keyLengthBits ?? 128;
    if ((bits !== 128 && bits !== 256) || authAlgorithm !== undefined) return undefined;
    return { name: `aes${bits}gcm16`, cipher: 'aes-gcm', encKeyBytes: bits / 8, saltBytes: 4, integrity: 'gcm', authKeyBytes: 0, icvBytes: 16, ivBytes: 8, alignBytes: 4, weak: false };
  }
  let cipher: Pick<EspSuite, 'cipher' | 'encKeyBytes' | 'ivBytes' | 'alignBytes' | 'weak'> & { label: string };
  if (transformId === ESP_TRANSFORM.AES_CBC) {
    const bits = keyLengthBits ?? 128;
    if (bits !== 128 && bits !== 256) return undefined;
    cipher = { label: `aes${bits}`, cipher: 'aes-cbc', encKeyBytes: bits / 8, ivBytes: 16, alignBytes: 16, weak: false };
  } else if (transformId === ESP_TRANSFORM['3DES'] && keyLengthBits === undefined) {
    cipher = { label: '3des', cipher: '3des-cbc', encKeyBytes: 24, ivBytes: 8, alignBytes: 8, weak: true };
  } else return undefined;
  const { label, ...c } = cipher;
  if (authAlgorithm === P2_AUTH.HMAC_SHA1) return { ...c, name: `${label}-sha1`, saltBytes: 0, integrity: 'hmac-sha1-96', authKeyBytes: 20, icvBytes: 12 };
  if (authAlgorithm === P2_AUTH.HMAC_SHA2_384) return { ...c, name: `${label}-sha384`, saltBytes: 0, integrity: 'hmac-sha384-192', authKeyBytes: 48, icvBytes: 24 };
  if (authAlgorithm === P2_AUTH.HMAC_SHA2_512) return { ...c, name: `${label}-sha512`, saltBytes: 0, integrity: 'hmac-sha512-256', authKeyBytes: 64, icvBytes: 32 };
  if (authAlgorithm === P2_AUTH.HMAC_SHA2_256) {
    return opts.sha256Truncated96
      ? { ...c, name: `${label}-sha256_96`, saltBytes: 0, integrity: 'hmac-sha256-96', authKeyBytes: 32, icvBytes: 12, weak: true }
      : { ...c, name: `${label}-sha256`, saltBytes: 0, integrity: 'hmac-sha256-128', authKeyBytes: 32, icvBytes: 16 };
  }
  return undefined;
}

/** KEYMAT bytes one direction of `suite` needs: encryption key, salt, integrity key. */
export function espKeymatBytes(s: EspSuite): number {
  return s.encKeyBytes + s.saltBytes + s.authKeyBytes;
}

/** The keys of one ESP SA (one direction). */
export interface EspSaKeys {
  spi: number;
  suite: EspSuite;
  encKey: Uint8Array;
  salt: Uint8Array;
  authKey: Uint8Array;
}

/**
 * Splits KEYMAT: encryption key first, then (GCM) the salt or (CBC) the
 * integrity key — RFC 4106 §8.1 for GCM, and for CBC suites the order of
 * RFC 2409 §5.5 implementations (encryption then authentication).
 */
export function espKeysFromKeymat(spi: number, suite: EspSuite, keymat: Uint8Array): EspSaKeys {
  if (keymat.length < espKeymatBytes(suite)) throw new Error(`KEYMAT of ${keymat.length} bytes is short of the ${espKeymatBytes(suite)} ${suite.name} needs`);
  const e = suite.encKeyBytes;
  return { spi, suite, encKey: keymat.slice(0, e), salt: keymat.slice(e, e + suite.saltBytes), authKey: keymat.slice(e + suite.saltBytes, e + suite.saltBytes + suite.authKeyBytes) };
}

const ESP_HEADER_BYTES = 8;

function openssl(s: EspSuite): string {
  if (s.cipher === '3des-cbc') return 'des-ede3-cbc';
  return s.cipher === 'aes-gcm' ? `aes-${s.encKeyBytes * 8}-gcm` : `aes-${s.encKeyBytes * 8}-cbc`;
}

function icv(k: EspSaKeys, authed: Uint8Array): Uint8Array {
  const i = k.suite.integrity;
  const h = createHmac(i === 'hmac-sha1-96' ? 'sha1' : i === 'hmac-sha384-192' ? 'sha384' : i === 'hmac-sha512-256' ? 'sha512' : 'sha256', k.authKey).update(authed).digest();
  return h.subarray(0, k.suite.icvBytes);
}

/** The sending side of an ESP SA. */
export class EspOutbound {
  /** The last sequence number sent (0 before the first). */
  seq = 0;

  constructor(
    readonly keys: EspSaKeys,
    private readonly rng: Rng,
  ) {}

  /** Bytes an ESP packet of a `payloadBytes` payload takes. */
  packetLength(payloadBytes: number): number {
    const s = this.keys.suite;
    const body = payloadBytes + 2;
    const padded = body + ((s.alignBytes - (body % s.alignBytes)) % s.alignBytes);
    return ESP_HEADER_BYTES + s.ivBytes + padded + s.icvBytes;
  }

  /**
   * Encapsulates `payload` (a UDP datagram in transport mode, `nextHeader`
   * 17). Undefined once the sequence number space is used up: rekey.
   */
  seal(payload: Uint8Array, nextHeader: number): Uint8Array | undefined {
    if (this.seq >= 0xffffffff) return undefined;
    this.seq++;
    const s = this.keys.suite;
    const out = new Uint8Array(this.packetLength(payload.length));
    put32(out, 0, this.keys.spi);
    put32(out, 4, this.seq);
    const ivAt = ESP_HEADER_BYTES;
    const ctAt = ivAt + s.ivBytes;
    const ctEnd = out.length - s.icvBytes;
    // Plaintext in place: payload, padding 1, 2, 3, ... (RFC 4303 §2.4), pad length, next header.
    out.set(payload, ctAt);
    const padBytes = ctEnd - ctAt - payload.length - 2;
    for (let i = 0; i < padBytes; i++) out[ctAt + payload.length + i] = i + 1;
    out[ctEnd - 2] = padBytes;
    out[ctEnd - 1] = nextHeader;
    const plain = out.slice(ctAt, ctEnd);
    if (s.cipher === 'aes-gcm') {
      // RFC 4106 §3.1: the IV is the sequence number (unique per key); nonce = salt | IV; AAD = SPI | Seq (§5).
      put32(out, ivAt + 4, this.seq);
      const nonce = new Uint8Array(12);
      nonce.set(this.keys.salt);
      nonce.set(out.subarray(ivAt, ivAt + 8), 4);
      const c = createCipheriv(openssl(s) as 'aes-128-gcm', this.keys.encKey, nonce, { authTagLength: 16 });
      c.setAAD(out.subarray(0, ESP_HEADER_BYTES));
      const ct = Buffer.concat([c.update(plain), c.final()]);
      out.set(ct, ctAt);
      out.set(c.getAuthTag(), ctEnd);
      return out;
    }
    const iv = this.rng.bytes(s.ivBytes);
    out.set(iv, ivAt);
    const c = createCipheriv(openssl(s), this.keys.encKey, iv);
    c.setAutoPadding(false);
    out.set(Buffer.concat([c.update(plain), c.final()]), ctAt);
    out.set(icv(this.keys, out.subarray(0, ctEnd)), ctEnd);
    return out;
  }
}

/** Why an inbound ESP packet was dropped. Each is counted by the driver. */
export type EspDropReason =
  /** Shorter than header, IV, one block and ICV, or the ciphertext not whole blocks. */
  | 'esp-bad-length'
  /** The SPI is not this SA's (the caller's table sent it to the wrong SA). */
  | 'esp-spi-mismatch'
  /** A sequence number already received inside the window (RFC 4303 §3.4.3). */
  | 'esp-replay'
  /** A sequence number left of the window, too old to tell (counted with replays by the RFC). */
  | 'esp-stale'
  /** Sequence number 0, which no sender uses (§3.3.3). */
  | 'esp-zero-seq'
  /** The ICV does not verify: tampered, or the wrong key (§3.4.4). */
  | 'esp-bad-icv'
  /** The decrypted padding is not 1, 2, 3, ... or longer than the packet (§2.4). */
  | 'esp-bad-padding';

/** What `open` returns. */
export type EspOpened =
  | { ok: true; seq: number; nextHeader: number; payload: Uint8Array }
  | { ok: false; reason: EspDropReason };

/** The receiving side of an ESP SA. */
export class EspInbound {
  readonly window: ReplayWindow;

  constructor(
    readonly keys: EspSaKeys,
    windowBits = 1024,
  ) {
    this.window = new ReplayWindow(windowBits);
  }

  /** Verifies, decrypts and checks one ESP packet (SPI first). Never throws on packet bytes. */
  open(packet: Uint8Array): EspOpened {
    const s = this.keys.suite;
    const ctAt = ESP_HEADER_BYTES + s.ivBytes;
    const ctEnd = packet.length - s.icvBytes;
    if (ctEnd - ctAt < s.alignBytes || (ctEnd - ctAt) % s.alignBytes !== 0) return { ok: false, reason: 'esp-bad-length' };
    if (get32(packet, 0) !== this.keys.spi) return { ok: false, reason: 'esp-spi-mismatch' };
    const seq = get32(packet, 4);
    const verdict = this.window.check(seq);
    if (verdict !== 'ok') return { ok: false, reason: verdict === 'zero' ? 'esp-zero-seq' : verdict === 'stale' ? 'esp-stale' : 'esp-replay' };
    let plain: Uint8Array;
    if (s.cipher === 'aes-gcm') {
      const nonce = new Uint8Array(12);
      nonce.set(this.keys.salt);
      nonce.set(packet.subarray(ESP_HEADER_BYTES, ESP_HEADER_BYTES + 8), 4);
      const d = createDecipheriv(openssl(s) as 'aes-128-gcm', this.keys.encKey, nonce, { authTagLength: 16 });
      d.setAAD(packet.subarray(0, ESP_HEADER_BYTES));
      d.setAuthTag(packet.subarray(ctEnd));
      const p = d.update(packet.subarray(ctAt, ctEnd));
      try {
        d.final(); // verifies the tag; the plaintext is used only when it passes
      } catch {
        return { ok: false, reason: 'esp-bad-icv' };
      }
      plain = new Uint8Array(p);
    } else {
      const want = icv(this.keys, packet.subarray(0, ctEnd));
      if (!timingSafeEqual(want, packet.subarray(ctEnd))) return { ok: false, reason: 'esp-bad-icv' };
      const d = createDecipheriv(openssl(s), this.keys.encKey, packet.subarray(ESP_HEADER_BYTES, ctAt));
      d.setAutoPadding(false);
      plain = new Uint8Array(Buffer.concat([d.update(packet.subarray(ctAt, ctEnd)), d.final()]));
    }
    const padBytes = plain[plain.length - 2]!;
    const nextHeader = plain[plain.length - 1]!;
    const payloadEnd = plain.length - 2 - padBytes;
    if (payloadEnd < 0) return { ok: false, reason: 'esp-bad-padding' };
    for (let i = 0; i < padBytes; i++) if (plain[payloadEnd + i] !== i + 1) return { ok: false, reason: 'esp-bad-padding' };
    // §3.4.3: only an authenticated packet moves the window.
    this.window.accept(seq);
    return { ok: true, seq, nextHeader, payload: plain.subarray(0, payloadEnd) };
  }
}

/** The SPI of an ESP packet (for the caller's SA lookup), or undefined when shorter than the ESP header. */
export function espSpi(packet: Uint8Array): number | undefined {
  return packet.length >= ESP_HEADER_BYTES ? get32(packet, 0) : undefined;
}
