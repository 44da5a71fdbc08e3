/**
 * Randomness comes in through this interface (STYLE.md §6): magic numbers,
 * CHAP challenges, call/tunnel/session IDs, RADIUS authenticators. The real one
 * lives in io/rng.ts; tests use `seededRng`.
 */

/** A source of random bytes. */
export interface Rng {
  /** `n` fresh random bytes. */
  bytes(n: number): Uint8Array;
}

/** A random 32-bit unsigned integer from `rng`. */
export function randomU32(rng: Rng): number {
  const b = rng.bytes(4);
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
}

/** A random 16-bit unsigned integer from `rng`. */
export function randomU16(rng: Rng): number {
  const b = rng.bytes(2);
  return (b[0]! << 8) | b[1]!;
}

/**
 * A deterministic generator for tests (xorshift128+ seeded by splitmix32).
 * Not cryptographic.
 */
export function seededRng(seed: number): Rng {
  let s = seed >>> 0;
  const next32 = (): number => {
    // splitmix32
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  return {
    bytes(n: number): Uint8Array {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i += 4) {
        const v = next32();
        out[i] = v >>> 24;
        if (i + 1 < n) out[i + 1] = (v >>> 16) & 0xff;
        if (i + 2 < n) out[i + 2] = (v >>> 8) & 0xff;
        if (i + 3 < n) out[i + 3] = v & 0xff;
      }
      return out;
    },
  };
}
