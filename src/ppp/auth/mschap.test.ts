import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../wire/hex.js';
import {
  challengeHash, challengeResponse, chapMd5Response, generateAuthenticatorResponseFromHashHash, generateNtResponse,
  hashNtPasswordHash, lmPasswordHash, ntPasswordHash, stripDomain, utf16le, utf8,
} from './mschap.js';
import { secretBackend, verifyWithSecret } from './verify.js';
import type { VerifyRequest } from './types.js';
import { mppeStartKeys } from '../mppe/keys.js';
import {
  loadVector, normHex, type ChapMd5Vectors, type ChapcrackVectors, type DesKeyExample, type MsChapV1Vectors, type MsChapV2Vectors,
} from '../../../test/fixtures/vectors/vectors.js';

const v2 = loadVector<MsChapV2Vectors>('rfc2759-mschapv2.json');

test('mschap-v2: RFC 2759 §9.2 → ChallengeHash, hashes, NT-Response, S= reproduce', () => {
  const user = fromHex(v2.UserName);
  const ac = fromHex(v2.AuthenticatorChallenge);
  const pc = fromHex(v2.PeerChallenge);
  assert.equal(toHex(utf16le(v2.Password_ascii)), '63006c00690065006e0074005000610073007300');
  assert.equal(toHex(challengeHash(pc, ac, user)), normHex(v2.Challenge));
  const hash = ntPasswordHash(v2.Password_ascii);
  assert.equal(toHex(hash), normHex(v2.PasswordHash));
  assert.equal(toHex(hashNtPasswordHash(hash)), normHex(v2.PasswordHashHash));
  const nt = generateNtResponse(ac, pc, user, v2.Password_ascii);
  assert.equal(toHex(nt), normHex(v2['NT-Response']));
  assert.equal(generateAuthenticatorResponseFromHashHash(hashNtPasswordHash(hash), nt, pc, ac, user), v2.AuthenticatorResponse);
});

test('mschap-v2: a DOMAIN\\ prefix → not part of ChallengeHash (RFC 2759 §8.2)', () => {
  const ac = fromHex(v2.AuthenticatorChallenge);
  const pc = fromHex(v2.PeerChallenge);
  assert.deepEqual(challengeHash(pc, ac, utf8('BIGCO\\User')), fromHex(v2.Challenge));
  assert.deepEqual(stripDomain(utf8('a\\b\\c')), utf8('c'));
});

test('mschap-v1: RFC 2433 B.2 → NtPasswordHash and NT challenge response reproduce', () => {
  const v = loadVector<MsChapV1Vectors>('rfc2433-mschapv1.json');
  const hash = ntPasswordHash(v.Password_ascii);
  assert.equal(toHex(hash), normHex(v.NtPasswordHash));
  assert.equal(toHex(challengeResponse(fromHex(v.Challenge), hash)), normHex(v.NtChallengeResponse));
});

test('mschap: RFC 2759 §9.3 PasswordHash of "MyPw" → the UTF-16LE form is hashed', () => {
  const v = loadVector<DesKeyExample>('rfc2759-des-key-example.json');
  assert.equal(toHex(ntPasswordHash('MyPw')), normHex(v.PasswordHash));
  assert.equal(toHex(utf16le('MyPw')), normHex(v.Password_utf16le));
});

test('mschap-v1: LmPasswordHash("clientPass") → RFC 3079 §2.5.1 value; > 14 chars → undefined', () => {
  assert.equal(toHex(lmPasswordHash('clientPass')!), '76a152936096d7830e23902274 04afd2'.replace(' ', ''));
  assert.equal(lmPasswordHash('x'.repeat(15)), undefined);
});

test('chap-md5: computed cases → MD5(id | secret | challenge) matches', () => {
  const v = loadVector<ChapMd5Vectors>('rfc1994-chap-md5-computed.json');
  for (const c of v.cases) assert.equal(toHex(chapMd5Response(c.identifier, utf8(c.secret), fromHex(c.challenge))), normHex(c.response), c.name);
});

const cc = loadVector<ChapcrackVectors>('pcap-chapcrack-mschapv2.json');

function v2Request(h: ChapcrackVectors['handshakes'][number]): VerifyRequest {
  const rv = fromHex(h.ResponseValue);
  return {
    requestId: 1, protocol: 'mschap-v2', username: cc.username, usernameBytes: utf8(cc.username), authenticatorName: cc.authenticator_name,
    proof: { protocol: 'mschap-v2', authenticatorChallenge: fromHex(h.AuthenticatorChallenge), peerChallenge: rv.slice(0, 16), ntResponse: rv.slice(24, 48), flags: rv[48]! },
  };
}

test('verify: chapcrack pptp.cap MS-CHAPv2 exchange with the known password → success and the captured S=', () => {
  const h = cc.handshakes[0]!;
  assert.equal(h.password_known, true);
  const req = v2Request(h);
  assert.equal(toHex((req.proof as { peerChallenge: Uint8Array }).peerChallenge), normHex(h.PeerChallenge));
  const verdict = verifyWithSecret(req, cc.password);
  assert.equal(verdict.ok, true);
  assert.ok(verdict.ok);
  assert.equal(verdict.authenticatorResponse, h.AuthenticatorResponse);
  assert.equal(`${verdict.authenticatorResponse} M=Access granted`, h.SuccessMessage);
  assert.equal(verdict.keyMaterial?.kind, 'mschap-v2');
  const k = mppeStartKeys(verdict.keyMaterial!, 128, 'server');
  assert.equal(k.send.length, 16);
  assert.notDeepEqual(k.send, k.recv);
});

test('verify: chapcrack exchange with a wrong password, or the second capture → 691 failure', () => {
  assert.deepEqual(verifyWithSecret(v2Request(cc.handshakes[0]!), 'wrong'), { ok: false, code: 691 });
  assert.equal(verifyWithSecret(v2Request(cc.handshakes[1]!), cc.password).ok, false);
});

test('verify: PAP and CHAP-MD5 → right secret accepted, wrong refused', () => {
  const pap: VerifyRequest = { requestId: 1, protocol: 'pap', username: 'u', usernameBytes: utf8('u'), authenticatorName: '', proof: { protocol: 'pap', password: utf8('pässword') } };
  assert.equal(verifyWithSecret(pap, 'pässword').ok, true);
  assert.equal(verifyWithSecret(pap, 'password').ok, false);
  const ch = fromHex('0123456789ABCDEFFEDCBA9876543210');
  const md5: VerifyRequest = { ...pap, protocol: 'chap-md5', proof: { protocol: 'chap-md5', identifier: 1, challenge: ch, response: fromHex('C09F6861AD280FB0A722A411A2FBBA8C') } };
  assert.equal(verifyWithSecret(md5, 'secret').ok, true);
  assert.equal(verifyWithSecret(md5, 'Secret').ok, false);
});

test('verify: MS-CHAPv1 with NT flag and with LM-only flag → both checked; LM key only when the peer sent an LM response', () => {
  const v = loadVector<MsChapV1Vectors>('rfc2433-mschapv1.json');
  const ch = fromHex(v.Challenge);
  const base = { requestId: 1, protocol: 'mschap-v1' as const, username: 'u', usernameBytes: utf8('u'), authenticatorName: '' };
  const nt: VerifyRequest = { ...base, proof: { protocol: 'mschap-v1', challenge: ch, lmResponse: new Uint8Array(24), ntResponse: fromHex(v.NtChallengeResponse), useNtResponse: true } };
  const ok = verifyWithSecret(nt, 'MyPw');
  // Zero LM-Response (pppd, our client) → 40/56-bit keys from the NT hash, as pppd derives them.
  assert.ok(ok.ok && ok.keyMaterial?.kind === 'mschap-v1' && ok.keyMaterial.lmKey === undefined);
  // Windows sends both responses with flag 1 → RFC 3079 §2.1 LM-derived 40/56-bit keys.
  const both: VerifyRequest = { ...base, proof: { ...nt.proof, lmResponse: challengeResponse(ch, lmPasswordHash('MyPw')!) } as typeof nt.proof };
  const win = verifyWithSecret(both, 'MyPw');
  assert.ok(win.ok && win.keyMaterial?.kind === 'mschap-v1');
  assert.deepEqual(win.keyMaterial.lmKey, lmPasswordHash('MyPw')!.subarray(0, 8));
  assert.equal(verifyWithSecret(nt, 'mypw').ok, false);
  const lm: VerifyRequest = { ...base, proof: { protocol: 'mschap-v1', challenge: ch, lmResponse: challengeResponse(ch, lmPasswordHash('MyPw')!), ntResponse: new Uint8Array(24), useNtResponse: false } };
  assert.equal(verifyWithSecret(lm, 'mypw').ok, true, 'LM is case-insensitive');
});

test('verify: wrong proof sizes → failure, never a throw', () => {
  const bad: VerifyRequest = { requestId: 1, protocol: 'mschap-v2', username: 'u', usernameBytes: utf8('u'), authenticatorName: '',
    proof: { protocol: 'mschap-v2', authenticatorChallenge: new Uint8Array(3), peerChallenge: new Uint8Array(16), ntResponse: new Uint8Array(24), flags: 0 } };
  assert.equal(verifyWithSecret(bad, 'x').ok, false);
});

test('secretBackend: known user → verified with its secret; unknown user → the same 691 as a wrong password', () => {
  const b = secretBackend((u) => (u === 'moxie' ? cc.password : undefined));
  const ok = b.verify(v2Request(cc.handshakes[0]!));
  assert.ok(!(ok instanceof Promise) && ok.ok && ok.authenticatorResponse === cc.handshakes[0]!.AuthenticatorResponse);
  const none = secretBackend(() => undefined).verify(v2Request(cc.handshakes[0]!));
  assert.deepEqual(none, { ok: false, code: 691 });
});
