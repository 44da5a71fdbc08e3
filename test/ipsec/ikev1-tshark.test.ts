/**
 * The strongest check of our IKEv1 key derivation: tshark, given only the
 * cookies and our Phase 1 encryption key (its ikev1_decryption_table UAT),
 * computes the IVs itself from the KE payloads and decrypts Main Mode 5/6 and
 * the first Quick Mode message, showing the ID and HASH payloads inside;
 * for the scripted exchange and for our initiator and responder machines.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex } from '../../src/wire/hex.js';
import { LINKTYPE, udpIpv4Packet } from '../../src/wire/pcap.js';
import { DH_GROUP, P1_ENCR, P1_HASH } from '../../src/ipsec/constants.js';
import { seededRng } from '../../src/core/rng.js';
import { MainModeInitiator } from '../../src/ipsec/main-mode-initiator.js';
import { MainModeResponder } from '../../src/ipsec/main-mode-responder.js';
import { DEFAULT_PHASE1_POLICY } from '../../src/ipsec/phase1-proposals.js';
import { dissect, fields, tsharkSkipReason } from '../helpers/tshark.js';
import { scriptedMainMode, type ScriptSuite } from './main-mode-script.js';

const SUITES: [string, ScriptSuite][] = [
  ['AES-256 / SHA1 / MODP2048 (key expanded past SKEYID_e)', { encryption: P1_ENCR.AES_CBC, keyLengthBits: 256, hash: P1_HASH.SHA1, group: DH_GROUP.MODP_2048 }],
  ['AES-128 / SHA2-256 / ECP256', { encryption: P1_ENCR.AES_CBC, keyLengthBits: 128, hash: P1_HASH.SHA2_256, group: DH_GROUP.ECP_256 }],
  ['AES-256 / SHA2-384 / ECP384', { encryption: P1_ENCR.AES_CBC, keyLengthBits: 256, hash: P1_HASH.SHA2_384, group: DH_GROUP.ECP_384 }],
  ['3DES / MD5 / MODP1024', { encryption: P1_ENCR['3DES_CBC'], hash: P1_HASH.MD5, group: DH_GROUP.MODP_1024 }],
  ['AES-128 / SHA1 / MODP1536', { encryption: P1_ENCR.AES_CBC, keyLengthBits: 128, hash: P1_HASH.SHA1, group: DH_GROUP.MODP_1536 }],
];

for (const [name, suite] of SUITES) {
  test(`tshark decrypts our Main Mode 5/6 and Quick Mode 1: ${name}`, { skip: tsharkSkipReason() }, () => {
    const x = scriptedMainMode(suite);
    const records = x.messages.map((m, i) => ({ timeMs: i, bytes: udpIpv4Packet(m.fromInitiator ? '10.0.0.2' : '10.0.0.1', m.fromInitiator ? '10.0.0.1' : '10.0.0.2', 500, 500, m.bytes) }));
    // Hex fields of a UAT record go unquoted.
    const uat = `uat:ikev1_decryption_table:${toHex(x.initiatorCookie)},${toHex(x.encryptionKey)}`;
    const { frames, problems } = dissect(LINKTYPE.RAW, records, ['-o', uat, '--no-duplicate-keys']);
    assert.deepEqual(problems, []);
    assert.equal(frames.length, 7);
    const all = (i: number, f: string): string[] => fields(frames[i]!, f).flat(3).map(String);
    // Message 5: IDii 10.0.0.2 and HASH_I; message 6: IDir 10.0.0.1 and HASH_R, both decrypted by tshark.
    assert.deepEqual(all(4, 'isakmp.id.data.ipv4_addr'), ['10.0.0.2']);
    assert.deepEqual(all(5, 'isakmp.id.data.ipv4_addr'), ['10.0.0.1']);
    const hash5 = x.decrypted[0]!.find((p) => p.kind === 'hash') as { data: Uint8Array };
    assert.deepEqual(all(4, 'isakmp.hash').map((s) => s.replaceAll(':', '')), [toHex(hash5.data)]);
    assert.equal(all(5, 'isakmp.hash').length, 1);
    // Quick Mode 1: tshark derived the Phase 2 IV itself and sees the L2TP traffic selectors.
    assert.deepEqual(all(6, 'isakmp.id.port').map(Number), [1701, 1701]);
    assert.deepEqual(all(6, 'isakmp.ipsec.attr.encap_mode').map(Number), [4]);
  });
}

test('tshark decrypts a Main Mode between our initiator and responder machines (ECP384, Windows first choice)', { skip: tsharkSkipReason() }, () => {
  const ip = (s: string): Uint8Array => Uint8Array.from(s.split('.').map(Number));
  const client = { address: ip('10.0.0.2'), port: 500 };
  const server = { address: ip('10.0.0.1'), port: 500 };
  const psk = new TextEncoder().encode('machine psk');
  const ini = new MainModeInitiator({ psk, suites: [{ encryption: P1_ENCR.AES_CBC, keyLengthBits: 256, hash: P1_HASH.SHA1, group: DH_GROUP.ECP_384 }], lifetimeSeconds: 28800, local: client, remote: server }, seededRng(1));
  const res = new MainModeResponder({ psk, policy: DEFAULT_PHASE1_POLICY, local: server, remote: client }, seededRng(2));
  const records: { timeMs: number; bytes: Uint8Array }[] = [];
  let pending = ini.handle({ type: 'start' }, 0);
  let toResponder = true;
  for (let i = 0; i < 6; i++) {
    const sent = pending.find((o) => o.kind === 'send');
    assert.ok(sent && sent.kind === 'send', `step ${i}`);
    records.push({ timeMs: i, bytes: udpIpv4Packet(toResponder ? '10.0.0.2' : '10.0.0.1', toResponder ? '10.0.0.1' : '10.0.0.2', 500, 500, sent.bytes) });
    pending = toResponder ? res.handle({ type: 'packet', bytes: sent.bytes }, i) : ini.handle({ type: 'packet', bytes: sent.bytes }, i);
    toResponder = !toResponder;
  }
  assert.equal(ini.state, 'MAIN_I4');
  assert.equal(res.state, 'MAIN_R3');
  const uat = `uat:ikev1_decryption_table:${toHex(ini.initiatorCookie)},${toHex(res.sa!.encKey)}`;
  const { frames, problems } = dissect(LINKTYPE.RAW, records, ['-o', uat, '--no-duplicate-keys']);
  assert.deepEqual(problems, []);
  const all = (i: number, f: string): string[] => fields(frames[i]!, f).flat(3).map(String);
  assert.deepEqual(all(4, 'isakmp.id.data.ipv4_addr'), ['10.0.0.2']);
  assert.deepEqual(all(4, 'isakmp.notify.msgtype').map(Number), [24578]);
  assert.deepEqual(all(5, 'isakmp.id.data.ipv4_addr'), ['10.0.0.1']);
  assert.equal(all(5, 'isakmp.hash').length, 1);
});
