/**
 * xl2tpd.conf's tunnel authentication settings (`auth file`, `challenge`,
 * `hostname`) mapped into listen.l2tp, and the schema rules around them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { ConfigError } from '../core/errors.js';
import { mergeLegacy, XL2TPD_AUTH_FILE } from './merge.js';
import { parseTunpppJson } from './schema.js';
import { parseXl2tpdConf } from './xl2tpd-conf.js';

function xl2tpd(global: string, lns: string): ReturnType<typeof mergeLegacy> {
  const text = `[global]\n${global}\n[lns default]\nip range = 10.10.0.100-10.10.0.150\nlocal ip = 10.10.0.1\n${lns}\n`;
  return mergeLegacy({ xl2tpd: { conf: parseXl2tpdConf(text, '/etc/xl2tpd/xl2tpd.conf') } });
}

test('xl2tpd auth: auth file + challenge = yes + hostname → secretsFile, challenge on, hostName', () => {
  const { config } = xl2tpd('auth file = /etc/xl2tpd/tunnel-secrets', 'challenge = yes\nhostname = lns.example');
  assert.equal(config.listen.l2tp.secretsFile, '/etc/xl2tpd/tunnel-secrets');
  assert.equal(config.listen.l2tp.challenge, true);
  assert.equal(config.listen.l2tp.hostName, 'lns.example');
  assert.equal(config.listen.l2tp.secret, undefined);
});

test('xl2tpd auth: challenge = yes without auth file → xl2tpd default file; without hostname → system host name', () => {
  const { config } = xl2tpd('port = 1701', 'challenge = yes');
  assert.equal(config.listen.l2tp.secretsFile, XL2TPD_AUTH_FILE);
  assert.equal(config.listen.l2tp.hostName, hostname());
  assert.equal(config.listen.l2tp.challenge, true);
});

test('xl2tpd auth: auth file without challenge → secrets only answer a peer that challenges; challenge stays off', () => {
  const { config } = xl2tpd('auth file = /etc/xl2tpd/l2tp-secrets', 'challenge = no');
  assert.equal(config.listen.l2tp.secretsFile, '/etc/xl2tpd/l2tp-secrets');
  assert.equal(config.listen.l2tp.challenge, undefined);
});

test('xl2tpd auth: neither auth file nor challenge → no tunnel authentication, Host Name as before', () => {
  const { config } = xl2tpd('port = 1701', '');
  assert.equal(config.listen.l2tp.secretsFile, undefined);
  assert.equal(config.listen.l2tp.challenge, undefined);
  assert.equal(config.listen.l2tp.hostName, undefined);
});

test('xl2tpd auth: auth file = /etc/ppp/chap-secrets (a common tutorial line) → warning that it is read as tunnel secrets', () => {
  const { warnings } = xl2tpd('auth file = /etc/ppp/chap-secrets', '');
  const w = warnings.find((x) => /tunnel secrets/.test(x.message));
  assert.ok(w, warnings.map((x) => x.message).join('\n'));
  assert.equal(w.line, 2);
});

test('schema: listen.l2tp challenge without any secret, or secret with secretsFile → ConfigError', () => {
  const l2tp = (o: object) => JSON.stringify({ listen: { l2tp: o }, pools: [{ local: '10.0.0.1', ranges: ['10.0.0.10-10.0.0.20'] }] });
  assert.throws(() => parseTunpppJson(l2tp({ challenge: true }), 't.json'), (e: unknown) => e instanceof ConfigError && /tunnel authentication needs a secret/.test(e.message));
  assert.throws(() => parseTunpppJson(l2tp({ secret: 'a', secretsFile: '/x' }), 't.json'), (e: unknown) => e instanceof ConfigError && /either "secret"/.test(e.message));
  const ok = parseTunpppJson(l2tp({ secretsFile: '/etc/xl2tpd/l2tp-secrets', challenge: true, hostName: 'lns' }), 't.json');
  assert.equal(ok.listen.l2tp.secretsFile, '/etc/xl2tpd/l2tp-secrets');
});
