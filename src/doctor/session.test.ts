/** Session's kind bits: every kind added is reported by has(), past the 128 that fit in the four words too, and absorb() merges them. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Session } from './session.js';
import type { Ev, EvKind } from './types.js';

function ev(kind: string, line: number): Ev {
  return { kind: kind as EvKind, file: 0, line, tsMs: NaN, text: '' };
}

test('session: 160 distinct kinds added → has() true for each, false for one never added', () => {
  const s = new Session(1, 'ppp', 0, null);
  const kinds = Array.from({ length: 160 }, (_, i) => `test-kind-${i}`);
  kinds.forEach((k, i) => s.add(ev(k, i + 1)));
  for (const k of kinds) assert.equal(s.has(k as EvKind), true, k);
  assert.equal(s.has('test-kind-never' as EvKind), false);
  assert.equal(s.has('exit'), false);
});

test('session: absorb → the kinds of both sessions', () => {
  const a = new Session(1, 'ppp', 0, null);
  const b = new Session(2, 'ppp', 0, null);
  a.add(ev('exit', 1));
  b.add(ev('hangup', 2));
  for (let i = 0; i < 140; i++) b.add(ev(`absorb-kind-${i}`, 3 + i));
  a.absorb(b);
  assert.equal(a.has('exit'), true);
  assert.equal(a.has('hangup'), true);
  assert.equal(a.has('absorb-kind-139' as EvKind), true);
  assert.equal(b.mergedInto, a);
});
