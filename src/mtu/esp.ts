/**
 * ESP (RFC 4303) transforms as far as packet size is concerned: IV length,
 * the block the ciphertext is padded to, and the ICV length.
 *
 * RFC 4303 §2.4: Payload + Padding + Pad Length (1) + Next Header (1) must be a
 * multiple of the cipher block size and, in any case, end on a 4-byte boundary.
 * The IV (§2.3) and ICV (§2.8) are per transform:
 *   AES-CBC (RFC 3602): IV 16, block 16.  3DES-CBC (RFC 2451): IV 8, block 8.
 *   AES-GCM (RFC 4106): IV 8, no block, 4-byte alignment, ICV 8/12/16 (16 usual).
 *   ChaCha20-Poly1305 (RFC 7634): IV 8, 4-byte alignment, ICV 16.
 *   NULL (RFC 2410): IV 0, 4-byte alignment.
 *   Integrity ICVs: HMAC-MD5-96 and HMAC-SHA1-96 12 (RFC 2403/2404),
 *   HMAC-SHA-256-128 16, -384-192 24, -512-256 32 (RFC 4868).
 */

/** An ESP cipher's effect on size. */
export interface EspCipher {
  /** Canonical name, as `--cipher` prints it. */
  name: string;
  /** Explicit IV carried in every packet, bytes. */
  ivBytes: number;
  /** Ciphertext (payload + padding + 2) is padded to a multiple of this. */
  blockBytes: number;
  /** ICV of an AEAD cipher; `undefined` when a separate integrity transform is needed. */
  aeadIcvBytes: number | undefined;
}

/** An ESP suite: cipher plus integrity (none for AEAD). */
export interface EspSuite {
  /** Name as given by the user or the canonical default. */
  name: string;
  cipher: EspCipher;
  /** Integrity transform name, or the AEAD cipher's own tag. */
  integrity: string;
  /** ICV bytes appended to every packet. */
  icvBytes: number;
}

/** The ciphers `--cipher` understands, by canonical name. */
export const ESP_CIPHERS: Readonly<Record<string, EspCipher>> = {
  'aes-cbc': { name: 'aes-cbc', ivBytes: 16, blockBytes: 16, aeadIcvBytes: undefined },
  'aes-gcm': { name: 'aes-gcm', ivBytes: 8, blockBytes: 4, aeadIcvBytes: 16 },
  'chacha20-poly1305': { name: 'chacha20-poly1305', ivBytes: 8, blockBytes: 4, aeadIcvBytes: 16 },
  '3des': { name: '3des', ivBytes: 8, blockBytes: 8, aeadIcvBytes: undefined },
  null: { name: 'null', ivBytes: 0, blockBytes: 4, aeadIcvBytes: undefined },
};

/** Integrity transforms and their truncated ICV length. */
export const ESP_INTEGRITY: Readonly<Record<string, number>> = {
  'sha1-96': 12,
  'md5-96': 12,
  'sha256-128': 16,
  'sha384-192': 24,
  'sha512-256': 32,
};

/** strongSwan/libreswan spellings mapped to our canonical names. */
const CIPHER_ALIASES: Readonly<Record<string, string>> = {
  aes: 'aes-cbc', aes128: 'aes-cbc', aes192: 'aes-cbc', aes256: 'aes-cbc', 'aes-cbc': 'aes-cbc',
  aes128cbc: 'aes-cbc', aes256cbc: 'aes-cbc',
  'aes-gcm': 'aes-gcm', aesgcm: 'aes-gcm', aes128gcm16: 'aes-gcm', aes192gcm16: 'aes-gcm', aes256gcm16: 'aes-gcm',
  aes128gcm: 'aes-gcm', aes256gcm: 'aes-gcm', 'aes-gcm-16': 'aes-gcm',
  chacha20poly1305: 'chacha20-poly1305', 'chacha20-poly1305': 'chacha20-poly1305',
  '3des': '3des', 'des3': '3des', '3des-cbc': '3des',
  null: 'null',
};

const INTEGRITY_ALIASES: Readonly<Record<string, string>> = {
  sha1: 'sha1-96', sha: 'sha1-96', 'sha1-96': 'sha1-96', sha1_96: 'sha1-96',
  md5: 'md5-96', 'md5-96': 'md5-96', md5_96: 'md5-96',
  sha256: 'sha256-128', sha2_256: 'sha256-128', 'sha256-128': 'sha256-128', sha2: 'sha256-128',
  sha384: 'sha384-192', sha2_384: 'sha384-192', 'sha384-192': 'sha384-192',
  sha512: 'sha512-256', sha2_512: 'sha512-256', 'sha512-256': 'sha512-256',
};

/** Default for L2TP/IPsec: what Windows and most phones propose first. */
export const DEFAULT_ESP_SUITE = 'aes-cbc-sha1';

/** Every spelling `parseEspSuite` accepts, for help and error messages. */
export function espSuiteExamples(): string[] {
  return ['aes-cbc-sha1', 'aes256-sha256', 'aes-gcm', 'aes256gcm16', 'chacha20-poly1305', '3des-sha1', '3des-md5', 'null-sha1'];
}

/**
 * Parses a suite name such as `aes-cbc-sha1`, `aes256-sha256`, `aes128gcm16`,
 * `3des` (integrity defaults to sha1-96) or `null-sha256`. Returns `undefined`
 * for an unknown cipher or integrity, or integrity given with an AEAD cipher.
 */
export function parseEspSuite(input: string): EspSuite | undefined {
  const name = input.trim().toLowerCase();
  if (name === '') return undefined;
  // Try every split point "cipher[-integrity]" from the right.
  const direct = CIPHER_ALIASES[name];
  if (direct !== undefined) return build(input, direct, undefined);
  for (let i = name.lastIndexOf('-'); i > 0; i = name.lastIndexOf('-', i - 1)) {
    const c = CIPHER_ALIASES[name.slice(0, i)];
    const integ = INTEGRITY_ALIASES[name.slice(i + 1)];
    if (c !== undefined && integ !== undefined) return build(input, c, integ);
  }
  return undefined;
}

function build(input: string, cipherName: string, integrity: string | undefined): EspSuite | undefined {
  const cipher = ESP_CIPHERS[cipherName]!;
  if (cipher.aeadIcvBytes !== undefined) {
    // RFC 4106 §8 / RFC 7634: an AEAD cipher carries its own ICV; no separate integrity.
    if (integrity !== undefined) return undefined;
    return { name: input, cipher, integrity: `${cipher.name} (AEAD tag)`, icvBytes: cipher.aeadIcvBytes };
  }
  const integ = integrity ?? 'sha1-96';
  return { name: input, cipher, integrity: integ, icvBytes: ESP_INTEGRITY[integ]! };
}
