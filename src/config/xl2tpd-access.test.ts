/**
 * xl2tpd.conf's access settings (`access control`, `lac`/`no lac`,
 * `exclusive`, `unix authentication`) mapped into listen.l2tp.access, and
 * the verdict on a LAC address (lac-access.ts) against xl2tpd's get_lns.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES_DIR } from '../../test/helpers/fixtures.js';
import { ConfigError } from '../core/errors.js';
import { STOPCCN_RESULT } from '../l2tp/constants.js';
import { lacVerdict } from './lac-access.js';
import { mergeLegacy } from './merge.js';
import { parseXl2tpdConf } from './xl2tpd-conf.js';

function xl2tpd(global: string, lns: string, name = 'default'): ReturnType<typeof mergeLegacy> {
  const text = `[global]\n${global}\n[lns ${name}]\nip range = 10.10.0.100-10.10.0.150\nlocal ip = 10.10.0.1\n${lns}\n`;
  return mergeLegacy({ xl2tpd: { conf: parseXl2tpdConf(text, '/etc/xl2tpd/xl2tpd.conf') } });
}

test('xl2tpd access: access control = yes with lac/no lac → rules in file order, control on', () => {
  const { config } = xl2tpd('access control = yes', 'lac = 198.51.100.0 - 198.51.100.255\nno lac = 198.51.100.66');
  assert.deepEqual(config.listen.l2tp.access, { control: true, exclusive: false, lacs: [{ range: '198.51.100.0-198.51.100.255', allow: true }, { range: '198.51.100.66', allow: false }] });
});

test('xl2tpd access: nothing restricting → no access block (everyone, as xl2tpd)', () => {
  assert.equal(xl2tpd('port = 1701', 'exclusive = no').config.listen.l2tp.access, undefined);
});

test('xl2tpd access: lac lines without access control → no restriction, and a warning that says so', () => {
  const { config, warnings } = xl2tpd('port = 1701', 'lac = 198.51.100.5');
  assert.equal(config.listen.l2tp.access, undefined);
  assert.ok(warnings.some((w) => /without access control = yes only choose among LNS sections/.test(w.message) && w.line === 6), JSON.stringify(warnings));
});

test('xl2tpd access: a named LNS (no [lns default]) only takes LACs its rules allow, with a warning', () => {
  const { config, warnings } = xl2tpd('port = 1701', 'lac = 198.51.100.5', 'office');
  assert.equal(config.listen.l2tp.access?.control, true);
  assert.ok(warnings.some((w) => /\[lns office\] is not \[lns default\]/.test(w.message)));
});

test('xl2tpd access: exclusive = yes → one tunnel per address, warned (xl2tpd never checks it)', () => {
  const { config, warnings } = xl2tpd('port = 1701', 'exclusive = yes');
  assert.deepEqual(config.listen.l2tp.access, { control: false, exclusive: true, lacs: [] });
  assert.ok(warnings.some((w) => /exclusive = yes: tunppp allows one tunnel per LAC address/.test(w.message)));
});

test('xl2tpd access: unix authentication = yes → error naming the reason and the fix; = no is fine', () => {
  assert.throws(() => xl2tpd('port = 1701', 'unix authentication = yes'), (e: unknown) => e instanceof ConfigError && /xl2tpd\.conf:6: unix authentication = yes .* not supported: .*MS-CHAPv2/.test(e.message) && /chap-secrets/.test(e.hint ?? ''));
  assert.throws(() => xl2tpd('port = 1701', 'unix auth = yes'), ConfigError);
  assert.equal(xl2tpd('port = 1701', 'unix authentication = no').config.listen.l2tp.access, undefined);
});

test('lacVerdict: the last matching rule decides (xl2tpd get_lns); without access control everyone but exclusive passes', () => {
  const rules = [{ range: '10.0.0.0/8', allow: true }, { range: '10.1.0.0/16', allow: false }, { range: '10.1.2.3', allow: true }];
  const v = (address: string, control = true, exclusive = false, others = 0): string => {
    const r = lacVerdict({ control, lacs: rules, exclusive }, address, others);
    return r.ok ? 'ok' : `${r.result} ${r.why}`;
  };
  assert.equal(v('10.9.9.9'), 'ok');
  assert.equal(v('10.1.9.9'), `${STOPCCN_RESULT.NOT_AUTHORIZED} denied by 'no lac = 10.1.0.0/16' (access control = yes)`);
  assert.equal(v('10.1.2.3'), 'ok');
  assert.match(v('192.0.2.1'), /^4 no lac rule allows this address/);
  assert.equal(v('10.1.9.9', false), 'ok');
  assert.equal(v('192.0.2.1', false, true, 0), 'ok');
  assert.match(v('192.0.2.1', false, true, 1), /^3 already a tunnel from this address \(exclusive = yes\)/);
});

/** Debian's sample xl2tpd.conf (test/fixtures/configs/debian-xl2tpd) with the access lines uncommented as an admin would. */
function debianSample(uncomment: RegExp): string {
  const text = readFileSync(join(FIXTURES_DIR, 'configs', 'debian-xl2tpd', 'etc', 'xl2tpd', 'xl2tpd.conf'), 'utf8');
  return text
    .split('\n')
    .map((l) => (uncomment.test(l) ? l.replace(/^; ?/, '') : l))
    .join('\n');
}

test('real Debian sample: [global] access control = yes and "lac = 192.168.1.4 - 192.168.1.8" → only those LACs', () => {
  const text = debianSample(/^; (\[global\]|access control|\[lns default\]|ip range = 192\.168\.0\.1-|local ip = |lac = 192)/);
  const { config } = mergeLegacy({ xl2tpd: { conf: parseXl2tpdConf(text, '/etc/xl2tpd/xl2tpd.conf') } });
  assert.deepEqual(config.listen.l2tp.access, { control: true, exclusive: false, lacs: [{ range: '192.168.1.4-192.168.1.8', allow: true }] });
  const v = (a: string): boolean => lacVerdict(config.listen.l2tp.access!, a, 0).ok;
  assert.deepEqual(['192.168.1.3', '192.168.1.4', '192.168.1.8', '198.51.100.1'].map(v), [false, true, true, false]);
});

test('real Debian sample: "no lac = untrusted.marko.net" → error saying tunppp takes addresses, not host names', () => {
  const text = debianSample(/^; (\[global\]|access control|\[lns default\]|ip range = 192\.168\.0\.1-|local ip = |no lac = )/);
  assert.throws(() => parseXl2tpdConf(text, '/etc/xl2tpd/xl2tpd.conf'), (e: unknown) => e instanceof ConfigError && /xl2tpd\.conf:29: no lac: 'untrusted\.marko\.net' is not an IPv4 address/.test(e.message) && /host names/.test(e.hint ?? ''));
});
