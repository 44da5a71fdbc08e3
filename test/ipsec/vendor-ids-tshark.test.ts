/**
 * Our vendor ID table against Wireshark's own table (an independent list):
 * every known vendor ID, sent in a Main Mode message 1, is named by tshark
 * as the same thing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex } from '../../src/wire/hex.js';
import { LINKTYPE, udpIpv4Packet } from '../../src/wire/pcap.js';
import { EXCHANGE } from '../../src/ipsec/constants.js';
import { encodeIsakmpMessage } from '../../src/ipsec/isakmp.js';
import { concat } from '../../src/ipsec/bytes.js';
import { KNOWN_VENDOR_IDS, type VendorIdName } from '../../src/ipsec/vendor-ids.js';
import { dissect, fields, tsharkSkipReason } from '../helpers/tshark.js';

/** What Wireshark 4.0 (epan/dissectors/packet-isakmp.c) calls each of ours. */
const TSHARK_NAME: Record<VendorIdName, RegExp> = {
  rfc3947: /^RFC 3947/,
  'nat-t-draft-02': /^draft-ietf-ipsec-nat-t-ike-02$/,
  'nat-t-draft-02n': /^draft-ietf-ipsec-nat-t-ike-02\\n$/,
  'nat-t-draft-03': /^draft-ietf-ipsec-nat-t-ike-03$/,
  dpd: /^RFC 3706 DPD/,
  fragmentation: /Fragmentation$/,
  'ms-nt5-isakmpoakley': /^MS NT5 ISAKMPOAKLEY/,
  xauth: /^XAUTH$/,
  'cisco-unity': /^CISCO-UNITY/,
};

test('tshark names every vendor ID in our table as we do', { skip: tsharkSkipReason() }, () => {
  const records = KNOWN_VENDOR_IDS.map((k, i) => {
    // Prefix entries get a version suffix of the kind their senders use.
    const suffix = k.name === 'dpd' || k.name === 'cisco-unity' ? fromHex('0100') : k.name === 'ms-nt5-isakmpoakley' ? fromHex('00000009') : k.name === 'fragmentation' ? fromHex('80000000') : new Uint8Array(0);
    const msg = encodeIsakmpMessage({
      header: { initiatorCookie: fromHex('0102030405060708'), responderCookie: new Uint8Array(8), majorVersion: 1, minorVersion: 0, exchangeType: EXCHANGE.IDENTITY_PROTECTION, flags: 0, messageId: 0 },
      payloads: [{ kind: 'vendor-id', data: concat(k.bytes, suffix) }],
    });
    return { timeMs: i, bytes: udpIpv4Packet('10.0.0.2', '10.0.0.1', 500, 500, msg) };
  });
  const { frames, problems } = dissect(LINKTYPE.RAW, records);
  assert.deepEqual(problems, []);
  KNOWN_VENDOR_IDS.forEach((k, i) => {
    const name = String(fields(frames[i]!, 'isakmp.vid_string')[0]);
    assert.match(name, TSHARK_NAME[k.name], `${k.name}: tshark says ${name}`);
  });
});
