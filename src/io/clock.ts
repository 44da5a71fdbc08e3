/**
 * The driver's clock (STYLE.md §6): monotonic milliseconds, read once per
 * driver turn and handed to the machines as `now`.
 */
import { performance } from 'node:perf_hooks';
import type { Millis } from '../core/machine.js';

/** A source of monotonic time. Tests pass a manual one. */
export interface Clock {
  /** Monotonic milliseconds since an arbitrary origin. */
  now(): Millis;
}

/** The process's monotonic clock (performance.now: not affected by wall-clock steps). */
export const monotonicClock: Clock = { now: () => performance.now() };

/** A clock that moves only when told to, for tests of the driver. */
export class ManualClock implements Clock {
  private t: Millis;
  constructor(start: Millis = 0) {
    this.t = start;
  }
  now(): Millis {
    return this.t;
  }
  /** Moves the clock forward by `ms` (never backward). */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`ManualClock.advance: ${ms} is not a non-negative number`);
    this.t += ms;
  }
}
