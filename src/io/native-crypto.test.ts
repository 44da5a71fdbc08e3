/**
 * The native RC4/SHA-1 (native/crypto.c, OpenSSL inside node) against the
 * RFC 6229 and FIPS 180 vectors and, through whole MPPE streams, against the
 * TypeScript reference: same bytes in every mode, so the data path may use
 * either. Skips (with the reason) when the addon is not built.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { nativeMppePrimitives, resetNativeMppePrimitivesForTesting } from './native-crypto.js';
import { loadNative } from './native.js';
import { MppeDecrypter, MppeEncrypter, isMppeDrop } from '../ppp/mppe/mppe.js';
import { mppeStartKeys } from '../ppp/mppe/keys.js';
import { TYPESCRIPT_MPPE_PRIMITIVES, type MppePrimitives } from '../ppp/mppe/primitives.js';
import { fromHex, toHex } from '../wire/hex.js';
import { loadVector, normHex, type Rc4Vectors } from '../../test/fixtures/vectors/vectors.js';

const native = nativeMppePrimitives();
const skip = native === undefined ? 'native RC4/SHA-1 unavailable (addon not built, or node without OpenSSL symbols)' : false;
const N = native as MppePrimitives;

test('native rc4: RFC 6229 key set 1 → keystream at every listed offset', { skip }, () => {
  const v = loadVector<Rc4Vectors>('rfc6229-rc4.json');
  for (const c of v.cases) {
    const rc4 = N.createRc4();
    const key = fromHex(c.key);
    rc4.setKey(key);
    const ks = new Uint8Array(0x1010);
    rc4.process(ks, 0, ks, 0, ks.length);
    for (const e of c.keystream) assert.equal(toHex(ks.subarray(e.offset, e.offset + 16)), normHex(e.bytes), `${c.key} @${e.offset}`);
  }
});

test('native sha1: FIPS 180 "abc" and any length up to 300 → same digest as node:crypto', { skip }, () => {
  const out = new Uint8Array(24);
  N.sha1Into(new TextEncoder().encode('abc'), 3, out, 2);
  assert.equal(toHex(out.subarray(2, 22)), 'a9993e364706816aba3e25717850c26c9cd0d89d');
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(300), (data, cut) => {
      const len = Math.min(cut, data.length);
      const o = new Uint8Array(20);
      N.sha1Into(data, len, o);
      assert.equal(toHex(o), createHash('sha1').update(data.subarray(0, len)).digest('hex'));
    }),
  );
});

test('native rc4: any key, chunking and in-place/backward-overlapping output → same bytes as TypeScript', { skip }, () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 32 }), fc.uint8Array({ maxLength: 3000 }), fc.nat(4), (key, data, shift) => {
      const a = N.createRc4();
      const b = TYPESCRIPT_MPPE_PRIMITIVES.createRc4();
      a.setKey(key);
      b.setKey(key);
      // The decrypt path writes the plaintext up to `shift` octets before the ciphertext in one buffer.
      const bufA = new Uint8Array(data.length + 8);
      const bufB = new Uint8Array(data.length + 8);
      bufA.set(data, 4);
      bufB.set(data, 4);
      a.process(bufA, 4, bufA, 4 - shift, data.length);
      b.process(bufB, 4, bufB, 4 - shift, data.length);
      assert.equal(toHex(bufA.subarray(0, data.length + 4 - shift)), toHex(bufB.subarray(0, data.length + 4 - shift)));
    }),
    { numRuns: 200 },
  );
});

test('native rc4: bad arguments → a thrown usage error, not a crash', { skip }, () => {
  const b = loadNative();
  assert.throws(() => b.rc4SetKey!(new Uint8Array(8), new Uint8Array(16), 16), /rc4 state/);
  const st = new Uint8Array(b.constants.RC4_STATE_BYTES!);
  assert.throws(() => b.rc4SetKey!(st, new Uint8Array(4), 16), /key length/);
  assert.throws(() => b.rc4!(st, new Uint8Array(10), 5, new Uint8Array(10), 0, 6), /outside/);
  assert.throws(() => b.rc4!(st, new Uint8Array(10), 0, new Uint8Array(10), 8, 4), /outside/);
  const same = new Uint8Array(20);
  assert.throws(() => b.rc4!(st, same, 0, same, 2, 10), /overlaps/);
  assert.throws(() => b.sha1!(new Uint8Array(4), 5, new Uint8Array(20), 0), /sha1/);
  assert.throws(() => b.sha1!(new Uint8Array(4), 4, new Uint8Array(20), 1), /outside/);
  assert.throws(() => b.rc4KeyChange!(st, new Uint8Array(72), 72, new Uint8Array(8), 16, 0), /rc4KeyChange/);
  assert.throws(() => b.rc4KeyChange!(st, new Uint8Array(72), 73, new Uint8Array(16), 16, 0), /rc4KeyChange/);
  assert.throws(() => b.rc4KeyChange!(st, new Uint8Array(56), 56, new Uint8Array(8), 8, 4), /rc4KeyChange/);
});

test('MPPE stateless with native primitives, fused key change and composed → identical packets', { skip }, () => {
  const composed: MppePrimitives = { name: 'composed', createRc4: N.createRc4, sha1Into: N.sha1Into };
  assert.ok(N.keyChange, 'the addon offers the fused key change');
  for (const strength of [40, 56, 128] as const) {
    const keys = mppeStartKeys({ kind: 'mschap-v2', masterKey: new Uint8Array(16).fill(0x11) }, strength, 'server');
    const a = new MppeEncrypter(keys.send, { strength, stateless: true, primitives: N });
    const b = new MppeEncrypter(keys.send, { strength, stateless: true, primitives: composed });
    for (let k = 0; k < 300; k++) {
      const p = Uint8Array.from({ length: 60 }, (_, i) => i ^ k);
      const wa = new Uint8Array(62);
      const wb = new Uint8Array(62);
      a.encrypt(p, wa, 0);
      b.encrypt(p, wb, 0);
      assert.equal(toHex(wa), toHex(wb), `MPPE-${strength} packet ${k}`);
    }
    assert.equal(toHex(a.sessionKey), toHex(b.sessionKey));
  }
});

for (const strength of [40, 56, 128] as const) {
  for (const stateless of [true, false]) {
    test(`MPPE-${strength} ${stateless ? 'stateless' : 'stateful'}: native and TypeScript primitives → identical packets both ways, across loss and resets`, { skip }, () => {
      const keys = mppeStartKeys({ kind: 'mschap-v2', masterKey: new Uint8Array(16).fill(0x3c) }, strength, 'client');
      const encN = new MppeEncrypter(keys.send, { strength, stateless, primitives: N });
      const encT = new MppeEncrypter(keys.send, { strength, stateless });
      // Decrypt what the TypeScript side sent with native primitives, and the reverse.
      const decN = new MppeDecrypter(keys.send, { strength, stateless, primitives: N });
      const decT = new MppeDecrypter(keys.send, { strength, stateless });
      for (let k = 0; k < 700; k++) {
        const len = 3 + ((k * 131) % 1450);
        const payload = new Uint8Array(len);
        payload[0] = 0x00;
        payload[1] = 0x21;
        payload[2] = 0x45;
        for (let i = 3; i < len; i++) payload[i] = (i * 7 + k) & 0xff;
        if (k % 97 === 50) {
          encN.onResetRequest();
          encT.onResetRequest();
        }
        const wN = new Uint8Array(len + 2);
        const wT = new Uint8Array(len + 2);
        assert.equal(encN.encrypt(payload, wN, 0), len + 2);
        encT.encrypt(payload, wT, 0);
        assert.equal(toHex(wN), toHex(wT), `packet ${k}`);
        if (k % 41 === 7) continue; // lost on the way: both receivers skip it
        const oN = new Uint8Array(len);
        const oT = new Uint8Array(len);
        const rN = decN.decrypt(wT, oN, 0);
        const rT = decT.decrypt(wN, oT, 0);
        assert.deepEqual(rN, rT, `verdict of packet ${k}`);
        if (!isMppeDrop(rN)) {
          assert.equal(toHex(oN), toHex(payload), `plaintext of packet ${k}`);
          assert.equal(toHex(oT), toHex(payload));
        }
        if (decN.takeResetRequest()) {
          assert.equal(decT.takeResetRequest(), true);
          encN.onResetRequest();
          encT.onResetRequest();
        }
      }
      assert.deepEqual(decN.stats, decT.stats);
      assert.ok(decN.stats.packets > 550, `${decN.stats.packets} packets decrypted`);
    });
  }
}

test('TUNPPP_MPPE_NATIVE=0 → the TypeScript primitives are used', () => {
  const saved = process.env['TUNPPP_MPPE_NATIVE'];
  process.env['TUNPPP_MPPE_NATIVE'] = '0';
  try {
    resetNativeMppePrimitivesForTesting();
    assert.equal(nativeMppePrimitives(), undefined);
  } finally {
    if (saved === undefined) delete process.env['TUNPPP_MPPE_NATIVE'];
    else process.env['TUNPPP_MPPE_NATIVE'] = saved;
    resetNativeMppePrimitivesForTesting();
  }
  assert.equal(nativeMppePrimitives()?.name, native?.name);
});
