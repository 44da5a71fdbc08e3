import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { encodePcap, ipv4Packet, LINKTYPE, parseCapture } from './pcap.js';
import { internetChecksum } from './checksum.js';
import { PCAPS_URL } from '../../test/helpers/fixtures.js';

test('pcap: encode then parse gives the records back', () => {
  const recs = [
    { timeMs: 1000.5, bytes: Uint8Array.of(0xc0, 0x21, 1, 2) },
    { timeMs: 2001, bytes: Uint8Array.of(0x80, 0x21) },
  ];
  const back = parseCapture(encodePcap(LINKTYPE.PPP, recs));
  assert.ok(back);
  assert.equal(back.length, 2);
  assert.equal(back[0]!.linkType, LINKTYPE.PPP);
  assert.deepEqual([...back[1]!.bytes], [0x80, 0x21]);
  assert.equal(back[0]!.timeMs, 1000.5);
});

test('pcap: parses the real captures in test/fixtures (pcap and pcapng)', () => {
  const dir = PCAPS_URL;
  const tcpdump = parseCapture(readFileSync(new URL('tcpdump-pptp.pcap', dir)));
  assert.equal(tcpdump?.length, 23);
  const windows = parseCapture(readFileSync(new URL('jamesmackerel-pptp-windows-session.pcapng', dir)));
  assert.equal(windows?.length, 634, '634 enhanced packet blocks (MANIFEST.md says 633 frames)');
  assert.equal(parseCapture(Uint8Array.of(1, 2, 3)), undefined);
});

test('ipv4Packet: header checksum verifies and fields are set', () => {
  const p = ipv4Packet('10.0.0.1', '10.0.0.2', 47, Uint8Array.of(1, 2, 3));
  assert.equal(p.length, 23);
  assert.equal(internetChecksum(p, 0, 20), 0);
  assert.equal(p[9], 47);
  assert.throws(() => ipv4Packet('10.0.0', '1.2.3.4', 6, new Uint8Array()));
});
