import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { fromHex, toHex } from '../../wire/hex.js';
import { getAsymmetricStartKey, getMasterKey, getNewKeyFromSha, getStartKeyV1, initialSessionKey, mppeStartKeys, type MppeKeyMaterial } from './keys.js';
import { rc4 } from '../crypto/rc4.js';
import { MppeEncrypter } from './mppe.js';
import { msChapV1KeyMaterial } from '../auth/mschap.js';
import { loadVector, normHex, type Rfc3079V1Vectors, type Rfc3079V2Vectors } from '../../../test/fixtures/vectors/vectors.js';

const v = loadVector<Rfc3079V2Vectors>('rfc3079-mppe-mschapv2-keys.json');
const strengths = [40, 56, 128] as const;

test('keys: RFC 3079 §3.5 MasterKey from PasswordHashHash and NT-Response', () => {
  assert.equal(toHex(getMasterKey(fromHex(v.PasswordHashHash), fromHex(v.inputs['NT-Response']))), normHex(v.MasterKey));
});

for (const n of strengths) {
  test(`keys: RFC 3079 §3.5 ${n}-bit → server send start key, session key and rc4("test message")`, () => {
    const k = v.keys[n];
    const mat: MppeKeyMaterial = { kind: 'mschap-v2', masterKey: fromHex(v.MasterKey) };
    const server = mppeStartKeys(mat, n, 'server');
    assert.equal(toHex(server.send), normHex(k.SendStartKey));
    const session = initialSessionKey(server.send, n);
    assert.equal(toHex(session), normHex(k.SendSessionKey));
    // 56-bit: the RFC misprints the last octet (58); the vector file holds the computed B8.
    const msg = new TextEncoder().encode(v.rc4_plaintext_ascii);
    assert.equal(toHex(rc4(session, msg)), normHex(k.rc4_test_message));
    // The first stateful MPPE packet is encrypted with the initial session key.
    const out = new Uint8Array(msg.length + 2);
    new MppeEncrypter(server.send, { strength: n, stateless: false }).encrypt(msg, out, 0);
    assert.equal(toHex(out.subarray(2)), normHex(k.rc4_test_message));
    assert.deepEqual([...out.subarray(0, 2)], [0x10, 0x00]);
  });

  test(`keys: ${n}-bit computed receive keys → client send = server recv and vice versa`, () => {
    const c = v.computed_receive_keys.keys[n];
    const mat: MppeKeyMaterial = { kind: 'mschap-v2', masterKey: fromHex(v.MasterKey) };
    const server = mppeStartKeys(mat, n, 'server');
    const client = mppeStartKeys(mat, n, 'client');
    assert.equal(toHex(server.recv), normHex(c.server_recv_StartKey!));
    assert.equal(toHex(client.send), normHex(c.client_send_StartKey!));
    assert.equal(toHex(client.recv), normHex(c.client_recv_StartKey!));
    assert.equal(toHex(initialSessionKey(server.recv, n)), normHex(c.server_recv_SessionKey!));
    assert.equal(toHex(initialSessionKey(client.send, n)), normHex(c.client_send_SessionKey!));
  });
}

test('keys: GetAsymmetricStartKey → server send = client receive, server receive = client send', () => {
  const mk = fromHex(v.MasterKey);
  assert.deepEqual(getAsymmetricStartKey(mk, 16, true, true), getAsymmetricStartKey(mk, 16, false, false));
  assert.deepEqual(getAsymmetricStartKey(mk, 16, false, true), getAsymmetricStartKey(mk, 16, true, false));
});

test('keys: RFC 3079 §2.5 MS-CHAPv1 40/56-bit from the LM hash and 128-bit from GetStartKey', () => {
  const v1 = loadVector<Rfc3079V1Vectors>('rfc3079-mppe-mschapv1-keys.json');
  const lm = fromHex(v1.keys['40'].LmPasswordHash);
  assert.equal(toHex(getNewKeyFromSha(lm, lm, 8)), normHex(v1.keys['40'].SessionKey_after_GetKey8));
  const k128 = v1.keys['128'];
  const start = getStartKeyV1(fromHex(k128.Challenge), fromHex(k128.PasswordHashHash));
  // §2.5.3 Step 3 misprints "ac ca"; the correct value is "ac c1" (Step 4).
  assert.equal(toHex(start), normHex(k128.InitialSessionKey_correct));
  assert.equal(toHex(initialSessionKey(start, 128)), normHex(k128.CurrentSessionKey_after_GetKey));
  // Windows' derivation (the peer sent an LM response).
  const mat = msChapV1KeyMaterial(fromHex(k128.Challenge), 'clientPass', true);
  assert.equal(toHex(initialSessionKey(mppeStartKeys(mat, 40, 'server').send, 40)), normHex(v1.keys['40'].SessionKey_40bit));
  assert.equal(toHex(initialSessionKey(mppeStartKeys(mat, 56, 'client').recv, 56)), normHex(v1.keys['56'].SessionKey_56bit));
  const s = mppeStartKeys(mat, 128, 'server');
  assert.deepEqual(s.send, s.recv, 'v1 uses one key both ways');
  assert.equal(toHex(initialSessionKey(s.send, 128)), normHex(k128.CurrentSessionKey_after_GetKey));
});

/**
 * pppd's MS-CHAPv1 keys, written out independently: pppd/mppe.c mppe_set_chapv1
 * sets SHA1(PasswordHashHash | PasswordHashHash | Challenge) as the key of both
 * directions at every strength; the Linux kernel (ppp_mppe.c) uses its first
 * 8 octets for 40/56-bit, hashes them once with the SHA pads and salts
 * D1 26 9E (40-bit) or D1 (56-bit).
 */
function pppdV1SessionKey(challenge: Uint8Array, passwordHashHash: Uint8Array, bits: 40 | 56): string {
  const start = createHash('sha1').update(passwordHashHash).update(passwordHashHash).update(challenge).digest().subarray(0, 8);
  const key = createHash('sha1').update(start).update(new Uint8Array(40)).update(start).update(new Uint8Array(40).fill(0xf2)).digest().subarray(0, 8);
  key.set(bits === 40 ? [0xd1, 0x26, 0x9e] : [0xd1], 0);
  return toHex(key);
}

test('keys: MS-CHAPv1 40/56-bit for a peer without LM response → pppd\'s NT-derived key (RFC 3079 §2.5.3 inputs)', () => {
  const v1 = loadVector<Rfc3079V1Vectors>('rfc3079-mppe-mschapv1-keys.json');
  const k128 = v1.keys['128'];
  const challenge = fromHex(k128.Challenge);
  const mat = msChapV1KeyMaterial(challenge, 'clientPass');
  assert.equal(mat.kind === 'mschap-v1' && mat.lmKey, undefined);
  assert.equal(toHex((mat as { ntPasswordHashHash: Uint8Array }).ntPasswordHashHash), normHex(k128.PasswordHashHash));
  for (const bits of [40, 56] as const) {
    for (const role of ['server', 'client'] as const) {
      const k = mppeStartKeys(mat, bits, role);
      // The first 8 octets of the RFC's (corrected) InitialSessionKey: a8 94 78 50 cf c0 ac c1.
      assert.equal(toHex(k.send), normHex(k128.InitialSessionKey_correct).slice(0, 16));
      assert.deepEqual(k.send, k.recv);
      assert.equal(toHex(initialSessionKey(k.send, bits)), pppdV1SessionKey(challenge, fromHex(k128.PasswordHashHash), bits));
    }
  }
  // Pinned (Python hashlib): 40-bit d1 26 9e 9d ad b5 0e d0, 56-bit d1 de a0 9d ad b5 0e d0.
  assert.equal(toHex(initialSessionKey(mppeStartKeys(mat, 40, 'server').send, 40)), 'd1269e9dadb50ed0');
  assert.equal(toHex(initialSessionKey(mppeStartKeys(mat, 56, 'server').send, 56)), 'd1dea09dadb50ed0');
  // …and differs from the LM-derived key RFC 3079 §2.5.1 prints for the same password.
  assert.notEqual(toHex(initialSessionKey(mppeStartKeys(mat, 40, 'server').send, 40)), normHex(v1.keys['40'].SessionKey_40bit));
});

test('keys: MS-CHAPv1 without an LM hash (long password) → 40-bit falls back to the NT-derived key', () => {
  const mat = msChapV1KeyMaterial(new Uint8Array(8), 'a-password-longer-than-14', true);
  assert.equal(mat.kind === 'mschap-v1' && mat.lmKey, undefined);
  const k40 = mppeStartKeys(mat, 40, 'server').send;
  const k128 = mppeStartKeys(mat, 128, 'server').send;
  assert.deepEqual(k40, k128.subarray(0, 8));
});

test('keys: RADIUS start-keys → server uses them as given, client swaps them', () => {
  const mat: MppeKeyMaterial = { kind: 'start-keys', serverSend: new Uint8Array(16).fill(1), serverRecv: new Uint8Array(16).fill(2) };
  assert.deepEqual(mppeStartKeys(mat, 128, 'server'), { send: new Uint8Array(16).fill(1), recv: new Uint8Array(16).fill(2) });
  assert.deepEqual(mppeStartKeys(mat, 40, 'client'), { send: new Uint8Array(8).fill(2), recv: new Uint8Array(8).fill(1) });
  assert.throws(() => mppeStartKeys({ ...mat, serverSend: new Uint8Array(4) }, 128, 'server'), /needs/);
});
