/**
 * Our ESP against an independent implementation: tshark, given the SA keys
 * through its esp_sa UAT, checks our ICV, decrypts the payload, finds the
 * RFC 4303 padding and next header, and shows the L2TP inside the
 * transport-mode UDP 1701 datagram, carried in UDP 4500 (RFC 3948) next to a
 * NAT-keepalive and an IKE message behind the non-ESP marker.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRng } from '../../src/core/rng.js';
import { toHex } from '../../src/wire/hex.js';
import { LINKTYPE, udpIpv4Packet } from '../../src/wire/pcap.js';
import { encodeL2tp } from '../../src/l2tp/header.js';
import { ESP_TRANSFORM, P2_AUTH } from '../../src/ipsec/constants.js';
import { EspOutbound, espKeymatBytes, espKeysFromKeymat, espSuite, type EspSuite } from '../../src/ipsec/esp.js';
import { NAT_KEEPALIVE, encodeIkeOverUdp4500 } from '../../src/ipsec/udp-encap.js';
import { dissect, fields, tsharkSkipReason, type TsharkLayers } from '../helpers/tshark.js';
import { scriptedMainMode } from './main-mode-script.js';

/** Our suite and Wireshark 4.0's names for it (epan/dissectors/packet-ipsec.c value strings). */
const SUITES: [EspSuite, string, string][] = [
  [espSuite(ESP_TRANSFORM.AES_CBC, 128, P2_AUTH.HMAC_SHA1)!, 'AES-CBC [RFC3602]', 'HMAC-SHA-1-96 [RFC2404]'],
  [espSuite(ESP_TRANSFORM.AES_CBC, 256, P2_AUTH.HMAC_SHA1)!, 'AES-CBC [RFC3602]', 'HMAC-SHA-1-96 [RFC2404]'],
  [espSuite(ESP_TRANSFORM.AES_CBC, 128, P2_AUTH.HMAC_SHA2_256)!, 'AES-CBC [RFC3602]', 'HMAC-SHA-256-128 [RFC4868]'],
  [espSuite(ESP_TRANSFORM.AES_CBC, 256, P2_AUTH.HMAC_SHA2_256, { sha256Truncated96: true })!, 'AES-CBC [RFC3602]', 'HMAC-SHA-256-96 [draft-ietf-ipsec-ciph-sha-256-00]'],
  [espSuite(ESP_TRANSFORM.AES_CBC, 256, P2_AUTH.HMAC_SHA2_384)!, 'AES-CBC [RFC3602]', 'HMAC-SHA-384-192 [RFC4868]'],
  [espSuite(ESP_TRANSFORM.AES_CBC, 256, P2_AUTH.HMAC_SHA2_512)!, 'AES-CBC [RFC3602]', 'HMAC-SHA-512-256 [RFC4868]'],
  [espSuite(ESP_TRANSFORM.AES_GCM_16, 128, undefined)!, 'AES-GCM with 16 octet ICV [RFC4106]', 'NULL'],
  [espSuite(ESP_TRANSFORM.AES_GCM_16, 256, undefined)!, 'AES-GCM with 16 octet ICV [RFC4106]', 'NULL'],
  [espSuite(ESP_TRANSFORM['3DES'], undefined, P2_AUTH.HMAC_SHA1)!, 'TripleDES-CBC [RFC2451]', 'HMAC-SHA-1-96 [RFC2404]'],
];

const all = (f: TsharkLayers, name: string): string[] => fields(f, name).flat(3).map(String);

for (const [suite, encName, authName] of SUITES) {
  test(`tshark verifies and decrypts our ESP-in-UDP ${suite.name} and shows the L2TP inside`, { skip: tsharkSkipReason() }, () => {
    const spi = 0xc0ffee00 + SUITES.findIndex(([s]) => s === suite);
    const keys = espKeysFromKeymat(spi, suite, seededRng(spi).bytes(espKeymatBytes(suite)));
    const out = new EspOutbound(keys, seededRng(2));
    // Transport mode: the ESP payload is the UDP header and L2TP (checksum 0, allowed over IPv4).
    const l2tp = [
      encodeL2tp({ isControl: true, tunnelId: 7, sessionId: 0, ns: 3, nr: 4, priority: false }, new Uint8Array(0)),
      encodeL2tp({ isControl: false, tunnelId: 7, sessionId: 9, priority: false }, Uint8Array.of(0xff, 0x03, 0xc0, 0x21, 0x09, 0x01, 0x00, 0x08, 1, 2, 3, 4)),
    ];
    const records = l2tp.map((m, i) => ({ timeMs: i, bytes: udpIpv4Packet('10.0.0.2', '10.0.0.1', 4500, 4500, out.seal(udpIpv4Packet('10.0.0.2', '10.0.0.1', 1701, 1701, m).subarray(20), 17)!) }));
    records.push({ timeMs: 2, bytes: udpIpv4Packet('10.0.0.2', '10.0.0.1', 4500, 4500, NAT_KEEPALIVE) });
    records.push({ timeMs: 3, bytes: udpIpv4Packet('10.0.0.2', '10.0.0.1', 4500, 4500, encodeIkeOverUdp4500(scriptedMainMode({ encryption: 7, keyLengthBits: 128, hash: 2, group: 14 }).messages[0]!.bytes)) });
    const key = toHex(suite.cipher === 'aes-gcm' ? Uint8Array.from([...keys.encKey, ...keys.salt]) : keys.encKey);
    const sa = `uat:esp_sa:"IPv4","10.0.0.2","10.0.0.1","0x${spi.toString(16)}","${encName}","0x${key}","${authName}","0x${toHex(keys.authKey)}"`;
    const { frames, problems } = dissect(LINKTYPE.RAW, records, ['-o', 'esp.enable_encryption_decode:TRUE', '-o', 'esp.enable_authentication_check:TRUE', '-o', sa, '--no-duplicate-keys']);
    assert.deepEqual(problems, []);
    for (const i of [0, 1]) {
      assert.deepEqual(all(frames[i]!, 'esp.sequence').map(Number), [i + 1]);
      assert.deepEqual(all(frames[i]!, 'esp.icv_good'), ['1'], `frame ${i}: ICV`);
      assert.deepEqual(all(frames[i]!, 'esp.protocol').map(Number), [17]);
      assert.deepEqual(all(frames[i]!, 'l2tp.tunnel').map(Number), [7], `frame ${i}: L2TP inside`);
    }
    assert.deepEqual(all(frames[1]!, 'l2tp.session').map(Number), [9]);
    assert.equal(all(frames[2]!, 'udpencap.nat_keepalive').length, 1);
    assert.equal(all(frames[3]!, 'udpencap.non_esp_marker').length, 1);
    assert.deepEqual(all(frames[3]!, 'isakmp.exchangetype').map(Number), [2]);
  });
}
