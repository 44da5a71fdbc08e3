import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { seededRng } from '../core/rng.js';
import { fromHex, toHex } from '../wire/hex.js';
import { dhGenerate, dhGroup, dhKeyPairFromPrivate, dhSharedSecret, modpPrime } from './dh.js';

interface DhVectors {
  modp: Record<string, string>;
  ecp: Record<string, Record<'i' | 'gix' | 'giy' | 'r' | 'grx' | 'gry' | 'girx' | 'giry', string>>;
}
const V = JSON.parse(readFileSync(new URL('../../test/fixtures/vectors/dh-groups.json', import.meta.url), 'utf8')) as DhVectors;

test('MODP groups 2, 5, 14: the primes are the RFC 2409 §6.2 / RFC 3526 §2, §3 ones', () => {
  for (const g of [2, 5, 14]) assert.equal(toHex(modpPrime(g)!), V.modp[String(g)], `group ${g}`);
});

for (const g of ['19', '20'] as const) {
  test(`ECP group ${g}: RFC 5903 §8 vectors — public keys x|y and shared secret x`, () => {
    const v = V.ecp[g]!;
    const i = dhKeyPairFromPrivate(Number(g), fromHex(v.i))!;
    const r = dhKeyPairFromPrivate(Number(g), fromHex(v.r))!;
    assert.equal(toHex(i.publicKey), v.gix + v.giy);
    assert.equal(toHex(r.publicKey), v.grx + v.gry);
    assert.equal(toHex(dhSharedSecret(i, r.publicKey)!), v.girx);
    assert.equal(toHex(dhSharedSecret(r, i.publicKey)!), v.girx);
  });
}

test('every group: both sides agree, lengths are the group sizes', () => {
  for (const g of [2, 5, 14, 19, 20]) {
    const info = dhGroup(g)!;
    const a = dhGenerate(g, seededRng(g));
    const b = dhGenerate(g, seededRng(g + 100));
    assert.equal(a.publicKey.length, info.publicBytes);
    const s1 = dhSharedSecret(a, b.publicKey)!;
    const s2 = dhSharedSecret(b, a.publicKey)!;
    assert.equal(s1.length, info.secretBytes);
    assert.equal(toHex(s1), toHex(s2));
  }
  assert.equal(dhGroup(1), undefined);
  assert.equal(dhGroup(2)!.weak, true);
});

/** g^x mod p with BigInt: an implementation independent of OpenSSL. */
function modPow(base: bigint, exp: bigint, m: bigint): bigint {
  let r = 1n;
  let b = base % m;
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) r = (r * b) % m;
    b = (b * b) % m;
  }
  return r;
}
const big = (b: Uint8Array): bigint => BigInt('0x' + (toHex(b) || '0'));

test('MODP: public keys and shared secrets match a BigInt computation, padded to the prime length (contexts reused)', () => {
  for (const g of [2, 5, 14]) {
    const p = big(modpPrime(g)!);
    const bytes = dhGroup(g)!.publicBytes;
    for (let s = 0; s < 3; s++) {
      const a = dhGenerate(g, seededRng(s));
      const b = dhGenerate(g, seededRng(s + 50));
      assert.equal(toHex(a.publicKey), modPow(2n, big(a.privateKey), p).toString(16).padStart(bytes * 2, '0'));
      const k = dhSharedSecret(a, b.publicKey)!;
      assert.equal(toHex(k), modPow(big(b.publicKey), big(a.privateKey), p).toString(16).padStart(bytes * 2, '0'));
    }
  }
  // A peer value whose secret starts with a zero byte keeps the prime length: x = 1 gives g^xy = peer value.
  const one = new Uint8Array(32);
  one[31] = 1;
  const a = dhKeyPairFromPrivate(2, one)!;
  const peer = new Uint8Array(128);
  peer[1] = 5;
  assert.equal(toHex(dhSharedSecret(a, peer)!), toHex(peer));
});

test('hostile peer values: wrong length, 0, 1, p-1, p, off-curve points → undefined, no throw', () => {
  const a = dhGenerate(14, seededRng(1));
  const p = modpPrime(14)!;
  const pMinus1 = p.slice();
  pMinus1[255]! -= 1;
  const one = new Uint8Array(256);
  one[255] = 1;
  for (const bad of [new Uint8Array(255), new Uint8Array(257), new Uint8Array(256), one, pMinus1, p, new Uint8Array(256).fill(0xff)]) {
    assert.equal(dhSharedSecret(a, bad), undefined);
  }
  const two = new Uint8Array(256);
  two[255] = 2;
  assert.ok(dhSharedSecret(a, two));
  const e = dhGenerate(19, seededRng(1));
  assert.equal(dhSharedSecret(e, new Uint8Array(64)), undefined);
  assert.equal(dhSharedSecret(e, new Uint8Array(64).fill(1)), undefined);
  assert.equal(dhSharedSecret(e, new Uint8Array(65)), undefined);
  assert.equal(dhKeyPairFromPrivate(19, new Uint8Array(32)), undefined);
  assert.equal(dhKeyPairFromPrivate(19, new Uint8Array(32).fill(0xff)), undefined);
});
