/**
 * Encryption of IKEv1 messages after the key exchange (RFC 2409 §5.3 and
 * Appendix B, RFC 2408 §3.1 E flag): the payload chain is encrypted in CBC
 * mode with the Phase 1 key; the IV of each message is the last ciphertext
 * block of the previous message of the same exchange (the first one comes
 * from phase1Iv/phase2Iv in ikev1-keys.ts).
 *
 * Padding: the plaintext is zero-padded to a whole number of blocks, the last
 * padding byte holding the count of padding bytes before it. RFC 2409 fixes
 * no format: receivers find the end of the chain from the payload lengths, so
 * any padding is accepted on receipt. No padding block is added when the
 * chain already fits.
 *
 * Decryption of hostile bytes never throws: a body that is not a whole
 * number of blocks gives undefined. The caller keeps the old IV when the
 * decrypted message turns out bad, so a forged packet cannot desynchronise
 * the exchange.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { FLAG, P1_ENCR } from './constants.js';
import { encodeIsakmpHeader, encodePayloads, firstPayloadType, parsePayloads, type IsakmpHeaderFields, type IsakmpMessage, type IsakmpPayload, type PayloadChain } from './isakmp.js';

/** A Phase 1 cipher: its OpenSSL name, key and block sizes. */
export interface IkeCipher {
  /** The name admins know (`aes128`, `aes256`, `3des`). */
  name: string;
  openssl: string;
  keyBytes: number;
  blockBytes: number;
  /** True for ciphers below today's bar (3DES): allowed when configured, logged as weak. */
  weak: boolean;
}

/**
 * The cipher for a Phase 1 Encryption Algorithm attribute and Key Length
 * (RFC 2409 Appendix A; AES requires a Key Length of 128, 192 or 256, RFC
 * 3602 §5.3 makes 128 the default when it is absent), or undefined.
 */
export function ikeCipher(encryptionAlgorithm: number, keyLengthBits?: number): IkeCipher | undefined {
  if (encryptionAlgorithm === P1_ENCR['3DES_CBC']) {
    return keyLengthBits === undefined ? { name: '3des', openssl: 'des-ede3-cbc', keyBytes: 24, blockBytes: 8, weak: true } : undefined;
  }
  if (encryptionAlgorithm === P1_ENCR.AES_CBC) {
    const bits = keyLengthBits ?? 128;
    if (bits !== 128 && bits !== 192 && bits !== 256) return undefined;
    return { name: `aes${bits}`, openssl: `aes-${bits}-cbc`, keyBytes: bits / 8, blockBytes: 16, weak: false };
  }
  return undefined;
}

/** The result of one CBC operation and the IV the next message of the exchange uses. */
export interface CbcResult {
  bytes: Uint8Array;
  nextIv: Uint8Array;
}

/** Pads and encrypts an encoded payload chain. */
export function encryptIkeBody(c: IkeCipher, key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): CbcResult {
  const rem = plaintext.length % c.blockBytes;
  const pad = rem === 0 ? 0 : c.blockBytes - rem;
  const padded = new Uint8Array(plaintext.length + pad);
  padded.set(plaintext);
  if (pad > 0) padded[padded.length - 1] = pad - 1;
  const x = createCipheriv(c.openssl, key, iv);
  x.setAutoPadding(false);
  const out = new Uint8Array(Buffer.concat([x.update(padded), x.final()]));
  return { bytes: out, nextIv: out.slice(out.length - c.blockBytes) };
}

/** Decrypts a received body (padding left in place), or undefined when it is not whole blocks. */
export function decryptIkeBody(c: IkeCipher, key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): CbcResult | undefined {
  if (ciphertext.length === 0 || ciphertext.length % c.blockBytes !== 0) return undefined;
  const x = createDecipheriv(c.openssl, key, iv);
  x.setAutoPadding(false);
  const out = new Uint8Array(Buffer.concat([x.update(ciphertext), x.final()]));
  return { bytes: out, nextIv: ciphertext.slice(ciphertext.length - c.blockBytes) };
}

/** An encrypted message: the header (E flag set) and the ciphertext of `payloads`, and the next IV. */
export function sealIkeMessage(header: IsakmpHeaderFields, payloads: readonly IsakmpPayload[], c: IkeCipher, key: Uint8Array, iv: Uint8Array): CbcResult {
  const enc = encryptIkeBody(c, key, iv, encodePayloads(payloads));
  const head = encodeIsakmpHeader({ ...header, flags: header.flags | FLAG.ENCRYPTION }, firstPayloadType(payloads), enc.bytes.length);
  const out = new Uint8Array(head.length + enc.bytes.length);
  out.set(head);
  out.set(enc.bytes, head.length);
  return { bytes: out, nextIv: enc.nextIv };
}

/**
 * Decrypts and parses a received encrypted message, or undefined when it is
 * not whole blocks or the decrypted chain does not parse (the usual sign of a
 * wrong key: a PSK mismatch in Main Mode message 5).
 */
export function openIkeMessage(m: IsakmpMessage, c: IkeCipher, key: Uint8Array, iv: Uint8Array): OpenedIkeMessage | undefined {
  if (!m.encrypted) return undefined;
  const dec = decryptIkeBody(c, key, iv, m.encrypted);
  if (!dec) return undefined;
  const chain = parsePayloads(m.header.nextPayload, dec.bytes);
  if (!chain.ok) return undefined;
  return { chain: chain.value, plain: dec.bytes.subarray(0, chain.bytesRead), nextIv: dec.nextIv };
}

/** A decrypted message: its payloads, the chain's bytes without the padding (what Quick Mode hashes cover), the next IV. */
export interface OpenedIkeMessage {
  chain: PayloadChain;
  plain: Uint8Array;
  nextIv: Uint8Array;
}
