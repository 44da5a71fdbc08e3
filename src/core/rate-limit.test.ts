import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MIN_BURST_BYTES, TokenBucket, formatRate, parseRate } from './rate-limit.js';

test('parseRate: digits with k/M/G (powers of 1000, any case) → bits per second; anything else → undefined', () => {
  assert.equal(parseRate('2M'), 2_000_000);
  assert.equal(parseRate('2m'), 2_000_000, 'm is mega, as MikroTik writes it');
  assert.equal(parseRate('512k'), 512_000);
  assert.equal(parseRate('1.5M'), 1_500_000);
  assert.equal(parseRate('1G'), 1e9);
  assert.equal(parseRate('64000'), 64_000);
  assert.equal(parseRate('0'), 0);
  assert.equal(parseRate(' 2M '), 2_000_000);
  for (const bad of ['', 'M', '2 M', '-1', '2Mbit', '1e6', '2MM', '0x10', '9999999999999G', '1.1234567M']) assert.equal(parseRate(bad), undefined, bad);
});

test('formatRate: the largest unit that is exact', () => {
  assert.equal(formatRate(2_000_000), '2 Mbit/s');
  assert.equal(formatRate(1_500_000), '1.5 Mbit/s');
  assert.equal(formatRate(512_000), '512 kbit/s');
  assert.equal(formatRate(999), '999 bit/s');
  assert.equal(formatRate(undefined), 'unlimited');
});

test('bucket full: packets pass until burstBytes are used, then drop until time refills them', () => {
  // 800 kbit/s = 100 octets/ms; 100 ms of burst = 10 000 octets.
  const b = new TokenBucket(800_000, 100, 0);
  assert.equal(b.burstBytes, 10_000);
  let passed = 0;
  for (let i = 0; i < 20; i++) if (b.take(1000, 0)) passed++;
  assert.equal(passed, 10, 'the burst, no more');
  assert.equal(b.take(1000, 9), false, '900 octets refilled: a 1000-octet packet still waits');
  assert.equal(b.take(1000, 10), true, '1000 octets after 10 ms');
  assert.equal(b.take(1, 10), false);
});

test('long idle: the bucket refills to burstBytes, never beyond', () => {
  const b = new TokenBucket(800_000, 100, 0);
  for (let i = 0; i < 10; i++) b.take(1000, 0);
  let passed = 0;
  for (let i = 0; i < 30; i++) if (b.take(1000, 60_000)) passed++;
  assert.equal(passed, 10);
});

test('steady over-rate sender: what passes over 10 s is the rate plus one burst', () => {
  // 2 Mbit/s, 1500-octet packets offered at 4 Mbit/s for 10 s (one every 3 ms).
  const b = new TokenBucket(2_000_000, 250, 0);
  let bytes = 0;
  for (let t = 0; t <= 10_000; t += 3) if (b.take(1500, t)) bytes += 1500;
  const expected = (2_000_000 / 8) * 10 + b.burstBytes;
  assert.ok(Math.abs(bytes - expected) <= 1500, `${bytes} octets passed, expected ≈ ${expected}`);
});

test('low rate: the bucket holds at least MIN_BURST_BYTES, so full-size packets still pass', () => {
  const b = new TokenBucket(8_000, 100, 0);
  assert.equal(b.burstBytes, MIN_BURST_BYTES);
  assert.equal(b.take(1500, 0), true);
});

test('clock going backwards (never from the driver) neither refills nor throws', () => {
  const b = new TokenBucket(800_000, 10, 100);
  assert.equal(b.take(MIN_BURST_BYTES, 100), true);
  assert.equal(b.take(1, 50), false);
});
