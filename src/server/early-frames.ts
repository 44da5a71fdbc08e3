/**
 * Frames that arrive before their session exists, held briefly and handed
 * to the session once it is up. Both data paths need it: a PPTP peer starts
 * LCP as soon as it has sent Outgoing-Call-Reply, and an L2TP LAC as soon as
 * it has sent ICCN, so their first Configure-Request can overtake the
 * message that creates the session on our side; dropping it costs a 3 s
 * LCP restart. Bounded in frames (in all and per session) and in age, so a
 * peer that sends data for sessions that never come cannot grow it. Pure:
 * time comes in as `now`.
 */
import type { Millis } from '../core/machine.js';

/** Limits of a hold. */
export interface EarlyFramesOptions {
  /** Frames held in all. */
  maxFrames: number;
  /** Frames held for one key (default: no limit but maxFrames). */
  maxPerKey?: number;
  /** Frames older than this are not delivered (default: no age limit). */
  maxAgeMs?: number;
  /** When maxFrames are held: drop the oldest for the new one, or refuse the new one. */
  whenFull: 'drop-oldest' | 'refuse';
}

interface Held {
  key: number;
  at: Millis;
  bytes: Uint8Array;
}

/** Early frames by session key. */
export class EarlyFrames {
  private held: Held[] = [];
  private readonly perKey = new Map<number, number>();
  private readonly maxPerKey: number;
  private readonly maxAgeMs: number;

  constructor(private readonly opts: EarlyFramesOptions) {
    this.maxPerKey = opts.maxPerKey ?? Infinity;
    this.maxAgeMs = opts.maxAgeMs ?? Infinity;
  }

  /** Frames held. */
  get size(): number {
    return this.held.length;
  }

  /** Holds a copy of `frame` for `key`; false when a limit refused it. */
  hold(key: number, frame: Uint8Array, now: Millis): boolean {
    if (this.held.length >= this.opts.maxFrames) {
      if (this.opts.whenFull === 'refuse') return false;
      this.uncount(this.held.shift()!.key, 1);
    }
    const n = this.perKey.get(key) ?? 0;
    if (n >= this.maxPerKey) return false;
    this.perKey.set(key, n + 1);
    this.held.push({ key, at: now, bytes: frame.slice() });
    return true;
  }

  /**
   * Takes the frames of `key` not older than maxAgeMs, oldest first. When
   * there are any, the frames of `key` and every frame past its age go.
   */
  take(key: number, now: Millis): Uint8Array[] {
    if (this.held.length === 0) return [];
    const fresh = (h: Held): boolean => now - h.at <= this.maxAgeMs;
    const mine = this.held.filter((h) => h.key === key && fresh(h));
    if (mine.length === 0) return [];
    const keep: Held[] = [];
    for (const h of this.held) {
      if (h.key !== key && fresh(h)) keep.push(h);
      else this.uncount(h.key, 1);
    }
    this.held = keep;
    return mine.map((h) => h.bytes);
  }

  private uncount(key: number, n: number): void {
    const left = (this.perKey.get(key) ?? 0) - n;
    if (left > 0) this.perKey.set(key, left);
    else this.perKey.delete(key);
  }
}
