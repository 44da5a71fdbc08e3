/**
 * MD4 message digest (RFC 1320). MS-CHAP needs it for NtPasswordHash and
 * PasswordHashHash (RFC 2759 §8.3–8.4); OpenSSL 3 only offers MD4 through the
 * legacy provider, so node:crypto cannot be relied on. Proven against the
 * RFC 1320 §A.5 test suite (test/fixtures/vectors/rfc1320-md4.json).
 *
 * MD4 is broken; it is here only because MS-CHAP requires it.
 */

const F = (x: number, y: number, z: number): number => (x & y) | (~x & z);
const G = (x: number, y: number, z: number): number => (x & y) | (x & z) | (y & z);
const H = (x: number, y: number, z: number): number => x ^ y ^ z;
const rotl = (x: number, n: number): number => (x << n) | (x >>> (32 - n));

/** The 16-byte MD4 digest of `data`. */
export function md4(data: Uint8Array): Uint8Array {
  // RFC 1320 §3.1–3.2: pad with 0x80, zeros to 56 mod 64, then the bit length (little-endian).
  const bitLen = data.length * 8;
  const padded = new Uint8Array(((data.length + 8) >> 6) * 64 + 64);
  padded.set(data);
  padded[data.length] = 0x80;
  const lenAt = padded.length - 8;
  const dv = new DataView(padded.buffer);
  dv.setUint32(lenAt, bitLen >>> 0, true);
  dv.setUint32(lenAt + 4, Math.floor(bitLen / 0x100000000), true);

  let a = 0x67452301;
  let b = 0xefcdab89;
  let c = 0x98badcfe;
  let d = 0x10325476;
  const x = new Int32Array(16);
  for (let off = 0; off < padded.length; off += 64) {
    for (let k = 0; k < 16; k++) x[k] = dv.getInt32(off + k * 4, true);
    const aa = a;
    const bb = b;
    const cc = c;
    const dd = d;
    // Round 1 (RFC 1320 §3.4): [abcd k s] a = (a + F(b,c,d) + X[k]) <<< s
    for (let k = 0; k < 16; k += 4) {
      a = rotl((a + F(b, c, d) + x[k]!) | 0, 3);
      d = rotl((d + F(a, b, c) + x[k + 1]!) | 0, 7);
      c = rotl((c + F(d, a, b) + x[k + 2]!) | 0, 11);
      b = rotl((b + F(c, d, a) + x[k + 3]!) | 0, 19);
    }
    // Round 2: a = (a + G(b,c,d) + X[k] + 5A827999) <<< s
    for (let k = 0; k < 4; k++) {
      a = rotl((a + G(b, c, d) + x[k]! + 0x5a827999) | 0, 3);
      d = rotl((d + G(a, b, c) + x[k + 4]! + 0x5a827999) | 0, 5);
      c = rotl((c + G(d, a, b) + x[k + 8]! + 0x5a827999) | 0, 9);
      b = rotl((b + G(c, d, a) + x[k + 12]! + 0x5a827999) | 0, 13);
    }
    // Round 3: a = (a + H(b,c,d) + X[k] + 6ED9EBA1) <<< s, word order 0 8 4 12 2 10 6 14 ...
    for (const k of [0, 2, 1, 3]) {
      a = rotl((a + H(b, c, d) + x[k]! + 0x6ed9eba1) | 0, 3);
      d = rotl((d + H(a, b, c) + x[k + 8]! + 0x6ed9eba1) | 0, 9);
      c = rotl((c + H(d, a, b) + x[k + 4]! + 0x6ed9eba1) | 0, 11);
      b = rotl((b + H(c, d, a) + x[k + 12]! + 0x6ed9eba1) | 0, 15);
    }
    a = (a + aa) | 0;
    b = (b + bb) | 0;
    c = (c + cc) | 0;
    d = (d + dd) | 0;
  }
  const out = new Uint8Array(16);
  const ov = new DataView(out.buffer);
  ov.setInt32(0, a, true);
  ov.setInt32(4, b, true);
  ov.setInt32(8, c, true);
  ov.setInt32(12, d, true);
  return out;
}
