import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DH_GROUP, LIFE_TYPE, P1_ATTR, P1_AUTH, P1_ENCR, P1_HASH } from './constants.js';
import { DEFAULT_PHASE1_POLICY, DEFAULT_PHASE1_SUITES, phase1Answer, phase1Offer, phase1SuiteName, selectPhase1 } from './phase1-proposals.js';
import { saAttribute } from './sa-payload.js';

const AES256_SHA1_ECP384 = { encryption: P1_ENCR.AES_CBC, keyLengthBits: 256, hash: P1_HASH.SHA1, group: DH_GROUP.ECP_384 };
const DES3_SHA1_MODP1024 = { encryption: P1_ENCR['3DES_CBC'], hash: P1_HASH.SHA1, group: DH_GROUP.MODP_1024 };

test('default allow-list: every OS family of issue 14 admitted, MD5 not', () => {
  const names = DEFAULT_PHASE1_SUITES.map(phase1SuiteName);
  for (const n of ['aes256-sha1-ecp384', 'aes128-sha1-ecp256', 'aes256-sha1-modp2048', 'aes256-sha256-modp2048', 'aes128-sha1-modp2048', '3des-sha1-modp1024', 'aes128-sha1-modp1024', 'aes128-sha256-modp2048']) assert.ok(names.includes(n), n);
  assert.ok(!names.some((n) => n.includes('md5')));
});

test("selectPhase1: the initiator's order decides; the answer echoes the chosen transform", () => {
  const sa = phase1Offer([{ encryption: P1_ENCR.AES_CBC, keyLengthBits: 128, hash: P1_HASH.MD5, group: 14 }, DES3_SHA1_MODP1024, AES256_SHA1_ECP384], 28800);
  const r = selectPhase1(sa, DEFAULT_PHASE1_POLICY);
  assert.ok(r.ok);
  assert.deepEqual(r.choice.suite, DES3_SHA1_MODP1024);
  assert.equal(r.choice.weak, true);
  assert.deepEqual(phase1Answer(r.choice).proposals[0]!.transforms, [sa.proposals[0]!.transforms[1]]);
});

test('selectPhase1: lifetimes clamped to the policy, default when absent, kilobyte lifetimes ignored', () => {
  const withLife = (secs: number) => phase1Offer([AES256_SHA1_ECP384], secs);
  const pick = (sa: ReturnType<typeof withLife>) => {
    const r = selectPhase1(sa, DEFAULT_PHASE1_POLICY);
    assert.ok(r.ok);
    return r.choice.lifetimeSeconds;
  };
  assert.equal(pick(withLife(10)), 300);
  assert.equal(pick(withLife(10 * 86400)), 86400);
  assert.equal(pick(withLife(3600)), 3600);
  const noLife = withLife(3600);
  const t = noLife.proposals[0]!.transforms[0]!;
  t.attributes = t.attributes.filter((a) => a.type !== P1_ATTR.LIFE_TYPE && a.type !== P1_ATTR.LIFE_DURATION);
  assert.equal(pick(noLife), 28800);
  t.attributes.push(saAttribute(P1_ATTR.LIFE_TYPE, LIFE_TYPE.KILOBYTES), saAttribute(P1_ATTR.LIFE_DURATION, 100000));
  assert.equal(pick(noLife), 28800);
});

test('selectPhase1: XAUTH and RSA offers are refused and named in the offer list', () => {
  const sa = phase1Offer([AES256_SHA1_ECP384, AES256_SHA1_ECP384], 3600);
  sa.proposals[0]!.transforms[0]!.attributes = sa.proposals[0]!.transforms[0]!.attributes.map((a) => (a.type === P1_ATTR.AUTHENTICATION_METHOD ? saAttribute(a.type, P1_AUTH.XAUTH_INIT_PSK) : a));
  sa.proposals[0]!.transforms[1]!.attributes = sa.proposals[0]!.transforms[1]!.attributes.map((a) => (a.type === P1_ATTR.AUTHENTICATION_METHOD ? saAttribute(a.type, P1_AUTH.RSA_SIG) : a));
  const r = selectPhase1(sa, DEFAULT_PHASE1_POLICY);
  assert.deepEqual(r, { ok: false, reason: 'no-proposal-chosen', offered: ['aes256-sha1-ecp384 (auth xauth-psk)', 'aes256-sha1-ecp384 (auth rsasig)'] });
});
