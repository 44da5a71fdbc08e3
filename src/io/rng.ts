/**
 * The real Rng (src/core/rng.ts): the kernel's CSPRNG through node:crypto.
 * Magic numbers, CHAP challenges, call/tunnel/session IDs and RADIUS
 * authenticators all come from here in production.
 */
import { randomFillSync } from 'node:crypto';
import type { Rng } from '../core/rng.js';

/** Cryptographically strong random bytes; each call returns a fresh array. */
export const cryptoRng: Rng = {
  bytes(n: number): Uint8Array {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`cryptoRng.bytes: ${n} is not a byte count`);
    return randomFillSync(new Uint8Array(n));
  },
};
