import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ManualClock, monotonicClock } from './clock.js';
import { cryptoRng } from './rng.js';
import { randomU32 } from '../core/rng.js';
import { RxBatch, TxBatch } from './packet-batch.js';
import { errnoName, errnoNumber } from './errors.js';
import { assertPrivileges, checkPrivileges, parseCapEff, type PrivilegeSources } from './privileges.js';

test('TxBatch: reserve → 4-byte aligned offsets, meta rows, -1 when full', () => {
  const b = new TxBatch(3, 32);
  assert.equal(b.reserve(0x0a000001, 5), 0);
  assert.equal(b.reserve(0x0a000002, 10), 8);
  assert.deepEqual([...b.meta.subarray(0, 10)], [0, 5, 0x0a000001, 0, 0, 8, 10, 0x0a000002, 0, 0]);
  assert.equal(b.reserve(1, 20), -1, 'arena full (20 + 20 > 32)');
  assert.equal(b.push(1, new Uint8Array([1, 2, 3])), true);
  assert.equal(b.push(1, new Uint8Array(1)), false, 'packet slots full');
  assert.equal(b.count, 3);
  assert.deepEqual([...b.data.subarray(20, 23)], [1, 2, 3]);
  b.clear();
  assert.equal(b.count, 0);
  assert.equal(b.reserve(7, 32), 0);
});

test('TxBatch: packets never overlap and stay inside the arena (property)', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 40 }), (lens) => {
      const b = new TxBatch(32, 2048);
      const spans: [number, number][] = [];
      for (const len of lens) {
        const off = b.reserve(1, len);
        if (off < 0) continue;
        assert.ok(off % 4 === 0 && off + len <= 2048);
        for (const [s, e] of spans) assert.ok(off >= e || off + len <= s);
        spans.push([off, off + len]);
      }
      return b.count === spans.length && b.count <= 32;
    }),
  );
});

test('RxBatch: accessors read the meta rows the addon writes', () => {
  const r = new RxBatch(4, 100);
  r.meta.set([100, 7, 0x0a000001, 0, 0x0a0000fe, 200, 3, 0x0a000002, 0, 0x0a0000fd]);
  r.data.set([9, 8, 7], 200);
  r.count = 2;
  assert.equal(r.offset(1), 200);
  assert.equal(r.length(0), 7);
  assert.equal(r.source(1), 0x0a000002);
  assert.equal(r.local(0), 0x0a0000fe);
  assert.deepEqual([...r.packet(1)], [9, 8, 7]);
});

test('errno names: both directions', () => {
  assert.equal(errnoName(errnoNumber('EMSGSIZE')!), 'EMSGSIZE');
  assert.equal(errnoName(errnoNumber('EAGAIN')!), 'EAGAIN');
  assert.equal(errnoName(99999), 'E99999');
});

test('clock: monotonic never goes back; ManualClock moves only forward', () => {
  let last = monotonicClock.now();
  for (let i = 0; i < 1000; i++) {
    const t = monotonicClock.now();
    assert.ok(t >= last);
    last = t;
  }
  const c = new ManualClock(5);
  c.advance(10);
  assert.equal(c.now(), 15);
  assert.throws(() => c.advance(-1), RangeError);
});

test('cryptoRng: fresh arrays of the asked length, not all equal', () => {
  assert.equal(cryptoRng.bytes(0).length, 0);
  const a = cryptoRng.bytes(32);
  const b = cryptoRng.bytes(32);
  assert.equal(a.length, 32);
  assert.notDeepEqual(a, b);
  const seen = new Set(Array.from({ length: 64 }, () => randomU32(cryptoRng)));
  assert.ok(seen.size > 60);
  assert.throws(() => cryptoRng.bytes(-1), RangeError);
});

const status = (capEff: string): string => `Name:\tnode\nUid:\t1000\t1000\t1000\t1000\nCapEff:\t${capEff}\n`;
const sources = (capEff: string | undefined, uid: number, tun: 'ok' | 'missing' | 'no-access'): PrivilegeSources => ({
  procStatus: () => (capEff === undefined ? 'Name:\tnode\n' : status(capEff)),
  uid: () => uid,
  tunDevice: () => tun,
});

test('privileges: CapEff parsed from /proc/self/status', () => {
  assert.equal(parseCapEff(status('000001ffffffffff')), 0x1ffffffffffn);
  assert.equal(parseCapEff('nothing'), undefined);
});

test('privileges: root with all capabilities and a TUN device → no problems', () => {
  const r = checkPrivileges(sources('000001ffffffffff', 0, 'ok'));
  assert.deepEqual([r.capNetRaw, r.capNetAdmin, r.capSysAdmin, r.problems.length], [true, true, true, 0]);
  assertPrivileges({ gre: true, tun: true }, r);
});

test('privileges: plain user without /dev/net/tun → three problems, each with its fix', () => {
  const r = checkPrivileges(sources('0000000000000000', 1000, 'missing'));
  assert.deepEqual(r.problems.map((p) => p.code), ['RAW_SOCKET', 'TUN_OPEN', 'TUN_OPEN']);
  assert.match(r.problems[0]!.hint, /AmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW/);
  assert.match(r.problems[0]!.hint, /not `setcap` on the node binary/);
  assert.match(r.problems[2]!.hint, /modprobe tun/);
  assert.throws(() => assertPrivileges({ gre: true }, r), { code: 'RAW_SOCKET' });
  assert.throws(() => assertPrivileges({ tun: true }, r), { code: 'TUN_OPEN' });
});

test('privileges: only cap_net_raw granted (setcap) → GRE fine, TUN refused', () => {
  const r = checkPrivileges(sources((1n << 13n).toString(16), 1000, 'ok'));
  assert.equal(r.capNetRaw, true);
  assert.equal(r.capNetAdmin, false);
  assertPrivileges({ gre: true }, r);
  assert.throws(() => assertPrivileges({ tun: true }, r), /CAP_NET_ADMIN/);
});

test('privileges: no /proc → root assumed capable, others not', () => {
  assert.equal(checkPrivileges(sources(undefined, 0, 'ok')).problems.length, 0);
  assert.equal(checkPrivileges(sources(undefined, 1000, 'no-access')).problems.length, 3);
});
