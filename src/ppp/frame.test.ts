import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodePppFrame, parsePppFrame, pppFrameLength, isValidProtocol } from './frame.js';
import { fromHex, toHex } from '../wire/hex.js';

test('frame: full header LCP → protocol 0xc021 and info view', () => {
  // ff 03 | c0 21 | 01 01 00 04 (Configure-Request, id 1, length 4)
  const p = parsePppFrame(fromHex('ff03c021 01010004'));
  assert.ok(p.ok);
  assert.equal(p.value.protocol, 0xc021);
  assert.equal(toHex(p.value.information), '01010004');
});

test('frame: ACFC+PFC IPv4 → one-byte protocol 0x21', () => {
  const p = parsePppFrame(fromHex('21 4500'));
  assert.ok(p.ok);
  assert.equal(p.value.protocol, 0x21);
  assert.equal(toHex(encodePppFrame(p.value, { acfc: true, pfc: true })), '214500');
  assert.equal(toHex(encodePppFrame(p.value)), 'ff0300214500');
  assert.equal(toHex(encodePppFrame(p.value, { pfc: true })), 'ff03214500');
});

test('frame: PFC never applies to two-byte protocols', () => {
  assert.equal(toHex(encodePppFrame({ protocol: 0x8021, information: new Uint8Array(0) }, { pfc: true, acfc: true })), '8021');
});

test('frame: bad control, even low byte, truncations → WireError', () => {
  for (const [hex, code] of [['', 'TRUNCATED'], ['ff', 'TRUNCATED'], ['ff04c021', 'BAD_VALUE'], ['ff03', 'TRUNCATED'], ['ff03c0', 'TRUNCATED'], ['c020', 'BAD_VALUE']] as const) {
    const p = parsePppFrame(fromHex(hex));
    assert.equal(p.ok, false, hex);
    if (!p.ok) assert.equal(p.error.code, code, hex);
  }
});

test('frame: parse(encode(x)) = x for every valid protocol and flag set', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 0xffff }).filter(isValidProtocol), fc.uint8Array({ maxLength: 64 }), fc.boolean(), fc.boolean(), (protocol, information, acfc, pfc) => {
      const bytes = encodePppFrame({ protocol, information }, { acfc, pfc });
      assert.equal(bytes.length, pppFrameLength({ protocol, information }, { acfc, pfc }));
      const p = parsePppFrame(bytes);
      // An ACFC frame whose protocol starts with 0xff would look like an address
      // byte; 0xff is odd so only PFC one-byte protocols could, and 0xff < 0x100
      // is not a valid protocol high byte anyway.
      assert.ok(p.ok);
      assert.equal(p.value.protocol, protocol);
      assert.deepEqual([...p.value.information], [...information]);
    }),
  );
});

test('frame: random bytes never throw', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 16 }), (b) => {
    const p = parsePppFrame(b);
    assert.ok(p.ok || typeof p.error.code === 'string');
  }));
});
