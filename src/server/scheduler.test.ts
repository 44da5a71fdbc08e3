import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../io/clock.js';
import { Scheduler, type TimerHooks } from './scheduler.js';

function fakeTimers(): TimerHooks & { armed: number | undefined; fn: (() => void) | undefined } {
  const t = {
    armed: undefined as number | undefined,
    fn: undefined as (() => void) | undefined,
    set(fn: () => void, ms: number) {
      t.armed = ms;
      t.fn = fn;
      return 1;
    },
    clear() {
      t.armed = undefined;
      t.fn = undefined;
    },
  };
  return t;
}

test('scheduler: fires deadlines in order, one timer armed for the earliest', () => {
  const clock = new ManualClock(0);
  const timers = fakeTimers();
  const s = new Scheduler(clock, timers);
  const fired: string[] = [];
  const a = {}, b = {}, c = {};
  s.set(a, 300, () => fired.push('a'));
  s.set(b, 100, () => fired.push('b'));
  s.set(c, 200, () => fired.push('c'));
  assert.equal(timers.armed, 100);
  clock.advance(250);
  s.run();
  assert.deepEqual(fired, ['b', 'c']);
  assert.equal(timers.armed, 50);
  s.set(a, undefined, () => {});
  assert.equal(s.size, 0);
  clock.advance(100);
  s.run();
  assert.deepEqual(fired, ['b', 'c'], 'a cleared deadline does not fire');
});

test('scheduler: re-setting a key replaces its deadline; an owner may re-arm from inside fire', () => {
  const clock = new ManualClock(0);
  const s = new Scheduler(clock, fakeTimers());
  const k = {};
  let n = 0;
  const fire = (now: number): void => {
    n++;
    if (n < 3) s.set(k, now + 10, fire);
  };
  s.set(k, 50, fire);
  s.set(k, 20, fire);
  for (let t = 0; t <= 100; t += 5) {
    clock.advance(t - clock.now());
    s.run();
  }
  assert.equal(n, 3);
});

test('scheduler: many updates keep the heap bounded', () => {
  const clock = new ManualClock(0);
  const s = new Scheduler(clock, fakeTimers());
  const keys = Array.from({ length: 10 }, () => ({}));
  for (let i = 0; i < 10_000; i++) s.set(keys[i % 10]!, 1000 + i, () => {});
  assert.equal(s.size, 10);
  assert.ok((s as unknown as { heap: unknown[] }).heap.length <= 64 + 40);
});
