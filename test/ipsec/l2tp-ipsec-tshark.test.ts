/**
 * A whole L2TP/IPsec start between our machines, as a server-side capture
 * would see it behind a client NAT: Main Mode 1-4 on UDP 500, the float to
 * 4500 (non-ESP marker) for Main Mode 5/6 and Quick Mode, then ESP-in-UDP
 * carrying L2TP. tshark decrypts Main Mode 5/6 and Quick Mode with our Phase
 * 1 key and the ESP of both directions with the Quick Mode keys, and finds
 * the L2TP selectors and the L2TP inside. No malformed packet, no warning.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRng } from '../../src/core/rng.js';
import { toHex } from '../../src/wire/hex.js';
import { LINKTYPE, udpIpv4Packet } from '../../src/wire/pcap.js';
import { encodeL2tp } from '../../src/l2tp/header.js';
import { DH_GROUP, ESP_TRANSFORM, P1_ENCR, P1_HASH, P2_AUTH } from '../../src/ipsec/constants.js';
import { EspOutbound, type EspSaKeys } from '../../src/ipsec/esp.js';
import { DEFAULT_ESP_POLICY } from '../../src/ipsec/esp-proposals.js';
import { MainModeInitiator } from '../../src/ipsec/main-mode-initiator.js';
import { MainModeResponder } from '../../src/ipsec/main-mode-responder.js';
import { DEFAULT_PHASE1_POLICY } from '../../src/ipsec/phase1-proposals.js';
import { QuickModeInitiator } from '../../src/ipsec/quick-mode-initiator.js';
import { QuickModeResponder } from '../../src/ipsec/quick-mode-responder.js';
import { encodeIkeOverUdp4500 } from '../../src/ipsec/udp-encap.js';
import type { Output } from '../../src/core/machine.js';
import { dissect, fields, tsharkSkipReason, type TsharkLayers } from '../helpers/tshark.js';
import { BEHIND_NAT } from './phase1-pair.js';

const CLIENT_PUBLIC = '198.51.100.7';
const SERVER = '203.0.113.1';

const all = (f: TsharkLayers, name: string): string[] => fields(f, name).flat(3).map(String);
const sent = (outs: Output<unknown>[]): Uint8Array => {
  const s = outs.find((o) => o.kind === 'send');
  assert.ok(s && s.kind === 'send');
  return s.bytes;
};

for (const [name, suite, encName, authName] of [
  ['aes128gcm16', { transformId: ESP_TRANSFORM.AES_GCM_16, keyLengthBits: 128 }, 'AES-GCM with 16 octet ICV [RFC4106]', 'NULL'],
  ['aes256-sha1 with PFS', { transformId: ESP_TRANSFORM.AES_CBC, keyLengthBits: 256, auth: P2_AUTH.HMAC_SHA1 }, 'AES-CBC [RFC3602]', 'HMAC-SHA-1-96 [RFC2404]'],
] as const) {
  test(`tshark follows our L2TP/IPsec start behind NAT (${name}): Main Mode, float, Quick Mode, ESP with L2TP both ways`, { skip: tsharkSkipReason() }, () => {
    const ends = BEHIND_NAT;
    const psk = new TextEncoder().encode('end to end psk');
    const mmI = new MainModeInitiator({ psk, suites: [{ encryption: P1_ENCR.AES_CBC, keyLengthBits: 256, hash: P1_HASH.SHA2_256, group: DH_GROUP.ECP_256 }], lifetimeSeconds: 28800, local: ends.clientLocal, remote: ends.server }, seededRng(1));
    const mmR = new MainModeResponder({ psk, policy: DEFAULT_PHASE1_POLICY, local: ends.server, remote: ends.clientSeen }, seededRng(2));
    const records: { timeMs: number; bytes: Uint8Array }[] = [];
    // What the server's side of the NAT sees: the client's public address; ports 500 before the float, 4500 after.
    const up = (b: Uint8Array, floated: boolean) => records.push({ timeMs: records.length, bytes: udpIpv4Packet(CLIENT_PUBLIC, SERVER, floated ? 40500 : 31337, floated ? 4500 : 500, floated ? encodeIkeOverUdp4500(b) : b) });
    const down = (b: Uint8Array, floated: boolean) => records.push({ timeMs: records.length, bytes: udpIpv4Packet(SERVER, CLIENT_PUBLIC, floated ? 4500 : 500, floated ? 40500 : 31337, floated ? encodeIkeOverUdp4500(b) : b) });
    let req = sent(mmI.handle({ type: 'start' }, 0));
    for (let i = 0; i < 3; i++) {
      up(req, i === 2);
      const rep = sent(mmR.handle({ type: 'packet', bytes: req }, 0));
      down(rep, i === 2);
      const next = mmI.handle({ type: 'packet', bytes: rep }, 0);
      if (i < 2) req = sent(next);
    }
    assert.equal(mmI.floated, true);
    const pfsGroup = name.includes('PFS') ? DH_GROUP.MODP_2048 : undefined;
    const qmI = new QuickModeInitiator({ p1: mmI.sa!, suites: [suite], ...(pfsGroup ? { pfsGroup } : {}), lifetimeSeconds: 3600, local: ends.clientLocal, remote: ends.server, ourSpi: Uint8Array.of(0xc1, 0x1e, 0x00, 0x01) }, seededRng(3));
    const qmR = new QuickModeResponder({ p1: mmR.sa!, policy: DEFAULT_ESP_POLICY, local: ends.server, remote: ends.clientSeen, ourSpi: Uint8Array.of(0x5e, 0x7e, 0x00, 0x02) }, seededRng(4));
    const q1 = sent(qmI.handle({ type: 'start' }, 0));
    up(q1, true);
    const q2 = sent(qmR.handle({ type: 'packet', bytes: q1 }, 0));
    down(q2, true);
    const q3 = sent(qmI.handle({ type: 'packet', bytes: q2 }, 0));
    up(q3, true);
    qmR.handle({ type: 'packet', bytes: q3 }, 0);
    assert.equal(qmR.state, 'QUICK_R2');
    const client = qmI.child!;
    const server = qmR.child!;
    // L2TP over ESP both ways (transport mode: the ESP payload is UDP 1701 → 1701).
    const l2tp = (tunnelId: number) => udpIpv4Packet('0.0.0.0', '0.0.0.0', 1701, 1701, encodeL2tp({ isControl: true, tunnelId, sessionId: 0, ns: 0, nr: 0, priority: false }, new Uint8Array(0))).subarray(20);
    records.push({ timeMs: records.length, bytes: udpIpv4Packet(CLIENT_PUBLIC, SERVER, 40500, 4500, new EspOutbound(client.outbound, seededRng(5)).seal(l2tp(11), 17)!) });
    records.push({ timeMs: records.length, bytes: udpIpv4Packet(SERVER, CLIENT_PUBLIC, 4500, 40500, new EspOutbound(server.outbound, seededRng(6)).seal(l2tp(22), 17)!) });
    const key = (k: EspSaKeys) => toHex(Uint8Array.from([...k.encKey, ...k.salt]));
    const sa = (src: string, dst: string, k: EspSaKeys) => `uat:esp_sa:"IPv4","${src}","${dst}","0x${k.spi.toString(16).padStart(8, '0')}","${encName}","0x${key(k)}","${authName}","0x${toHex(k.authKey)}"`;
    const { frames, problems } = dissect(LINKTYPE.RAW, records, [
      '-o', `uat:ikev1_decryption_table:${toHex(mmR.sa!.initiatorCookie)},${toHex(mmR.sa!.encKey)}`,
      '-o', 'esp.enable_encryption_decode:TRUE', '-o', 'esp.enable_authentication_check:TRUE',
      '-o', sa(CLIENT_PUBLIC, SERVER, server.inbound), '-o', sa(SERVER, CLIENT_PUBLIC, server.outbound),
      '--no-duplicate-keys',
    ]);
    assert.deepEqual(problems, []);
    assert.equal(frames.length, 11);
    assert.deepEqual(all(frames[4]!, 'isakmp.id.data.ipv4_addr'), ['192.168.1.10']);
    assert.deepEqual(all(frames[5]!, 'isakmp.id.data.ipv4_addr'), ['203.0.113.1']);
    assert.equal(all(frames[4]!, 'udpencap.non_esp_marker').length, 1);
    assert.deepEqual(all(frames[6]!, 'isakmp.id.port').map(Number), [1701, 1701]);
    assert.deepEqual(all(frames[7]!, 'isakmp.id.port').map(Number), [1701, 1701]);
    assert.deepEqual(all(frames[6]!, 'isakmp.ike.nat_original_address_ipv4'), ['192.168.1.10', '203.0.113.1']);
    assert.equal(all(frames[8]!, 'isakmp.hash').length, 1);
    assert.deepEqual(all(frames[9]!, 'esp.icv_good'), ['1']);
    assert.deepEqual(all(frames[9]!, 'l2tp.tunnel').map(Number), [11]);
    assert.deepEqual(all(frames[10]!, 'esp.icv_good'), ['1']);
    assert.deepEqual(all(frames[10]!, 'l2tp.tunnel').map(Number), [22]);
  });
}
