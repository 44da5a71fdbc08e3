/**
 * Per-session rate limits: a rate written as text ("2M", "512k") and a token
 * bucket that polices one direction of one session.
 *
 * The bucket holds at most `burstBytes` and fills at the rate; a packet
 * passes when the bucket holds its length and is dropped otherwise (a
 * policer, as `tc police` or accel-ppp's ingress policing: nothing is queued,
 * so TCP sees the drops and slows down). Time comes from the caller
 * (monotonic milliseconds, STYLE.md §6); the bucket keeps no timer.
 *
 * Directions are the session's, as in accounting (RFC 2866 §5.3–5.4): "up"
 * is what the user sends (Acct-Input), "down" what the user receives.
 */
import type { Millis } from './machine.js';

/** Rates of one session in bits per second; an absent direction is unlimited. */
export interface RateLimit {
  upBps?: number;
  downBps?: number;
}

/** The smallest bucket: two full-size packets, so a low rate still passes 1500-octet packets. */
export const MIN_BURST_BYTES = 3000;

/** Highest rate we accept (1 Tbit/s): anything larger is a typo. */
const MAX_BPS = 1e12;

const SUFFIX: Readonly<Record<string, number>> = { '': 1, k: 1e3, m: 1e6, g: 1e9 };

/**
 * Parses a rate in bits per second: digits with an optional decimal part and
 * an optional SI suffix k, M or G (any case; "m" is mega, as in MikroTik's
 * rates, never milli). "0" is a valid rate meaning "no limit" to the callers
 * that say so. Returns undefined for anything else.
 */
export function parseRate(text: string): number | undefined {
  const m = /^(\d{1,13})(?:\.(\d{1,6}))?([kKmMgG]?)$/.exec(text.trim());
  if (!m) return undefined;
  const value = Number(`${m[1]}.${m[2] ?? '0'}`) * SUFFIX[m[3]!.toLowerCase()]!;
  if (!Number.isFinite(value) || value > MAX_BPS) return undefined;
  return Math.round(value);
}

/** A rate for people: "2 Mbit/s", "512 kbit/s", "unlimited". */
export function formatRate(bps: number | undefined): string {
  if (bps === undefined) return 'unlimited';
  if (bps >= 1e9 && bps % 1e7 === 0) return `${bps / 1e9} Gbit/s`;
  if (bps >= 1e6 && bps % 1e4 === 0) return `${bps / 1e6} Mbit/s`;
  if (bps >= 1e3 && bps % 10 === 0) return `${bps / 1e3} kbit/s`;
  return `${bps} bit/s`;
}

/** "up 2 Mbit/s, down 4 Mbit/s" */
export function formatRateLimit(l: RateLimit): string {
  return `up ${formatRate(l.upBps)}, down ${formatRate(l.downBps)}`;
}

/** A token bucket for one direction of one session. */
export class TokenBucket {
  /** Bytes per millisecond the bucket fills at. */
  private readonly bytesPerMs: number;
  /** Bytes the bucket holds at most. */
  readonly burstBytes: number;
  private tokens: number;
  private lastMs: Millis;

  /**
   * `bps` bits per second; the bucket holds `burstMs` of that rate (at least
   * MIN_BURST_BYTES) and starts full at `now`.
   */
  constructor(readonly bps: number, burstMs: number, now: Millis) {
    this.bytesPerMs = bps / 8000;
    this.burstBytes = Math.max(MIN_BURST_BYTES, Math.floor(this.bytesPerMs * burstMs));
    this.tokens = this.burstBytes;
    this.lastMs = now;
  }

  /** True when a packet of `bytes` may pass at `now` (its tokens are taken); false: drop it. */
  take(bytes: number, now: Millis): boolean {
    const elapsed = now - this.lastMs;
    if (elapsed > 0) {
      const t = this.tokens + elapsed * this.bytesPerMs;
      this.tokens = t > this.burstBytes ? this.burstBytes : t;
      this.lastMs = now;
    }
    if (this.tokens < bytes) return false;
    this.tokens -= bytes;
    return true;
  }
}
