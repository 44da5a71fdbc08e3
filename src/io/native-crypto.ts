/**
 * MPPE's RC4 and SHA-1 from the addon (native/crypto.c: the OpenSSL inside
 * the node executable), as the core's MppePrimitives.
 *
 * `nativeMppePrimitives()` returns undefined — and the sessions keep the
 * TypeScript implementations — when the addon is not built, when this Node
 * does not export the OpenSSL functions, or when TUNPPP_MPPE_NATIVE=0 asks
 * for TypeScript (for comparisons in the bench).
 */
import type { MppePrimitives, Rc4Stream } from '../ppp/mppe/primitives.js';
import { loadNative, type NativeBinding } from './native.js';

/** The addon's crypto functions, present. */
interface NativeCrypto {
  rc4SetKey: NonNullable<NativeBinding['rc4SetKey']>;
  rc4: NonNullable<NativeBinding['rc4']>;
  sha1: NonNullable<NativeBinding['sha1']>;
  rc4KeyChange: NativeBinding['rc4KeyChange'];
}

class NativeRc4 implements Rc4Stream {
  /** The OpenSSL RC4_KEY, owned here. */
  readonly state: Uint8Array;

  constructor(
    private readonly b: NativeCrypto,
    stateBytes: number,
  ) {
    // Its own ArrayBuffer: 8-byte aligned, as the C side (an RC4_KEY of ints) requires.
    this.state = new Uint8Array(stateBytes);
  }

  setKey(key: Uint8Array, keyLength = key.length): void {
    if (keyLength < 1 || keyLength > 256 || keyLength > key.length) throw new RangeError(`RC4 key length ${keyLength}`);
    this.b.rc4SetKey(this.state, key, keyLength);
  }

  process(src: Uint8Array, srcOffset: number, dst: Uint8Array, dstOffset: number, len: number): void {
    this.b.rc4(this.state, src, srcOffset, dst, dstOffset, len);
  }
}

let cached: MppePrimitives | null | undefined;

/** Native RC4/SHA-1, or undefined when unavailable or switched off. */
export function nativeMppePrimitives(): MppePrimitives | undefined {
  if (cached === undefined) cached = probe();
  return cached ?? undefined;
}

function probe(): MppePrimitives | null {
  if (process.env['TUNPPP_MPPE_NATIVE'] === '0') return null;
  let b: NativeBinding;
  try {
    b = loadNative();
  } catch {
    return null;
  }
  const stateBytes = b.constants.RC4_STATE_BYTES;
  const { rc4SetKey, rc4, sha1, rc4KeyChange } = b;
  if (b.constants.CRYPTO_AVAILABLE !== 1 || stateBytes === undefined || !rc4SetKey || !rc4 || !sha1) return null;
  const fns: NativeCrypto = { rc4SetKey, rc4, sha1, rc4KeyChange };
  const suite: MppePrimitives = {
    name: 'openssl (native)',
    createRc4: (): Rc4Stream => new NativeRc4(fns, stateBytes),
    sha1Into: (data: Uint8Array, len: number, out: Uint8Array, outOffset = 0): void => sha1(data, len, out, outOffset),
  };
  if (rc4KeyChange) {
    suite.keyChange = (s: Rc4Stream, shaInput: Uint8Array, sessionKey: Uint8Array, keyLength: number, saltLength: number): void => {
      if (!(s instanceof NativeRc4)) throw new TypeError('keyChange: the RC4 stream is not a native one');
      rc4KeyChange(s.state, shaInput, shaInput.length, sessionKey, keyLength, saltLength);
    };
  }
  return Object.freeze(suite);
}

/** Forgets the probe result (tests that change TUNPPP_MPPE_NATIVE or the binding). */
export function resetNativeMppePrimitivesForTesting(): void {
  cached = undefined;
}
