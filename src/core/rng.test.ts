import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomU16, randomU32, seededRng } from './rng.js';

test('seededRng: same seed gives the same bytes, another seed differs', () => {
  const a = seededRng(7).bytes(13);
  assert.deepEqual(a, seededRng(7).bytes(13));
  assert.notDeepEqual(a, seededRng(8).bytes(13));
  assert.equal(a.length, 13);
});

test('randomU32/randomU16: stay in range', () => {
  const rng = seededRng(1);
  for (let i = 0; i < 1000; i++) {
    const v = randomU32(rng);
    assert.ok(v >= 0 && v <= 0xffffffff && Number.isInteger(v));
    const w = randomU16(rng);
    assert.ok(w >= 0 && w <= 0xffff);
  }
});
