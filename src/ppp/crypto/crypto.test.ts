import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { md4 } from './md4.js';
import { sha1Into } from './sha1.js';
import { Rc4, rc4 } from './rc4.js';
import { desEncryptBlock, desEncrypt7, desKeyFrom7 } from './des.js';
import { fromHex, toHex } from '../../wire/hex.js';
import { loadVector, normHex as hex, type DesKeyExample, type DesVectors, type Md4Vectors, type Rc4Vectors } from '../../../test/fixtures/vectors/vectors.js';


test('md4: RFC 1320 A.5 suite → every digest matches', () => {
  const v = loadVector<Md4Vectors>('rfc1320-md4.json');
  assert.equal(v.cases.length, 7);
  for (const c of v.cases) assert.equal(toHex(md4(new TextEncoder().encode(c.input_ascii))), c.md4, JSON.stringify(c.input_ascii));
});

test('md4: inputs around the 55/56/64-octet padding boundaries → stable, distinct digests', () => {
  const seen = new Set<string>();
  for (let n = 50; n <= 130; n++) seen.add(toHex(md4(new Uint8Array(n).fill(0x61))));
  assert.equal(seen.size, 81);
});

test('rc4: RFC 6229 key set 1 (40/56/64/80/128-bit) → keystream at every listed offset', () => {
  const v = loadVector<Rc4Vectors>('rfc6229-rc4.json');
  assert.deepEqual(v.cases.map((c) => c.key_bits), [40, 56, 64, 80, 128]);
  for (const c of v.cases) {
    const ks = rc4(fromHex(c.key), new Uint8Array(0x1010));
    assert.equal(c.keystream.length, 18);
    for (const e of c.keystream) assert.equal(toHex(ks.subarray(e.offset, e.offset + 16)), hex(e.bytes), `${c.key} @${e.offset}`);
  }
});

/** Byte-at-a-time RC4 straight from the textbook, to compare the optimised loop with. */
function naiveRc4(key: Uint8Array, data: Uint8Array): Uint8Array {
  const s = Array.from({ length: 256 }, (_, k) => k);
  let j = 0;
  for (let i = 0; i < 256; i++) {
    j = (j + s[i]! + key[i % key.length]!) & 255;
    [s[i], s[j]] = [s[j]!, s[i]!];
  }
  let i = 0;
  j = 0;
  return data.map((b) => {
    i = (i + 1) & 255;
    j = (j + s[i]!) & 255;
    [s[i], s[j]] = [s[j]!, s[i]!];
    return b ^ s[(s[i]! + s[j]!) & 255]!;
  });
}

test('rc4: any key, chunking and offsets → same output as the naive reference', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 1, maxLength: 32 }),
      fc.uint8Array({ maxLength: 300 }),
      fc.array(fc.nat(37), { maxLength: 8 }),
      fc.nat(7),
      fc.nat(7),
      (key, data, cuts, srcOff, dstOff) => {
        const want = naiveRc4(key, data);
        const src = new Uint8Array(data.length + srcOff);
        src.set(data, srcOff);
        const dst = new Uint8Array(data.length + dstOff);
        const r = new Rc4(key);
        let pos = 0;
        for (const c of [...cuts, data.length]) {
          const n = Math.min(c, data.length - pos);
          r.process(src, srcOff + pos, dst, dstOff + pos, n);
          pos += n;
        }
        assert.deepEqual(dst.subarray(dstOff), want);
      },
    ),
  );
});

test('rc4: in place with the output two octets before the input → same as separate buffers', () => {
  const key = fromHex('0102030405');
  const data = Uint8Array.from({ length: 1403 }, (_, k) => k * 7);
  const buf = new Uint8Array(1500);
  buf.set(data, 5);
  new Rc4(key).process(buf, 5, buf, 3, data.length);
  assert.deepEqual(buf.subarray(3, 3 + data.length), naiveRc4(key, data));
});

test('rc4: views with a non-zero byteOffset (Buffer pool) → correct', () => {
  const pool = new Uint8Array(4096);
  const view = pool.subarray(13, 13 + 100);
  view.fill(0);
  new Rc4(fromHex('0102030405')).apply(view);
  assert.equal(toHex(view.subarray(0, 16)), 'b2396305f03dc027ccc3524a0a1118a8');
});

test('des: FIPS/NBS known answers → every ciphertext matches', () => {
  const v = loadVector<DesVectors>('des-known-answers.json');
  for (const c of v.cases) assert.equal(toHex(desEncryptBlock(fromHex(c.key), fromHex(c.plaintext))), c.ciphertext.toLowerCase(), c.name);
});

test('des: RFC 2759 §9.3 7-octet keys → parity-expanded DES keys', () => {
  const v = loadVector<DesKeyExample>('rfc2759-des-key-example.json');
  assert.equal(toHex(desKeyFrom7(fromHex(v.FirstRawDESKey))), hex(v.FirstParityCorrectedDESKey));
  assert.equal(toHex(desKeyFrom7(fromHex(v.SecondRawDESKey))), hex(v.SecondParityCorrectedDESKey));
});

test('des: parity bits of the key → ignored', () => {
  const k = fromHex('133457799BBCDFF1');
  const flipped = k.map((b) => b ^ 1);
  const pt = fromHex('0123456789ABCDEF');
  assert.deepEqual(desEncryptBlock(flipped, pt), desEncryptBlock(k, pt));
  assert.deepEqual(desEncrypt7(pt, fromHex('FC156AF7EDCD6C')), desEncryptBlock(fromHex('FD0B5B5E7F6E34D9'), pt));
});

test('des: wrong block or key size → RangeError (API misuse)', () => {
  assert.throws(() => desEncryptBlock(new Uint8Array(7), new Uint8Array(8)), RangeError);
  assert.throws(() => desKeyFrom7(new Uint8Array(8)), RangeError);
});

test('sha1Into: FIPS 180 "abc" and random lengths 0..300 → same digest as node:crypto', () => {
  const out = new Uint8Array(24);
  sha1Into(new TextEncoder().encode('abc'), 3, out, 2);
  assert.equal(toHex(out.subarray(2, 22)), 'a9993e364706816aba3e25717850c26c9cd0d89d');
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (data) => {
    const d = new Uint8Array(20);
    sha1Into(data, data.length, d);
    assert.equal(toHex(d), createHash('sha1').update(data).digest('hex'));
  }));
});
