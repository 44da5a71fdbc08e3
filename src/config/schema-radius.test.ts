import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../core/errors.js';
import { defaultConfig, parseTunpppJson } from './schema.js';

test('defaults: no radius section → chap-secrets only, RADIUS off, existing configs still validate', () => {
  const c = defaultConfig();
  assert.deepEqual(c.auth.backends, ['chap-secrets']);
  assert.deepEqual(c.radius.servers, []);
  assert.equal(c.radius.accounting, false);
  assert.equal(c.radius.timeoutMs, 3000);
  assert.equal(c.radius.retries, 2);
  assert.equal(c.radius.nasIdentifier, 'tunppp');
  assert.equal(c.radius.requireMessageAuthenticator, false);
  assert.deepEqual(c.radius.disconnect, { enabled: false, address: '0.0.0.0', port: 3799, requireEventTimestamp: true, windowS: 300 });
  assert.equal(parseTunpppJson('{"auth": {"chapSecrets": "/x"}}', 't.json').auth.chapSecrets, '/x');
});

test('radius section: servers with secret or secretFile → ports defaulted', () => {
  const c = parseTunpppJson(JSON.stringify({
    auth: { backends: ['radius', 'chap-secrets'] },
    radius: {
      servers: [{ address: '10.0.0.5', secret: 's3' }, { address: 'radius2.example', port: 11812, acctPort: 11813, secretFile: '/etc/tunppp/radius2.secret' }],
      timeoutMs: 1500, retries: 1, nasIdentifier: 'vpn1', nasIpAddress: '192.0.2.1', accounting: true, interimS: 300,
      disconnect: { enabled: true, address: '127.0.0.1' },
    },
  }), 't.json');
  assert.deepEqual(c.auth.backends, ['radius', 'chap-secrets']);
  assert.deepEqual(c.radius.servers[0], { address: '10.0.0.5', port: 1812, acctPort: 1813, secret: 's3' });
  assert.equal(c.radius.servers[1]!.secretFile, '/etc/tunppp/radius2.secret');
  assert.equal(c.radius.interimS, 300);
  assert.equal(c.radius.disconnect.port, 3799);
});

function rejects(json: string, pattern: RegExp): void {
  assert.throws(() => parseTunpppJson(json, 't.json'), (e: unknown) => e instanceof ConfigError && pattern.test(e.message));
}

test('radius section: bad values → ConfigError naming the path', () => {
  rejects('{"auth": {"backends": ["radius"]}}', /radius\.servers: RADIUS is in use/);
  rejects('{"radius": {"accounting": true}}', /radius\.servers: RADIUS is in use/);
  rejects('{"radius": {"servers": [{"address": "1.2.3.4"}]}}', /exactly one of "secret" and "secretFile"/);
  rejects('{"radius": {"servers": [{"address": "1.2.3.4", "secret": "a", "secretFile": "/f"}]}}', /exactly one/);
  rejects('{"auth": {"backends": ["ldap"]}}', /auth\.backends/);
  rejects('{"auth": {"backends": ["radius", "radius"]}, "radius": {"servers": [{"address": "1.2.3.4", "secret": "a"}]}}', /at most once/);
  rejects('{"radius": {"timeoutMs": 5}}', /radius\.timeoutMs/);
  rejects('{"radius": {"sever": []}}', /unknown key "sever"/);
});

test('radius.nasIdentifier: limited to 253 octets of UTF-8, not 253 characters', () => {
  assert.equal(parseTunpppJson(JSON.stringify({ radius: { nasIdentifier: 'n'.repeat(253) } }), 't.json').radius.nasIdentifier.length, 253);
  // 200 characters of 'é' are 400 octets: a RADIUS attribute cannot carry them.
  rejects(JSON.stringify({ radius: { nasIdentifier: 'é'.repeat(200) } }), /radius\.nasIdentifier: at most 253 octets/);
  rejects(JSON.stringify({ radius: { nasIdentifier: 'n'.repeat(254) } }), /radius\.nasIdentifier/);
});
