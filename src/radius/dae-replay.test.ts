import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DaeReplayWindow, eventTimestampS } from './dae-replay.js';

const key = (identifier: number, fill = 1) => ({ client: '192.0.2.1:40000', identifier, authenticator: new Uint8Array(16).fill(fill) });
const T = 1_700_000_000;

test('window 300 s: Event-Timestamp within ±300 s → fresh; 301 s off either way → stale with the skew', () => {
  const w = new DaeReplayWindow({ windowS: 300, requireEventTimestamp: true });
  assert.deepEqual(w.check(key(1), T - 300, T), { kind: 'fresh' });
  assert.deepEqual(w.check(key(2), T + 300, T), { kind: 'fresh' });
  assert.deepEqual(w.check(key(3), T - 301, T), { kind: 'stale', skewS: -301 });
  assert.deepEqual(w.check(key(4), T + 301, T), { kind: 'stale', skewS: 301 });
});

test('required: no Event-Timestamp → missing-timestamp; not required → fresh', () => {
  assert.deepEqual(new DaeReplayWindow({ windowS: 300, requireEventTimestamp: true }).check(key(1), undefined, T), { kind: 'missing-timestamp' });
  assert.deepEqual(new DaeReplayWindow({ windowS: 300, requireEventTimestamp: false }).check(key(1), undefined, T), { kind: 'fresh' });
});

test('answered request seen again within the window → duplicate with the first reply; another authenticator or Identifier → fresh; after the window → stale, and forgotten', () => {
  const w = new DaeReplayWindow({ windowS: 300, requireEventTimestamp: true });
  const reply = Uint8Array.of(41, 7);
  assert.equal(w.check(key(7), T, T).kind, 'fresh');
  w.remember(key(7), reply, T);
  assert.deepEqual(w.check(key(7), T, T + 10), { kind: 'duplicate', reply });
  assert.equal(w.check(key(7, 2), T, T + 10).kind, 'fresh');
  assert.equal(w.check(key(8), T, T + 10).kind, 'fresh');
  assert.deepEqual(w.check(key(7), T, T + 301), { kind: 'stale', skewS: -301 });
  assert.equal(w.size, 0, 'expired');
});

test('the table is bounded: beyond maxEntries the oldest are forgotten', () => {
  const w = new DaeReplayWindow({ windowS: 300, requireEventTimestamp: false, maxEntries: 3 });
  for (let i = 0; i < 5; i++) w.remember(key(i), undefined, T);
  assert.equal(w.size, 3);
  assert.equal(w.check(key(0), T, T).kind, 'fresh');
  assert.equal(w.check(key(4), T, T).kind, 'duplicate');
});

test('eventTimestampS: 4 octets big-endian → seconds; other sizes → undefined', () => {
  assert.equal(eventTimestampS(Uint8Array.of(0x65, 0x53, 0xf1, 0x00)), 0x6553f100);
  assert.equal(eventTimestampS(Uint8Array.of(0xff, 0xff, 0xff, 0xff)), 0xffffffff);
  assert.equal(eventTimestampS(Uint8Array.of(1, 2, 3)), undefined);
  assert.equal(eventTimestampS(undefined), undefined);
});
