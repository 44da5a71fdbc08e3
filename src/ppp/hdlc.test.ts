import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeHdlcFrame, fcs16, fcs32, HdlcDecoder, hdlcFrameLength, parseHdlcFrame } from './hdlc.js';
import { fromHex, toHex } from '../wire/hex.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

test('fcs: CRC-16/X.25 and CRC-32 check values of "123456789"', () => {
  // The standard check values of the two CRCs RFC 1662 Appendix C specifies.
  assert.equal(~fcs16(ascii('123456789')) & 0xffff, 0x906e);
  assert.equal(~fcs32(ascii('123456789')) >>> 0, 0xcbf43926);
});

test('hdlc: LCP frame with default ACCM escapes every control character', () => {
  const frame = fromHex('ff03c021 01010004');
  const enc = encodeHdlcFrame(frame);
  // 7e | ff 7d23 c0 21 | 7d21 7d21 7d20 7d24 | fcs.. | 7e
  assert.equal(toHex(enc.subarray(0, 14)), '7eff7d23c0217d217d217d207d24');
  assert.equal(enc[enc.length - 1], 0x7e);
  assert.equal(enc.length, hdlcFrameLength(frame));
  const dec = new HdlcDecoder().push(enc);
  assert.equal(dec.length, 1);
  assert.ok(dec[0]!.ok);
  if (dec[0]!.ok) assert.equal(toHex(dec[0]!.frame), toHex(frame));
});

test('hdlc: ACCM 0 sends control characters raw but still escapes 7d/7e', () => {
  const enc = encodeHdlcFrame(fromHex('ff03002101 7e 7d'), { accm: 0 });
  // 7e | ff 03 00 21 01 | 7d5e | 7d5d
  assert.equal(toHex(enc.subarray(0, 10)), '7eff030021017d5e7d5d');
});

test('hdlc: bad FCS, runt and abort are reported, not thrown', () => {
  const good = encodeHdlcFrame(fromHex('ff03c02101010004'));
  const bad = good.slice();
  bad[3] = bad[3]! ^ 1;
  const d = new HdlcDecoder();
  assert.deepEqual(d.push(bad), [{ ok: false, reason: 'bad-fcs' }]);
  assert.deepEqual(d.push(fromHex('7e4142437e')), [{ ok: false, reason: 'runt' }]);
  assert.deepEqual(d.push(fromHex('7eff03c0217d7e')), [{ ok: false, reason: 'aborted' }]);
});

test('hdlc: a stream split at every point yields the same frames', () => {
  const a = fromHex('ff03c02101010004');
  const b = fromHex('ff0300214500000000');
  const stream = new Uint8Array([...encodeHdlcFrame(a), ...encodeHdlcFrame(b, {})]);
  for (let i = 0; i <= stream.length; i++) {
    const d = new HdlcDecoder();
    const got = [...d.push(stream.subarray(0, i)), ...d.push(stream.subarray(i))];
    assert.deepEqual(got.map((g) => (g.ok ? toHex(g.frame) : g.reason)), [toHex(a), toHex(b)]);
  }
});

test('hdlc: parse(encode(x)) = x for FCS-16/32 and any ACCM', () => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 4, maxLength: 80 }), fc.integer({ min: 0, max: 0xffffffff }), fc.boolean(), (frame, accm, f32) => {
    const enc = encodeHdlcFrame(frame, { accm, fcs32: f32 });
    assert.equal(enc.length, hdlcFrameLength(frame, { accm, fcs32: f32 }));
    const one = parseHdlcFrame(enc, { accm, fcs32: f32 });
    assert.ok(one.ok);
    assert.deepEqual([...one.value], [...frame]);
    const got = new HdlcDecoder({ accm, fcs32: f32 }).push(enc);
    assert.equal(got.length, 1);
    assert.ok(got[0]!.ok);
    if (got[0]!.ok) assert.deepEqual([...got[0]!.frame], [...frame]);
  }));
});

test('hdlc: random streams never throw', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (b, f32) => {
    const d = new HdlcDecoder({ fcs32: f32, maxFrameBytes: 64 });
    for (const r of d.push(b)) assert.ok(r.ok || typeof r.reason === 'string');
    const p = parseHdlcFrame(b, { fcs32: f32 });
    assert.ok(p.ok || typeof p.error.code === 'string');
  }));
});
