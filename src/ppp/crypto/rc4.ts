/**
 * RC4 (ARCFOUR) stream cipher, as used by MPPE (RFC 3078 §5–§7.3).
 *
 * OpenSSL 3 moves RC4 to the legacy provider, so node:crypto cannot be relied
 * on for it; this is a plain TypeScript implementation proven against the
 * RFC 6229 keystream vectors (test/fixtures/vectors/rfc6229-rc4.json).
 *
 * The hot loop (`process`) is written for speed on the MPPE data path: the
 * state lives in one Uint8Array, `i` and `j` stay in locals for the whole call,
 * output goes into a caller-provided buffer and nothing is allocated per call.
 * RC4 is broken as a cipher; it is here only because MPPE requires it.
 */

/** An RC4 keystream generator with its 256-byte state. */
export class Rc4 {
  private readonly s = new Uint8Array(256);
  private i = 0;
  private j = 0;

  /** A cipher keyed with `key[0, keyLength)` (or the whole key). */
  constructor(key?: Uint8Array, keyLength?: number) {
    if (key) this.setKey(key, keyLength);
  }

  /**
   * Re-initialises the state from `key[0, keyLength)` (the RC4 key schedule,
   * `rc4_key()` in RFC 3078). Key lengths 1–256 octets.
   */
  setKey(key: Uint8Array, keyLength = key.length): void {
    if (keyLength < 1 || keyLength > 256 || keyLength > key.length) throw new RangeError(`RC4 key length ${keyLength}`);
    const s = this.s;
    const n = keyLength;
    for (let k = 0; k < 256; k++) s[k] = k;
    let j = 0;
    let kk = 0;
    for (let k = 0; k < 256; k++) {
      const t = s[k]!;
      j = (j + t + key[kk]!) & 0xff;
      if (++kk === n) kk = 0;
      s[k] = s[j]!;
      s[j] = t;
    }
    this.i = 0;
    this.j = 0;
  }

  /**
   * XORs `len` bytes of keystream over `src[srcOffset…]` into
   * `dst[dstOffset…]`. `dst` may alias `src` when `dstOffset <= srcOffset`
   * in the same buffer (each word is read before any later one is written).
   *
   * Four keystream bytes are gathered into one 32-bit word and XORed through
   * a DataView: that halves the loads and stores against a byte loop and is
   * about twice as fast in V8. The views are cached per ArrayBuffer, so a
   * driver that reuses its buffers allocates nothing here.
   */
  process(src: Uint8Array, srcOffset: number, dst: Uint8Array, dstOffset: number, len: number): void {
    if (len < 32) {
      // Key material and tiny packets: a byte loop, leaving the view cache to the data path.
      this.processBytes(src, srcOffset, dst, dstOffset, len);
      return;
    }
    const s = this.s;
    let i = this.i;
    let j = this.j;
    const sv = this.viewOf(src, 0);
    const dv = this.viewOf(dst, 1);
    let p = src.byteOffset + srcOffset;
    let d = dst.byteOffset + dstOffset;
    const end4 = p + (len & ~3);
    while (p < end4) {
      // Written as `s[(i = (i + 1) & 0xff)]`: V8 keeps this form fast where
      // the spelled-out increment regressed to ~2/3 speed after re-optimisation.
      let si = s[(i = (i + 1) & 0xff)]!;
      j = (j + si) & 0xff;
      let sj = s[j]!;
      s[i] = sj;
      s[j] = si;
      let k = s[(si + sj) & 0xff]!;
      si = s[(i = (i + 1) & 0xff)]!;
      j = (j + si) & 0xff;
      sj = s[j]!;
      s[i] = sj;
      s[j] = si;
      k |= s[(si + sj) & 0xff]! << 8;
      si = s[(i = (i + 1) & 0xff)]!;
      j = (j + si) & 0xff;
      sj = s[j]!;
      s[i] = sj;
      s[j] = si;
      k |= s[(si + sj) & 0xff]! << 16;
      si = s[(i = (i + 1) & 0xff)]!;
      j = (j + si) & 0xff;
      sj = s[j]!;
      s[i] = sj;
      s[j] = si;
      k |= s[(si + sj) & 0xff]! << 24;
      dv.setInt32(d, sv.getInt32(p, true) ^ k, true);
      p += 4;
      d += 4;
    }
    const end = src.byteOffset + srcOffset + len;
    while (p < end) {
      i = (i + 1) & 0xff;
      const si = s[i]!;
      j = (j + si) & 0xff;
      const sj = s[j]!;
      s[i] = sj;
      s[j] = si;
      dv.setUint8(d++, sv.getUint8(p++) ^ s[(si + sj) & 0xff]!);
    }
    this.i = i;
    this.j = j;
  }

  private processBytes(src: Uint8Array, srcOffset: number, dst: Uint8Array, dstOffset: number, len: number): void {
    const s = this.s;
    let i = this.i;
    let j = this.j;
    for (let k = 0; k < len; k++) {
      i = (i + 1) & 0xff;
      const si = s[i]!;
      j = (j + si) & 0xff;
      const sj = s[j]!;
      s[i] = sj;
      s[j] = si;
      dst[dstOffset + k] = src[srcOffset + k]! ^ s[(si + sj) & 0xff]!;
    }
    this.i = i;
    this.j = j;
  }

  private srcBuf: ArrayBufferLike | undefined;
  private srcView: DataView | undefined;
  private dstBuf: ArrayBufferLike | undefined;
  private dstView: DataView | undefined;

  /** A DataView over the whole ArrayBuffer behind `a`, cached per slot. */
  private viewOf(a: Uint8Array, slot: 0 | 1): DataView {
    const buf = a.buffer;
    if (slot === 0) {
      if (this.srcBuf !== buf || this.srcView === undefined) {
        this.srcBuf = buf;
        this.srcView = new DataView(buf);
      }
      return this.srcView;
    }
    if (this.dstBuf !== buf || this.dstView === undefined) {
      this.dstBuf = buf;
      this.dstView = new DataView(buf);
    }
    return this.dstView;
  }

  /** Encrypts (or decrypts) `data` in place and returns it. */
  apply(data: Uint8Array): Uint8Array {
    this.process(data, 0, data, 0, data.length);
    return data;
  }
}

/** One-shot RC4: `data` XOR the keystream of `key`, as a new array. */
export function rc4(key: Uint8Array, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length);
  new Rc4(key).process(data, 0, out, 0, data.length);
  return out;
}
