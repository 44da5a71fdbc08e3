/**
 * The addon's one's-complement sum against the TypeScript reference, and the
 * TCP cut/merge paths run with it: same bytes. Skips when the addon is not built.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { nativeOnesSum } from './native-csum.js';
import { loadNative } from './native.js';
import { onesSum } from '../wire/checksum.js';
import { patternBytes, tcpSegment } from '../../test/helpers/tcp-segment.js';
import { Coalescer, VNET_HDR_LEN, forEachSegment, onesSum32, type CoalesceArena, type OnesSum } from '../wire/tcp-offload.js';

const native = nativeOnesSum();
const skip = native === undefined ? 'native onesSum unavailable (addon not built)' : false;
const N = native as OnesSum;

test('native onesSum: any bytes, range and initial value → the RFC 1071 reference sum', { skip }, () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 3000 }), fc.nat(3000), fc.nat(3000), fc.nat(0xffff), fc.nat(7), (raw, x, y, init, shift) => {
      const b = raw.subarray(Math.min(shift, raw.length));
      const s = Math.min(x, y, b.length);
      const e = Math.min(Math.max(x, y), b.length);
      assert.equal(N(b, s, e, init), onesSum(b, s, e, init));
    }),
    { numRuns: 1000 },
  );
});

test('native onesSum: a range outside the array or a wide initial value → usage error, not a crash', { skip }, () => {
  const f = loadNative().onesSum!;
  assert.throws(() => f(new Uint8Array(10), 0, 11, 0), /onesSum/);
  assert.throws(() => f(new Uint8Array(10), 6, 5, 0), /onesSum/);
  assert.throws(() => f(new Uint8Array(10), 0, 10, 0x10000), /onesSum/);
});

/** A valid IPv4/TCP segment with `n` payload octets at sequence `seq`, no options. */
function segment(seq: number, n: number): Uint8Array {
  return tcpSegment({ seq, payload: patternBytes(n, seq), opts: [] });
}

test('merge then cut with the native sum → the same bytes as with the TypeScript sum', { skip }, () => {
  const run = (sum: OnesSum): Uint8Array[] => {
    const data = new Uint8Array(100_000);
    let used = 0;
    let count = 0;
    let lastLen = 0;
    const arena: CoalesceArena = {
      data,
      get count() {
        return count;
      },
      extendLast(extra) {
        used += extra;
        lastLen += extra;
        return true;
      },
    };
    const c = new Coalescer(sum);
    let seq = 1;
    for (let k = 0; k < 20; k++) {
      const p = segment(seq, 1000);
      seq += 1000;
      if (c.append(arena, p)) continue;
      data.fill(0, used, used + VNET_HDR_LEN);
      data.set(p, used + VNET_HDR_LEN);
      count++;
      const at = used;
      lastLen = p.length + VNET_HDR_LEN;
      used += lastLen;
      c.started(arena, at, p.length);
    }
    assert.equal(count, 1, 'all 20 merged');
    const out: Uint8Array[] = [];
    forEachSegment(data.slice(0, used), 0, used, 1500, (s) => out.push(s.slice()), sum);
    return out;
  };
  const a = run(N);
  const b = run(onesSum32);
  assert.equal(a.length, 20);
  assert.deepEqual(a, b);
});
