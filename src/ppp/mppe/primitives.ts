/**
 * The two primitives MPPE runs on — RC4 and SHA-1 — behind one interface, so
 * the I/O edge can hand the data path a faster implementation without the
 * pure core knowing where it comes from.
 *
 * The default is the TypeScript code in ../crypto (proven against RFC 6229
 * and FIPS 180 vectors). src/io/native-crypto.ts offers the same functions
 * from the OpenSSL inside the node executable (RC4_set_key/RC4/SHA1 through
 * the addon), about twice as fast per packet; PppLink passes that one to every
 * session when the addon has it. Both must produce identical bytes: the
 * equivalence test in src/io/native-crypto.test.ts runs every MPPE mode on
 * both and compares.
 */
import { Rc4 } from '../crypto/rc4.js';
import { sha1Into } from '../crypto/sha1.js';

/** One RC4 keystream with its state (see ../crypto/rc4.ts for the contract). */
export interface Rc4Stream {
  /** The RC4 key schedule over `key[0, keyLength)`; 1–256 octets. */
  setKey(key: Uint8Array, keyLength?: number): void;
  /**
   * `dst[dstOffset, +len) = src[srcOffset, +len) XOR keystream`. `dst` may be
   * `src` at the same or an earlier offset of the same buffer.
   */
  process(src: Uint8Array, srcOffset: number, dst: Uint8Array, dstOffset: number, len: number): void;
}

/** RC4 and SHA-1 as MPPE uses them. */
export interface MppePrimitives {
  /** For logs and the bench: 'typescript' or 'openssl (native)'. */
  readonly name: string;
  /** A new, unkeyed RC4 stream. */
  createRc4(): Rc4Stream;
  /** `out[outOffset, +20) = SHA-1(data[0, len))`. */
  sha1Into(data: Uint8Array, len: number, out: Uint8Array, outOffset?: number): void;
  /**
   * Optional: the whole RFC 3078 §7.3 key change in one step, on a stream
   * this suite created — interim = SHA-1(shaInput)[0, keyLength);
   * sessionKey = RC4(interim, interim); the first `saltLength` octets become
   * D1 26 9E; `rc4` is keyed with sessionKey. Without it, MPPE composes the
   * same steps from the functions above.
   */
  keyChange?(rc4: Rc4Stream, shaInput: Uint8Array, sessionKey: Uint8Array, keyLength: number, saltLength: number): void;
}

/** The TypeScript implementations: always available, the reference. */
export const TYPESCRIPT_MPPE_PRIMITIVES: MppePrimitives = Object.freeze({
  name: 'typescript',
  createRc4: (): Rc4Stream => new Rc4(),
  sha1Into,
});
