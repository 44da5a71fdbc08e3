/** Big-endian field access and concatenation shared by the IPsec codecs and key derivations. */

/** The u16 at `p` (caller checked the bounds). */
export function get16(b: Uint8Array, p: number): number {
  return (b[p]! << 8) | b[p + 1]!;
}

/** The u32 at `p` (caller checked the bounds). */
export function get32(b: Uint8Array, p: number): number {
  return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
}

/** Writes a u16 at `p`. */
export function put16(b: Uint8Array, p: number, v: number): void {
  b[p] = (v >>> 8) & 0xff;
  b[p + 1] = v & 0xff;
}

/** Writes a u32 at `p`. */
export function put32(b: Uint8Array, p: number, v: number): void {
  b[p] = (v >>> 24) & 0xff;
  b[p + 1] = (v >>> 16) & 0xff;
  b[p + 2] = (v >>> 8) & 0xff;
  b[p + 3] = v & 0xff;
}

/** A u32 as 4 big-endian bytes (message IDs, SPIs). */
export function u32Bytes(v: number): Uint8Array {
  const b = new Uint8Array(4);
  put32(b, 0, v);
  return b;
}

/** The bytes of every part, one after another. */
export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
