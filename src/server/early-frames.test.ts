import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../io/clock.js';
import { EarlyFrames } from './early-frames.js';

const f = (n: number): Uint8Array => Uint8Array.of(n);
const bytes = (frames: Uint8Array[]): number[] => frames.map((x) => x[0]!);

test('held frames go to their key, oldest first, copied; other keys stay', () => {
  const clock = new ManualClock();
  const e = new EarlyFrames({ maxFrames: 8, whenFull: 'refuse' });
  const buf = f(1);
  assert.ok(e.hold(7, buf, clock.now()));
  buf[0] = 99; // the caller's buffer is reused: the hold kept a copy
  assert.ok(e.hold(8, f(2), clock.now()));
  assert.ok(e.hold(7, f(3), clock.now()));
  assert.deepEqual(bytes(e.take(7, clock.now())), [1, 3]);
  assert.deepEqual(e.take(7, clock.now()), []);
  assert.equal(e.size, 1);
  assert.deepEqual(bytes(e.take(8, clock.now())), [2]);
  assert.equal(e.size, 0);
});

test('limits: per key and in all (refuse), or the oldest makes room (drop-oldest)', () => {
  const refuse = new EarlyFrames({ maxFrames: 3, maxPerKey: 2, whenFull: 'refuse' });
  assert.ok(refuse.hold(1, f(1), 0));
  assert.ok(refuse.hold(1, f(2), 0));
  assert.equal(refuse.hold(1, f(3), 0), false, 'per key');
  assert.ok(refuse.hold(2, f(4), 0));
  assert.equal(refuse.hold(3, f(5), 0), false, 'in all');
  assert.deepEqual(bytes(refuse.take(1, 0)), [1, 2]);
  assert.ok(refuse.hold(1, f(6), 0), 'room again after take');
  const drop = new EarlyFrames({ maxFrames: 2, whenFull: 'drop-oldest' });
  drop.hold(1, f(1), 0);
  drop.hold(2, f(2), 0);
  assert.ok(drop.hold(3, f(3), 0));
  assert.equal(drop.size, 2);
  assert.deepEqual(drop.take(1, 0), [], 'the oldest went');
  assert.deepEqual(bytes(drop.take(3, 0)), [3]);
});

test('age: frames past maxAgeMs are not delivered, and leave when another key takes its own', () => {
  const clock = new ManualClock();
  const e = new EarlyFrames({ maxFrames: 8, maxAgeMs: 2000, whenFull: 'drop-oldest' });
  e.hold(1, f(1), clock.now());
  e.hold(2, f(2), clock.now());
  clock.advance(1500);
  e.hold(1, f(3), clock.now());
  e.hold(3, f(4), clock.now());
  clock.advance(1000); // frames 1 and 2 are 2.5 s old now
  assert.deepEqual(bytes(e.take(1, clock.now())), [3], 'only the fresh one');
  assert.equal(e.size, 1, 'the stale frame of key 2 went with it');
  assert.deepEqual(e.take(2, clock.now()), []);
  clock.advance(2001);
  assert.deepEqual(e.take(3, clock.now()), [], 'exactly past the age');
});
