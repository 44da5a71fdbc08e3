import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatIpv4, parseIpv4 } from './ipv4.js';
import { AddressPool } from './pool.js';

const ip = (s: string) => parseIpv4(s)!;

test('pool: pptpd-style ranges → size, order, exclusion of the server address', () => {
  const p = AddressPool.fromSpecs(['192.168.0.234-238', '192.168.0.245', '192.168.0.1'], [ip('192.168.0.1')]);
  assert.equal(p.size, 6);
  const got: string[] = [];
  for (let a = p.allocate(); a !== undefined; a = p.allocate()) got.push(formatIpv4(a));
  assert.deepEqual(got, ['192.168.0.234', '192.168.0.235', '192.168.0.236', '192.168.0.237', '192.168.0.238', '192.168.0.245']);
  assert.equal(p.available, 0);
  assert.equal(p.allocate(), undefined);
});

test('pool: from a pptpd remoteip list → same addresses as the pptpd reader', () => {
  const p = AddressPool.fromPptpdList('192.168.0.234-238,192.168.0.245,10.1-2.0.5');
  assert.equal(p.size, 8);
  assert.equal(p.contains(ip('10.2.0.5')), true);
  assert.equal(p.contains(ip('10.1.0.6')), false);
  assert.throws(() => AddressPool.fromPptpdList('192.168.0.0/24'), /not a pptpd range|not an IPv4/);
});

test('pool: release then allocate → round-robin does not hand back the just-released address first', () => {
  const p = AddressPool.fromSpecs(['10.0.0.10-12']);
  const a = p.allocate()!;
  const b = p.allocate()!;
  assert.equal(p.release(a), true);
  assert.equal(p.release(a), false);
  assert.equal(p.isInUse(a), false);
  assert.equal(formatIpv4(p.allocate()!), '10.0.0.12');
  assert.equal(p.allocate(), a); // wraps around to the free one
  assert.equal(p.isInUse(b), true);
});

test('pool: preferred and reserved addresses (fixed address from chap-secrets)', () => {
  const p = AddressPool.fromSpecs(['10.0.0.0/30']);
  assert.equal(p.size, 4);
  assert.equal(p.allocate(ip('10.0.0.2')), ip('10.0.0.2'));
  assert.equal(p.reserve(ip('10.0.0.2')), false);
  assert.equal(p.reserve(ip('10.0.1.1')), false); // outside
  assert.notEqual(p.allocate(ip('10.0.0.2')), ip('10.0.0.2')); // taken → another one
  assert.equal(p.contains(ip('10.0.0.3')), true);
  assert.equal(p.contains(ip('10.0.0.4')), false);
});

test('pool: overlapping and adjacent ranges merge', () => {
  const p = AddressPool.fromSpecs(['10.0.0.1-10.0.0.5', '10.0.0.4-10.0.0.8', '10.0.0.9']);
  assert.equal(p.ranges.length, 1);
  assert.equal(p.size, 9);
});

test('property: allocations are distinct, inside the ranges, never excluded; all come back', () => {
  fc.assert(fc.property(
    fc.array(fc.tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 20 })), { minLength: 1, maxLength: 5 }),
    fc.array(fc.boolean(), { maxLength: 120 }),
    (spans, ops) => {
      const base = ip('10.20.0.0');
      const ranges = spans.map(([s, len]) => ({ start: base + s, end: base + s + len }));
      const exclude = [base + spans[0]![0]];
      const p = new AddressPool(ranges, exclude);
      const held: number[] = [];
      for (const alloc of ops) {
        if (alloc || held.length === 0) {
          const a = p.allocate();
          if (a === undefined) {
            assert.equal(p.available, 0);
            continue;
          }
          assert.ok(ranges.some((r) => a >= r.start && a <= r.end));
          assert.ok(!exclude.includes(a));
          assert.ok(!held.includes(a));
          held.push(a);
        } else {
          assert.equal(p.release(held.shift()!), true);
        }
        assert.equal(p.available, p.size - held.length);
      }
    },
  ), { numRuns: 300 });
});
