/**
 * One timer for every machine (ARCHITECTURE.md: the driver re-arms one timer
 * from the machines' deadlines). Owners register their next deadline after
 * each call into their machine; the scheduler keeps them in a min-heap with
 * lazy deletion and arms a single Node timer for the earliest.
 */
import type { Clock } from '../io/clock.js';

interface Entry {
  deadline: number;
  fire: (now: number) => void;
  version: number;
}

interface HeapItem {
  deadline: number;
  key: object;
  version: number;
}

/** Timer hooks, replaceable in tests. */
export interface TimerHooks {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const nodeTimers: TimerHooks = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Deadline scheduler over one timer. */
export class Scheduler {
  private readonly entries = new Map<object, Entry>();
  private heap: HeapItem[] = [];
  private timer: unknown;
  private armedFor: number | undefined;
  private version = 0;
  private firing = false;
  /** Called after every batch of fired deadlines (flush batched sends there). */
  afterFire: (() => void) | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly hooks: TimerHooks = nodeTimers,
  ) {}

  /** Sets (or, with undefined, clears) the deadline of `key`. */
  set(key: object, deadline: number | undefined, fire: (now: number) => void): void {
    if (deadline === undefined) {
      this.entries.delete(key);
      return;
    }
    const cur = this.entries.get(key);
    if (cur && cur.deadline === deadline) {
      cur.fire = fire;
      return;
    }
    const version = ++this.version;
    this.entries.set(key, { deadline, fire, version });
    this.push({ deadline, key, version });
    if (this.heap.length > 64 && this.heap.length > 4 * this.entries.size) this.compact();
    if (!this.firing) this.arm();
  }

  /** Forgets `key`. */
  delete(key: object): void {
    this.entries.delete(key);
  }

  /** Registered deadlines. */
  get size(): number {
    return this.entries.size;
  }

  /** Stops the timer; entries stay (for shutdown). */
  stop(): void {
    if (this.timer !== undefined) this.hooks.clear(this.timer);
    this.timer = undefined;
    this.armedFor = undefined;
  }

  /** Fires every deadline that is due at `now` (the timer calls this; tests may too). */
  run(now = this.clock.now()): void {
    this.firing = true;
    try {
      for (;;) {
        const top = this.heap[0];
        if (!top || top.deadline > now) break;
        this.pop();
        const e = this.entries.get(top.key);
        if (!e || e.version !== top.version) continue;
        this.entries.delete(top.key);
        e.fire(now);
      }
    } finally {
      this.firing = false;
    }
    this.afterFire?.();
    this.arm();
  }

  private arm(): void {
    while (this.heap.length > 0) {
      const top = this.heap[0]!;
      const e = this.entries.get(top.key);
      if (e && e.version === top.version) break;
      this.pop();
    }
    const next = this.heap[0]?.deadline;
    if (next === this.armedFor) return;
    if (this.timer !== undefined) this.hooks.clear(this.timer);
    this.timer = undefined;
    this.armedFor = next;
    if (next === undefined) return;
    const delay = Math.max(0, Math.ceil(next - this.clock.now()));
    this.timer = this.hooks.set(() => {
      this.timer = undefined;
      this.armedFor = undefined;
      this.run();
    }, delay);
  }

  private compact(): void {
    this.heap = [];
    for (const [key, e] of this.entries) this.push({ deadline: e.deadline, key, version: e.version });
  }

  private push(item: HeapItem): void {
    const h = this.heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]!.deadline <= item.deadline) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = item;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && h[r]!.deadline < h[l]!.deadline ? r : l;
      if (h[c]!.deadline >= last.deadline) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
  }
}
