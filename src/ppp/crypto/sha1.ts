/**
 * SHA-1 (FIPS 180-4 §6.1) for short messages, without allocation. MPPE in
 * stateless mode derives a new key from 96–112 octets for every packet
 * (RFC 3078 §7.3); node:crypto's createHash costs more in object set-up than
 * in hashing at that size. Elsewhere use createHash. Proven against
 * createHash by a property test and the FIPS 180 "abc" example.
 */

const W = new Int32Array(80);
let block = new Uint8Array(128);
let blockView = new DataView(block.buffer);

/**
 * Writes SHA-1(`data[0, len)`) into `out[outOffset, outOffset + 20)`.
 * Not reentrant (shared scratch space), which is fine in single-threaded JS.
 */
export function sha1Into(data: Uint8Array, len: number, out: Uint8Array, outOffset = 0): void {
  const padded = ((len + 8) >> 6) * 64 + 64;
  if (block.length < padded) {
    block = new Uint8Array(padded);
    blockView = new DataView(block.buffer);
  }
  block.set(data.subarray(0, len));
  block.fill(0, len, padded);
  block[len] = 0x80;
  const bits = len * 8;
  blockView.setUint32(padded - 8, Math.floor(bits / 0x100000000));
  blockView.setUint32(padded - 4, bits >>> 0);

  let h0 = 0x67452301;
  let h1 = 0xefcdab89 | 0;
  let h2 = 0x98badcfe | 0;
  let h3 = 0x10325476;
  let h4 = 0xc3d2e1f0 | 0;
  for (let off = 0; off < padded; off += 64) {
    for (let t = 0; t < 16; t++) W[t] = blockView.getInt32(off + t * 4);
    for (let t = 16; t < 80; t++) {
      const x = W[t - 3]! ^ W[t - 8]! ^ W[t - 14]! ^ W[t - 16]!;
      W[t] = (x << 1) | (x >>> 31);
    }
    let a = h0;
    let b = h1;
    let c = h2;
    let d = h3;
    let e = h4;
    for (let t = 0; t < 80; t++) {
      let f: number;
      let k: number;
      if (t < 20) {
        f = (b & c) | (~b & d);
        k = 0x5a827999;
      } else if (t < 40) {
        f = b ^ c ^ d;
        k = 0x6ed9eba1;
      } else if (t < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8f1bbcdc | 0;
      } else {
        f = b ^ c ^ d;
        k = 0xca62c1d6 | 0;
      }
      const tmp = (((a << 5) | (a >>> 27)) + f + e + k + W[t]!) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = tmp;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
  }
  put(out, outOffset, h0);
  put(out, outOffset + 4, h1);
  put(out, outOffset + 8, h2);
  put(out, outOffset + 12, h3);
  put(out, outOffset + 16, h4);
}

function put(out: Uint8Array, o: number, v: number): void {
  out[o] = v >>> 24;
  out[o + 1] = (v >>> 16) & 0xff;
  out[o + 2] = (v >>> 8) & 0xff;
  out[o + 3] = v & 0xff;
}
