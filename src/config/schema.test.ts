import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../core/errors.js';
import { jsonLineOf } from './json-locate.js';
import { defaultConfig, effectivePppSizes, parseTunpppJson } from './schema.js';

const TUNPPP_JSON = `{
  "listen": {
    "pptp": { "addresses": ["203.0.113.5"] },
    "l2tp": { "enabled": false }
  },
  "pools": [
    { "name": "office", "local": "192.168.50.1", "ranges": ["192.168.50.10-192.168.50.200", "192.168.51.0/24"] }
  ],
  "dns": ["192.168.50.1", "1.1.1.1"],
  "auth": { "chapSecrets": "/etc/tunppp/chap-secrets" },
  "ppp": {
    "name": "vpn",
    "authProtocols": ["mschap-v2"],
    "mppe": { "mode": "require", "keyBits": [128] },
    "mtu": 1400,
    "keepalive": { "intervalS": 20, "failures": 3 }
  },
  "pathMtu": 1492,
  "connections": { "max": 250 },
  "clientIsolation": false,
  "tun": { "name": "vpn0" }
}
`;

test('tunppp.json: full file → typed Config with defaults filled in', () => {
  const c = parseTunpppJson(TUNPPP_JSON, 'tunppp.json');
  assert.deepEqual(c.listen.pptp, { enabled: true, addresses: ['203.0.113.5'], port: 1723, startTimeoutS: 10 });
  assert.deepEqual(c.listen.l2tp, { enabled: false, addresses: ['0.0.0.0'], port: 1701 });
  assert.deepEqual(c.pools[0]!.protocols, ['pptp', 'l2tp']);
  assert.equal(c.ppp.mru, 'auto');
  assert.equal(c.ppp.mppe.stateful, 'refuse');
  assert.equal(c.ppp.keepalive.failures, 3);
  assert.equal(c.auth.required, true);
  assert.equal(c.mssClamp, 'auto');
  assert.equal(c.tun.name, 'vpn0');
  // mtu 1400 explicit, mru auto from a 1492 path: PPTP worst case 1492 − 40 = 1452; IP MTU min(1400,1452) − 4 = 1396.
  assert.deepEqual(effectivePppSizes(c, 'pptp'), { mtu: 1400, mru: 1452, mssIpv4: 1356, mssIpv6: 1336 });
});

test('tunppp.json: {} → defaults (MPPE-128 required, MS-CHAPv2 only, tunppp0)', () => {
  const c = parseTunpppJson('{}', 'tunppp.json');
  assert.deepEqual(c, defaultConfig());
  assert.deepEqual(c.ppp.authProtocols, ['mschap-v2']);
  assert.equal(c.ppp.mppe.mode, 'require');
  assert.equal(c.tun.name, 'tunppp0');
});

function rejects(text: string, line: number | undefined, msg: RegExp, hint: RegExp) {
  assert.throws(() => parseTunpppJson(text, '/etc/tunppp/tunppp.json'), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.equal(e.line, line);
    assert.match(e.message, new RegExp(`^/etc/tunppp/tunppp.json${line ? `:${line}` : ''}: `));
    assert.match(e.message, msg);
    assert.match(e.hint ?? '', hint);
    return true;
  });
}

test('tunppp.json: bad values → ConfigError with file:line, JSON path and fix', () => {
  rejects('{\n  "listen": {\n    "pptp": { "port": 70000 }\n  }\n}', 3, /listen\.pptp\.port: Too big/, /at most 65535/);
  rejects('{\n  "ppp": {\n    "mppe": { "mode": "always" }\n  }\n}', 3, /ppp\.mppe\.mode: /, /"require", "allow", "refuse"/);
  rejects('{\n  "pools": [\n    { "local": "10.0.0.1", "ranges": ["10.0.0.2-10.0.0.300"] }\n  ]\n}', 3, /pools\[0\]\.ranges\[0\]: '10\.0\.0\.300' is not an IPv4 address/, /docs\/config\.md/);
  rejects('{\n  "dns": ["1.1.1.1"],\n  "tunName": "x"\n}', 3, /tunName: unknown key "tunName"/, /remove "tunName"/);
  rejects('{\n  "ppp": { "authProtocols": ["pap"] }\n}', 2, /ppp\.mppe\.mode: MPPE keys come from MS-CHAP/, /docs\/config\.md/);
  rejects('{\n  "pools": [\n    { "local": "10.0.0.1", "ranges": ["10.0.0.0/24"] },\n    { "name": "b", "local": "10.0.1.1", "ranges": ["10.0.0.128-10.0.0.140"] }\n  ]\n}', 4, /overlaps pool 'default'/, /docs\/config\.md/);
  rejects('{\n  "tun": { "name": "this-name-is-too-long" }\n}', 2, /tun\.name: a Linux interface name/, /docs\/config\.md/);
  rejects('{\n  "dns": ["1.1.1.1",]\n}', 2, /not valid JSON/, /trailing commas/);
  rejects('{\n  "rateLimits": {\n    "users": { "alice": { "up": "2 Mbit" } }\n  }\n}', 3, /rateLimits\.users\.alice\.up: expected a rate in bits per second such as "2M"/, /docs\/config\.md/);
  rejects('{\n  "rateLimits": {\n    "default": {}\n  }\n}', 3, /rateLimits\.default: give "up", "down" or both/, /docs\/config\.md/);
  rejects('{ "connections": { "max": "lots" }, "clientIsolation": 1 }', 1, /connections\.max: .*expected number.*and 1 more: line 1: clientIsolation/, /write a number/);
});

test('jsonLineOf: keys, array items, nesting', () => {
  const t = '{\n "a": {\n  "b": [\n   1,\n   {"c": 2}\n  ]\n },\n "d": "x"\n}';
  assert.equal(jsonLineOf(t, ['a']), 2);
  assert.equal(jsonLineOf(t, ['a', 'b']), 3);
  assert.equal(jsonLineOf(t, ['a', 'b', 1]), 5);
  assert.equal(jsonLineOf(t, ['a', 'b', 1, 'c']), 5);
  assert.equal(jsonLineOf(t, ['d']), 8);
  assert.equal(jsonLineOf(t, ['zz']), undefined);
});
