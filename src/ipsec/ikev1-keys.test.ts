import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createCipheriv } from 'node:crypto';
import fc from 'fast-check';
import { fromHex, toHex } from '../wire/hex.js';
import { PROTO } from './constants.js';
import { decryptIkeBody, encryptIkeBody, ikeCipher } from './ikev1-cipher.js';
import {
  deriveSkeyids, hashI, hashR, keymat, natDetectionHash, phase1EncryptionKey, phase1Iv, phase2Iv,
  quickModeHash1, quickModeHash2, quickModeHash3, skeyidPsk, type IkeHash,
} from './ikev1-keys.js';

interface Vectors {
  inputs: Record<string, string | number>;
  cases: (Record<string, string> & { hash: IkeHash })[];
}
// Computed by test/fixtures/vectors/ikev1-keys.py (Python hashlib/hmac, written from RFC 2409 independently of this code).
const V = JSON.parse(readFileSync(new URL('../../test/fixtures/vectors/ikev1-keys.json', import.meta.url), 'utf8')) as Vectors;
const I = (k: string): Uint8Array => fromHex(String(V.inputs[k]));

for (const c of V.cases) {
  test(`RFC 2409 derivations with ${c.hash}: SKEYID…, key expansion, IVs, HASH_I/R, Quick Mode hashes, KEYMAT, NAT-D match the Python reference`, () => {
    const h = c.hash;
    const skeyid = skeyidPsk(h, I('psk'), I('ni'), I('nr'));
    const s = deriveSkeyids(h, skeyid, I('gxy'), I('ckyI'), I('ckyR'));
    assert.equal(toHex(s.skeyid), c.skeyid);
    assert.equal(toHex(s.d), c.skeyidD);
    assert.equal(toHex(s.a), c.skeyidA);
    assert.equal(toHex(s.e), c.skeyidE);
    assert.equal(toHex(phase1EncryptionKey(h, s.e, 16)), c.encKey16);
    assert.equal(toHex(phase1EncryptionKey(h, s.e, 24)), c.encKey24);
    assert.equal(toHex(phase1EncryptionKey(h, s.e, 32)), c.encKey32);
    assert.equal(toHex(phase1Iv(h, I('gxi'), I('gxr'), 16)), c.phase1Iv16);
    assert.equal(toHex(phase1Iv(h, I('gxi'), I('gxr'), 8)), c.phase1Iv8);
    assert.equal(toHex(hashI(h, skeyid, I('gxi'), I('gxr'), I('ckyI'), I('ckyR'), I('saiB'), I('idiiB'))), c.hashI);
    assert.equal(toHex(hashR(h, skeyid, I('gxi'), I('gxr'), I('ckyI'), I('ckyR'), I('saiB'), I('idirB'))), c.hashR);
    const mid = Number(V.inputs.messageId);
    assert.equal(toHex(phase2Iv(h, I('lastPhase1Block'), mid, 16)), c.phase2Iv16);
    assert.equal(toHex(quickModeHash1(h, s.a, mid, I('qmAfterHash1'))), c.qmHash1);
    assert.equal(toHex(quickModeHash2(h, s.a, mid, I('niB'), I('qmAfterHash2'))), c.qmHash2);
    assert.equal(toHex(quickModeHash3(h, s.a, mid, I('niB'), I('nrB'))), c.qmHash3);
    assert.equal(toHex(keymat(h, s.d, PROTO.IPSEC_ESP, I('espSpi'), I('niB'), I('nrB'), 36)), c.keymat36);
    assert.equal(toHex(keymat(h, s.d, PROTO.IPSEC_ESP, I('espSpi'), I('niB'), I('nrB'), 64, I('gqmxy'))), c.keymat64Pfs);
    assert.equal(toHex(natDetectionHash(h, I('ckyI'), I('ckyR'), I('natAddress'), Number(V.inputs.natPort))), c.natD);
  });
}

test('ikeCipher: AES key lengths 128/192/256 (128 when absent), 3DES without a key length, others refused', () => {
  assert.equal(ikeCipher(7)?.keyBytes, 16);
  assert.equal(ikeCipher(7, 256)?.openssl, 'aes-256-cbc');
  assert.equal(ikeCipher(7, 64), undefined);
  assert.equal(ikeCipher(5)?.blockBytes, 8);
  assert.equal(ikeCipher(5, 192), undefined);
  assert.equal(ikeCipher(1), undefined);
});

test('encryptIkeBody: pads to the block, chains the IV from the last ciphertext block; decrypt inverts it', () => {
  fc.assert(
    fc.property(fc.constantFrom(ikeCipher(7, 128)!, ikeCipher(7, 256)!, ikeCipher(5)!), fc.uint8Array({ minLength: 1, maxLength: 100 }), (c, plain) => {
      const key = new Uint8Array(c.keyBytes).fill(3);
      const iv = new Uint8Array(c.blockBytes).fill(4);
      const enc = encryptIkeBody(c, key, iv, plain);
      assert.equal(enc.bytes.length % c.blockBytes, 0);
      assert.ok(enc.bytes.length - plain.length < c.blockBytes);
      assert.equal(toHex(enc.nextIv), toHex(enc.bytes.subarray(enc.bytes.length - c.blockBytes)));
      // Independent CBC from node directly, same padded plaintext.
      const padded = new Uint8Array(enc.bytes.length);
      padded.set(plain);
      if (padded.length > plain.length) padded[padded.length - 1] = padded.length - plain.length - 1;
      const ref = createCipheriv(c.openssl, key, iv).setAutoPadding(false);
      assert.equal(toHex(enc.bytes), toHex(Buffer.concat([ref.update(padded), ref.final()])));
      const dec = decryptIkeBody(c, key, iv, enc.bytes)!;
      assert.equal(toHex(dec.bytes.subarray(0, plain.length)), toHex(plain));
      assert.equal(toHex(dec.nextIv), toHex(enc.nextIv));
    }),
    { numRuns: 100 },
  );
  assert.equal(decryptIkeBody(ikeCipher(7)!, new Uint8Array(16), new Uint8Array(16), new Uint8Array(15)), undefined);
  assert.equal(decryptIkeBody(ikeCipher(7)!, new Uint8Array(16), new Uint8Array(16), new Uint8Array(0)), undefined);
});
