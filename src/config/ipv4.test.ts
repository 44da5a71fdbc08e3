import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { coveringPrefix, formatIpv4, parseCidr, parseIpv4, parsePptpdRange, parseRangeSpec } from './ipv4.js';
import { parseIpv4 as ioParseIpv4 } from '../io/ipv4-addr.js';
import { ipv4Bytes } from '../wire/pcap.js';
import { ipv4Attr } from '../radius/codec.js';
import { Ipcp } from '../ppp/ipcp/ipcp.js';

test('ipv4: format(parse(x)) ≡ x for every u32', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), (a) => parseIpv4(formatIpv4(a)) === a));
  assert.equal(parseIpv4('10.78.1.2'), 0x0a4e0102);
  assert.equal(formatIpv4(0xffffffff), '255.255.255.255');
  for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.0.0.1', '01.2.3.4', '1.2.3.-4', 'a.b.c.d', ' 1.2.3.4'])
    assert.equal(parseIpv4(bad), undefined, bad);
});

/** Leading zeros (octal to inet_aton: 010 is 8) and octets above 255. */
const BAD = ['010.0.0.1', '10.00.0.1', '10.0.0.01', '10.0.0.256', '300.1.1.1', '10.0.0.1e2', '0x0a.0.0.1'];

test('ipv4: leading zeros and out-of-range octets are refused by every parser', () => {
  for (const bad of BAD) {
    assert.equal(parseIpv4(bad), undefined, `parseIpv4 ${bad}`);
    assert.equal(ioParseIpv4(bad), undefined, `io parseIpv4 ${bad}`);
    assert.equal(parseCidr(`${bad}/24`), undefined, `parseCidr ${bad}`);
    assert.equal(typeof parseRangeSpec(bad), 'string', `parseRangeSpec ${bad}`);
    assert.equal(typeof parseRangeSpec(`10.0.0.1-${bad}`), 'string', `parseRangeSpec end ${bad}`);
    assert.equal(typeof parsePptpdRange(bad), 'string', `parsePptpdRange ${bad}`);
    assert.throws(() => ipv4Bytes(bad), /bad IPv4 address/, `pcap ipv4Bytes ${bad}`);
    assert.throws(() => ipv4Attr(8, bad), /not an IPv4 address/, `radius ipv4Attr ${bad}`);
  }
  assert.deepEqual([...ipv4Bytes('10.0.0.1')], [10, 0, 0, 1]);
  assert.deepEqual([...ipv4Attr(8, '192.168.1.200').value], [192, 168, 1, 200]);
});

test('ipv4: IPCP reads no address with a leading zero (a client then asks for one, as without an address)', () => {
  const bad = new Ipcp({ role: 'client', localAddress: '010.0.0.1' }).addci();
  assert.deepEqual(bad, new Ipcp({ role: 'client' }).addci());
  assert.notDeepEqual(new Ipcp({ role: 'client', localAddress: '10.0.0.1' }).addci(), bad);
});

test('coveringPrefix: the shortest prefix of the local address that covers every range', () => {
  const local = parseIpv4('10.8.0.1')!;
  assert.equal(coveringPrefix(local, ['10.8.0.10-10.8.0.200']), 24);
  assert.equal(coveringPrefix(local, ['10.8.0.0/16']), 16);
  assert.equal(coveringPrefix(local, ['10.8.0.1']), 32);
  assert.equal(coveringPrefix(local, ['10.8.0.10-20', '10.9.0.1']), 15);
  assert.equal(coveringPrefix(local, ['not a range']), 32, 'bad specs are skipped');
});
