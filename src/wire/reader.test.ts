import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Reader } from './reader.js';
import { Writer } from './writer.js';
import { fromHex, toHex } from './hex.js';

test('Reader: reads big-endian fields in order', () => {
  const r = new Reader(fromHex('01 0203 040506 0708090a ff'));
  assert.equal(r.u8(), 1);
  assert.equal(r.u16(), 0x0203);
  assert.equal(r.u24(), 0x040506);
  assert.equal(r.u32(), 0x0708090a);
  assert.equal(r.remaining, 1);
  assert.equal(r.u8(), 0xff);
  assert.equal(r.error, undefined);
});

test('Reader: a short read returns 0 and records TRUNCATED at its offset', () => {
  const r = new Reader(fromHex('01 02 03'));
  r.u16();
  assert.equal(r.u16('length'), 0);
  assert.deepEqual(r.error, { code: 'TRUNCATED', offset: 2, field: 'length' });
  assert.equal(r.remaining, 0);
  assert.equal(r.u8(), 0, 'later reads stay harmless');
  assert.deepEqual(r.error, { code: 'TRUNCATED', offset: 2, field: 'length' }, 'the first error sticks');
});

test('Reader: bytes() is a view and respects the end bound', () => {
  const buf = fromHex('00 11 22 33 44');
  const r = new Reader(buf, 1, 4);
  const v = r.bytes(2);
  assert.equal(toHex(v), '1122');
  assert.equal(v.buffer, buf.buffer);
  assert.equal(r.bytes(2).length, 0);
  assert.equal(r.error?.code, 'TRUNCATED');
  assert.equal(new Reader(buf).bytes(-1).length, 0);
});

test('Writer: grows past its capacity and patches length fields', () => {
  const w = new Writer(2);
  w.u8(1).u16(0).u32(0xdeadbeef).bytes(fromHex('aabb')).zeros(2).u24(0x010203);
  w.patchU16(1, w.pos);
  assert.equal(toHex(w.finish()), '01000e' + 'deadbeef' + 'aabb' + '0000' + '010203');
});

test('Writer then Reader: any sequence of u8/u16/u32 round-trips', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.constantFrom(1, 2, 4), fc.nat(0xffffffff))), (fields) => {
      const w = new Writer(1);
      for (const [size, v] of fields) {
        if (size === 1) w.u8(v);
        else if (size === 2) w.u16(v);
        else w.u32(v);
      }
      const r = new Reader(w.finish());
      for (const [size, v] of fields) {
        const mask = size === 4 ? 0xffffffff : (1 << (size * 8)) - 1;
        const got = size === 1 ? r.u8() : size === 2 ? r.u16() : r.u32();
        assert.equal(got, (v & mask) >>> 0);
      }
      assert.equal(r.remaining, 0);
      assert.equal(r.error, undefined);
    }),
  );
});
