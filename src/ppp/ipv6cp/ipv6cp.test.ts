import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Ipv6cp, encodeIpv6cpOptions, parseIpv6cpOptions, ipv6cpOptionsLength, linkLocalAddress } from './ipv6cp.js';
import { runPair } from '../fsm/pair.test-helper.js';
import { seededRng } from '../../core/rng.js';
import { toHex } from '../../wire/hex.js';

test('Req-Sent: random identifiers → both Opened with each other’s identifier', () => {
  const a = new Ipv6cp({}, seededRng(1));
  const b = new Ipv6cp({}, seededRng(2));
  runPair(a, b);
  assert.equal(a.fsm.state, 'Opened');
  assert.equal(a.negotiated?.peerIdentifier, b.negotiated?.localIdentifier);
  assert.equal(b.negotiated?.peerIdentifier, a.negotiated?.localIdentifier);
  assert.match(a.negotiated!.localAddress, /^fe80::/);
});

test('Req-Sent: identical configured identifiers → collision Nak, resolved to distinct ones', () => {
  const a = new Ipv6cp({ interfaceIdentifier: '0011223344556677' }, seededRng(1));
  const b = new Ipv6cp({ interfaceIdentifier: '0011223344556677' }, seededRng(2));
  runPair(a, b);
  assert.equal(a.fsm.state, 'Opened');
  assert.equal(b.fsm.state, 'Opened');
  assert.notEqual(a.negotiated?.localIdentifier, a.negotiated?.peerIdentifier);
});

test('linkLocalAddress: groups without leading zeros', () => {
  assert.equal(linkLocalAddress('0011223344556677'), 'fe80::11:2233:4455:6677');
});

test('options: parse(encode(x)) = x', () => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 8, maxLength: 8 }), (b) => {
    const opts = [{ kind: 'interface-identifier' as const, identifier: toHex(b) }];
    const enc = encodeIpv6cpOptions(opts);
    assert.equal(enc.length, ipv6cpOptionsLength(opts));
    const p = parseIpv6cpOptions(enc);
    assert.ok(p.ok);
    assert.deepEqual(p.value, opts);
  }));
});
