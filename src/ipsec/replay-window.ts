/**
 * The ESP anti-replay window (RFC 4303 §3.4.3, Appendix A2 without ESN): a
 * bitmap of the last `size` sequence numbers below and including the highest
 * one authenticated so far.
 *
 * The receiver checks a packet's sequence number twice: `check` before the
 * ICV (a cheap reject of duplicates and of numbers left of the window), and
 * `accept` after the ICV verified, which is the only thing that moves the
 * window (§3.4.3: the window is updated only for authenticated packets, so
 * forged packets cannot slide it). The bitmap is a ring indexed by the
 * sequence number modulo `size`: sliding clears only the bits that enter.
 */

/** Why a sequence number is refused. */
export type ReplayVerdict = 'ok' | 'replay' | 'stale' | 'zero';

/** A sliding anti-replay window of `size` bits (a multiple of 32, at least 64). */
export class ReplayWindow {
  /** The highest authenticated sequence number (0 before the first). */
  top = 0;
  private readonly bits: Uint32Array;

  constructor(readonly size = 1024) {
    if (size < 64 || size % 32 !== 0) throw new Error(`replay window size ${size}: must be a multiple of 32, at least 64`);
    this.bits = new Uint32Array(size / 32);
  }

  private bit(seq: number): boolean {
    const i = seq % this.size;
    return (this.bits[i >>> 5]! & (1 << (i & 31))) !== 0;
  }

  /** Whether `seq` may be new: 'ok', a duplicate ('replay'), left of the window ('stale'), or 0 (never sent, §3.3.3). */
  check(seq: number): ReplayVerdict {
    if (seq === 0) return 'zero';
    if (seq > this.top) return 'ok';
    if (seq + this.size <= this.top) return 'stale';
    return this.bit(seq) ? 'replay' : 'ok';
  }

  /** Records an authenticated `seq` (which passed `check`), sliding the window right when it is new. */
  accept(seq: number): void {
    if (seq > this.top) {
      const advance = seq - this.top;
      if (advance >= this.size) this.bits.fill(0);
      else for (let s = this.top + 1; s < seq; s++) this.clear(s);
      this.top = seq;
    }
    const i = seq % this.size;
    this.bits[i >>> 5]! |= 1 << (i & 31);
  }

  private clear(seq: number): void {
    const i = seq % this.size;
    this.bits[i >>> 5]! &= ~(1 << (i & 31));
  }
}
