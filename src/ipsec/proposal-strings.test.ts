import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DH_GROUP, ESP_TRANSFORM, P2_AUTH } from './constants.js';
import { DEFAULT_ESP_POLICY } from './esp-proposals.js';
import { phase1SuiteName, DEFAULT_PHASE1_SUITES } from './phase1-proposals.js';
import { parseEspProposals, parseIkeProposals } from './proposal-strings.js';
import { espSuite } from './esp.js';

const names = (v: string): string[] => {
  const r = parseIkeProposals(v);
  assert.ok(r.ok, JSON.stringify(r));
  return r.suites.map(phase1SuiteName);
};

test('ike=: strongSwan client-guide and hwdsl2 (libreswan) lines', () => {
  assert.deepEqual(names('aes128-sha1-modp2048!'), ['aes128-sha1-modp2048']);
  assert.deepEqual(names('aes256-aes128-sha256-sha1-ecp384'), ['aes256-sha256-ecp384', 'aes256-sha1-ecp384', 'aes128-sha256-ecp384', 'aes128-sha1-ecp384']);
  // hwdsl2/setup-ipsec-vpn: libreswan syntax, groups after ';', none means MODP2048 and MODP1536.
  assert.deepEqual(names('aes256-sha2,aes128-sha2,aes256-sha1,aes128-sha1,aes256-sha2;modp1024,aes128-sha1;modp1024'), [
    'aes256-sha256-modp2048', 'aes256-sha256-modp1536', 'aes128-sha256-modp2048', 'aes128-sha256-modp1536',
    'aes256-sha1-modp2048', 'aes256-sha1-modp1536', 'aes128-sha1-modp2048', 'aes128-sha1-modp1536',
    'aes256-sha256-modp1024', 'aes128-sha1-modp1024',
  ]);
  assert.deepEqual(names('3des-sha1-modp1024, aes-sha2_512-dh20'), ['3des-sha1-modp1024', 'aes128-sha512-ecp384']);
  // Every suite of hwdsl2's line is admitted by our default allow-list.
  const all = [...names('aes256-sha2,aes128-sha2,aes256-sha1,aes128-sha1,aes256-sha2;modp1024,aes128-sha1;modp1024')];
  for (const n of all) assert.ok(DEFAULT_PHASE1_SUITES.map(phase1SuiteName).includes(n), n);
});

test('ike=: unknown or misplaced names are errors that name them', () => {
  assert.deepEqual(parseIkeProposals('aes256-sha1-modp4096'), { ok: false, error: "unknown or unsupported algorithm 'modp4096' in 'aes256-sha1-modp4096'" });
  assert.deepEqual(parseIkeProposals('aes256-modp2048'), { ok: false, error: "'aes256-modp2048' needs an encryption and a hash (e.g. aes256-sha1-modp2048)" });
  assert.match((parseIkeProposals('aes128gcm16-sha256-modp2048') as { error: string }).error, /for ESP, not IKEv1/);
  assert.equal(parseIkeProposals('').ok, false);
  assert.match((parseIkeProposals('aes256--sha1') as { error: string }).error, /empty algorithm name/);
});

test('esp=/phase2alg=: strongSwan and hwdsl2 lines, GCM without integrity, PFS groups', () => {
  const r = parseEspProposals('aes_gcm-null,aes128-sha1,aes256-sha1,aes256-sha2_512,aes128-sha2,aes256-sha2');
  assert.ok(r.ok, JSON.stringify(r));
  const suites = r.suites.map((s) => espSuite(s.suite.transformId, s.suite.keyLengthBits, s.suite.auth)!.name);
  assert.deepEqual(suites, ['aes128gcm16', 'aes128-sha1', 'aes256-sha1', 'aes256-sha512', 'aes128-sha256', 'aes256-sha256']);
  for (const s of r.suites) assert.ok(DEFAULT_ESP_POLICY.suites.some((d) => d.transformId === s.suite.transformId && d.keyLengthBits === s.suite.keyLengthBits && d.auth === s.suite.auth), JSON.stringify(s));
  const pfs = parseEspProposals('aes128gcm16-modp2048,aes128-sha1!');
  assert.ok(pfs.ok);
  assert.deepEqual(pfs.suites, [
    { suite: { transformId: ESP_TRANSFORM.AES_GCM_16, keyLengthBits: 128 }, pfsGroup: DH_GROUP.MODP_2048 },
    { suite: { transformId: ESP_TRANSFORM.AES_CBC, keyLengthBits: 128, auth: P2_AUTH.HMAC_SHA1 }, pfsGroup: undefined },
  ]);
  assert.match((parseEspProposals('aes128-md5') as { error: string }).error, /needs an integrity/);
  assert.match((parseEspProposals('aes128') as { error: string }).error, /needs an integrity/);
  assert.match((parseEspProposals('aes192-sha1') as { error: string }).error, /AES-192/);
  assert.match((parseEspProposals('blowfish-sha1') as { error: string }).error, /unknown or unsupported algorithm 'blowfish'/);
});
