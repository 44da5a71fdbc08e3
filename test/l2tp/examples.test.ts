/**
 * The L2TP/IPsec example files stay valid and agree with each other: the
 * tunppp config parses, listens where the IPsec policies protect (UDP 1701),
 * and both strongSwan variants carry the macOS any-port selector.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseTunpppJson } from '../../src/config/schema.js';

const dir = fileURLToPath(new URL('../../examples/strongswan/', import.meta.url));
const read = (f: string): string => readFileSync(dir + f, 'utf8');

test('examples/strongswan: tunppp-l2tp.json parses; L2TP on 1701, PPTP off, MPPE allowed, MTU below the ESP overhead', () => {
  const c = parseTunpppJson(read('tunppp-l2tp.json'), 'tunppp-l2tp.json');
  assert.equal(c.listen.l2tp.enabled, true);
  assert.equal(c.listen.l2tp.port, 1701);
  assert.equal(c.listen.pptp.enabled, false);
  assert.equal(c.ppp.mppe.l2tpMode, 'allow');
  assert.ok(typeof c.ppp.mtu === 'number' && c.ppp.mtu <= 1400);
  assert.equal(c.listen.l2tp.secret, undefined, 'no tunnel secret: Windows/macOS/iOS cannot answer a challenge');
});

test('examples/strongswan: both strongSwan variants are IKEv1 PSK transport mode on udp/1701, any client port', () => {
  const swanctl = read('swanctl.conf');
  assert.match(swanctl, /version = 1/);
  assert.match(swanctl, /mode = transport/);
  assert.match(swanctl, /local_ts = dynamic\[udp\/l2tp\]/);
  assert.match(swanctl, /remote_ts = dynamic\[udp\]/);
  assert.match(swanctl, /auth = psk/);
  const stroke = read('ipsec.conf');
  assert.match(stroke, /keyexchange = ikev1/);
  assert.match(stroke, /type = transport/);
  assert.match(stroke, /leftprotoport = 17\/1701/);
  assert.match(stroke, /rightprotoport = 17\/%any/);
  assert.match(read('ipsec.secrets'), /^%any %any : PSK "/m);
  // The PSK placeholder is the same in both, so nobody sets one and forgets the other.
  const psk = /secret = "([^"]+)"/.exec(swanctl)?.[1];
  assert.ok(psk && read('ipsec.secrets').includes(`"${psk}"`));
});
