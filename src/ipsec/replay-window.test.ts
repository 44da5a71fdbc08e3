import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ReplayWindow } from './replay-window.js';

test('fresh window: 0 refused, 1 ok; accept then the same number is a replay', () => {
  const w = new ReplayWindow(64);
  assert.equal(w.check(0), 'zero');
  assert.equal(w.check(1), 'ok');
  w.accept(1);
  assert.equal(w.check(1), 'replay');
  assert.equal(w.check(2), 'ok');
});

test('window slides: numbers left of top-size+1 are stale, the rest tracked out of order', () => {
  const w = new ReplayWindow(64);
  w.accept(100);
  assert.equal(w.check(37), 'ok'); // 100 - 63: the left edge
  assert.equal(w.check(36), 'stale');
  w.accept(50);
  assert.equal(w.check(50), 'replay');
  w.accept(130); // slides by 30: 50 stays inside (130 - 63 = 67 > 50 → stale)
  assert.equal(w.check(50), 'stale');
  assert.equal(w.check(100), 'replay');
  assert.equal(w.check(99), 'ok');
  w.accept(100_000); // a jump past the whole window clears it
  assert.equal(w.check(99_999), 'ok');
  assert.equal(w.check(100_000), 'replay');
  assert.throws(() => new ReplayWindow(48));
});

test('property: the window agrees with a naive model (a set of every accepted number)', () => {
  fc.assert(
    fc.property(fc.constantFrom(64, 128, 1024), fc.array(fc.integer({ min: 0, max: 3000 }), { maxLength: 400 }), (size, seqs) => {
      const w = new ReplayWindow(size);
      const seen = new Set<number>();
      let top = 0;
      for (const s of seqs) {
        const expected = s === 0 ? 'zero' : s > top ? 'ok' : s + size <= top ? 'stale' : seen.has(s) ? 'replay' : 'ok';
        assert.equal(w.check(s), expected, `seq ${s} top ${top}`);
        if (expected === 'ok') {
          w.accept(s);
          seen.add(s);
          top = Math.max(top, s);
        }
      }
    }),
    { numRuns: 300 },
  );
});
