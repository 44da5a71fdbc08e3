/**
 * Loss, duplication and reordering between two sessions (seeded): the
 * negotiation completes, and MPPE stays in sync — stateless by design,
 * stateful through CCP Reset-Request after a loss (RFC 3078 §8.2).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pair, find, ipv4 } from './harness.js';
import type { MppePolicy } from '../../src/ppp/ccp/ccp.js';

const STATELESS: MppePolicy = { strengths: [128], required: true, allowStateful: false };
const STATEFUL: MppePolicy = { strengths: [128], required: true, allowStateful: true };

function lossyPair(seed: number, mppe: MppePolicy, faults: { loss?: number; duplicate?: number; jitterMs?: number }) {
  const pair = new Pair(
    { auth: { require: ['mschap-v2'] }, mppe, localAddress: '10.2.0.1', peerAddress: '10.2.0.2', ipv6: true, fsm: { restartMs: 1000 } },
    { auth: { username: 'alice', password: 'correct horse' }, mppe, ipv6: true, fsm: { restartMs: 1000 } },
    faults,
    seed,
  );
  pair.start();
  return pair;
}

for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
  for (const [mode, mppe] of [['stateless', STATELESS], ['stateful', STATEFUL]] as const) {
    test(`Establish: 20% loss, 10% duplication, 30 ms jitter (seed ${seed}, ${mode}) → negotiation completes`, () => {
      const pair = lossyPair(seed, mppe, { loss: 0.2, duplicate: 0.1, jitterMs: 30 });
      const ready = (): boolean => pair.bothUp() && pair.sides.every((s) => find(s.events, 'ipv4-up') && find(s.events, 'ipv6-up'));
      assert.ok(pair.run(ready, 300_000), `phases ${pair.sides.map((s) => s.session.phase)} events ${JSON.stringify(pair.client.events.slice(-4))}`);
      assert.deepEqual(find(pair.server.events, 'mppe-up'), { type: 'mppe-up', strength: 128, stateless: mode === 'stateless' });
      assert.equal(pair.server.events.filter((e) => e.type === 'auth-ok').length, 1, 'one auth-ok despite duplicates');
      assert.equal(find(pair.client.events, 'ipv4-up')?.localAddress, '10.2.0.2');
    });
  }
}

test('Network: stateless MPPE with 10% loss and reordering → every delivered packet decrypts', () => {
  const pair = lossyPair(11, STATELESS, {});
  assert.ok(pair.run(() => pair.ready(), 60_000));
  pair.faults = { loss: 0.1, duplicate: 0.05, jitterMs: 3 };
  for (let k = 0; k < 300; k++) {
    pair.sendIp(0, ipv4(100 + (k % 50), k));
    pair.run(() => false, 1);
  }
  pair.flush();
  const got = pair.client.received;
  // Lost frames and frames overtaken by a later count (stale) are missing; the rest arrive.
  assert.ok(got.length > 120 && got.length < 300, `${got.length} delivered`);
  // Each delivered packet is one we sent, byte for byte (a wrong key would garble it).
  for (const p of got) {
    const k = p[20]!;
    const candidates = [...Array(300).keys()].filter((i) => (i & 0xff) === k).map((i) => ipv4(100 + (i % 50), i));
    assert.ok(candidates.some((c) => c.length === p.length && c.every((b, j) => b === p[j])), 'garbled packet');
  }
  assert.ok((pair.client.session.counters.drops['mppe-stale'] ?? 0) > 0, 'duplicates/reordered packets were refused as stale');
});

test('Network: stateful MPPE, a lost packet → coherency gap, Reset-Request, FLUSHED resync, traffic flows again', () => {
  const pair = lossyPair(12, STATEFUL, {});
  assert.ok(pair.run(() => pair.ready(), 60_000));
  for (let k = 0; k < 10; k++) pair.sendIp(0, ipv4(200, k));
  pair.flush();
  assert.equal(pair.client.received.length, 10);
  // Lose exactly one data frame.
  const frame = pair.server.session.sendIp(ipv4(200, 99), pair.now);
  assert.ok(frame);
  for (let k = 10; k < 20; k++) pair.sendIp(0, ipv4(200, k));
  pair.flush();
  const drops = pair.client.session.counters.drops;
  assert.equal(drops['mppe-coherency-gap'], 1);
  assert.equal(drops['mppe-awaiting-flush'], 9);
  assert.equal(pair.client.received.length, 10, 'nothing after the gap until the flush');
  const resets = pair.client.sent.filter((f) => f.bytes.at(-4) === 14 || f.bytes.includes(0x80));
  assert.ok(resets.length >= 1);
  // The server saw the Reset-Request: its next packet is FLUSHED and decrypts.
  for (let k = 20; k < 30; k++) pair.sendIp(0, ipv4(200, k));
  pair.flush();
  assert.equal(pair.client.received.length, 20);
  assert.deepEqual([...pair.client.received.at(-1)!], [...ipv4(200, 29)]);
});

test('Network: stateful MPPE under 5% loss → Reset-Requests keep both ends in sync to the end', () => {
  const pair = lossyPair(13, STATEFUL, {});
  assert.ok(pair.run(() => pair.ready(), 60_000));
  pair.faults = { loss: 0.05 };
  for (let round = 0; round < 30; round++) {
    for (let k = 0; k < 10; k++) {
      pair.sendIp(0, ipv4(300, round * 10 + k));
      pair.sendIp(1, ipv4(400, round * 10 + k));
    }
    pair.run(() => false, 50);
  }
  pair.faults = {};
  // Lossless again: the first packets after the losses may still meet a
  // receiver waiting for FLUSHED; its (re-sent) Reset-Request resynchronises.
  pair.run(() => false, 2000);
  for (let k = 0; k < 5; k++) {
    pair.sendIp(0, ipv4(300, 240 + k));
    pair.sendIp(1, ipv4(400, 240 + k));
  }
  pair.flush();
  pair.run(() => false, 100);
  const before = [pair.client.received.length, pair.server.received.length];
  for (let k = 0; k < 5; k++) {
    pair.sendIp(0, ipv4(300, 250 + k));
    pair.sendIp(1, ipv4(400, 250 + k));
  }
  pair.flush();
  assert.equal(pair.client.received.length - before[0]!, 5);
  assert.equal(pair.server.received.length - before[1]!, 5);
  assert.ok((pair.client.session.counters.drops['mppe-coherency-gap'] ?? 0) > 0);
  assert.ok(pair.sides.every((s) => s.session.isUp));
});
