import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../core/errors.js';
import { parseChapSecrets } from './chap-secrets.js';
import { mergeLegacy } from './merge.js';
import { parsePppOptions } from './ppp-options.js';
import { parsePptpdConf } from './pptpd-conf.js';
import { parseXl2tpdConf, xl2tpdPppArguments } from './xl2tpd-conf.js';

const PPTPD = `option /etc/ppp/pptpd-options
logwtmp
connections 10
localip 192.168.0.1
remoteip 192.168.0.234-238,192.168.0.245
`;
const PPTPD_OPTIONS = `name pptpd
refuse-pap
refuse-chap
refuse-mschap
require-mschap-v2
require-mppe-128
ms-dns 192.168.0.1
ms-dns 8.8.8.8
proxyarp
lock
nobsdcomp
novj
novjccomp
nologfd
mtu 1400
mru 1400
lcp-echo-interval 20
lcp-echo-failure 3
`;
const SECRETS = `# client server secret IP addresses
alice pptpd "wonderland" *
bob pptpd builder 192.168.0.240
carol otherserver x *
`;
const XL2TPD = `[global]
port = 1701

[lns default]
ip range = 10.10.0.100-10.10.0.150
local ip = 10.10.0.1
require chap = yes
refuse pap = yes
require authentication = yes
name = pptpd
pppoptfile = /etc/ppp/options.xl2tpd
length bit = yes
`;
const XL2TPD_OPTIONS = `require-mschap-v2
ms-dns 192.168.0.1
mtu 1410
mru 1410
`;

test('merge: pptpd.conf + pptpd-options + chap-secrets → Config', () => {
  const { config, warnings } = mergeLegacy({
    pptpd: { conf: parsePptpdConf(PPTPD, '/etc/pptpd.conf'), options: parsePppOptions(PPTPD_OPTIONS, '/etc/ppp/pptpd-options') },
    secrets: parseChapSecrets(SECRETS, '/etc/ppp/chap-secrets'),
    chapSecretsPath: '/etc/ppp/chap-secrets',
  });
  assert.equal(config.listen.pptp.enabled, true);
  assert.equal(config.listen.l2tp.enabled, false);
  assert.deepEqual(config.pools, [{ name: 'pptp', local: '192.168.0.1', ranges: ['192.168.0.234-192.168.0.238', '192.168.0.245'], protocols: ['pptp'] }]);
  assert.deepEqual(config.dns, ['192.168.0.1', '8.8.8.8']);
  assert.equal(config.ppp.name, 'pptpd');
  assert.deepEqual(config.ppp.authProtocols, ['mschap-v2']);
  assert.deepEqual(config.ppp.mppe, { mode: 'require', l2tpMode: 'allow', keyBits: [128], stateful: 'refuse' });
  assert.equal(config.ppp.mtu, 1400);
  assert.deepEqual(config.ppp.keepalive, { intervalS: 20, failures: 3 });
  assert.equal(config.ppp.proxyArp, true);
  assert.equal(config.connections.max, 10);
  assert.equal(config.listen.pptp.startTimeoutS, 10);
  assert.equal(config.auth.chapSecrets, '/etc/ppp/chap-secrets');
  const text = warnings.map((w) => `${w.file}:${w.line ?? ''} ${w.message}`).join('\n');
  // bob's fixed 192.168.0.240 is outside 234-238,245; carol's entry is for another server (still one usable).
  assert.match(text, /\/etc\/ppp\/chap-secrets:3 bob's fixed address 192\.168\.0\.240 is outside every pool/);
  assert.match(text, /connections 10 but remoteip has 6 addresses/);
});

test('merge: pptpd and xl2tpd together → both listeners, two pools, one PPP policy with a warning', () => {
  const { config, warnings } = mergeLegacy({
    pptpd: { conf: parsePptpdConf(PPTPD, '/etc/pptpd.conf'), options: parsePppOptions(PPTPD_OPTIONS, '/etc/ppp/pptpd-options') },
    xl2tpd: { conf: parseXl2tpdConf(XL2TPD, '/etc/xl2tpd/xl2tpd.conf'), options: parsePppOptions(XL2TPD_OPTIONS, '/etc/ppp/options.xl2tpd') },
  });
  assert.equal(config.listen.l2tp.enabled, true);
  assert.equal(config.listen.l2tp.port, 1701);
  assert.deepEqual(config.pools.map((p) => [p.name, p.local, p.ranges]), [
    ['pptp', '192.168.0.1', ['192.168.0.234-192.168.0.238', '192.168.0.245']],
    ['l2tp', '10.10.0.1', ['10.10.0.100-10.10.0.150']],
  ]);
  assert.equal(config.ppp.mtu, 1400);
  assert.match(warnings.map((w) => w.message).join('\n'), /PPP mtu here \(1410\) differs from \/etc\/ppp\/pptpd-options \(1400\)/);
});

test('merge: xl2tpd alone with CHAP-MD5 → L2TP pool, MPPE policy for L2TP from its options file', () => {
  const conf = parseXl2tpdConf(XL2TPD, '/etc/xl2tpd/xl2tpd.conf');
  // The LNS's name = reaches pppd as xl2tpd's "name" argument, read before the options file.
  const { config, warnings } = mergeLegacy({ xl2tpd: { conf, options: parsePppOptions('require-chap\nms-dns 10.10.0.1\nmaxfail 0\n', '/etc/ppp/options.xl2tpd', xl2tpdPppArguments(conf, conf.lns[0]!).lead) } });
  assert.equal(config.listen.pptp.enabled, false);
  assert.deepEqual(config.ppp.authProtocols, ['chap']);
  // pppd without require-mppe: MPPE refused (pppd's default is nomppe).
  assert.equal(config.ppp.mppe.l2tpMode, 'refuse');
  assert.equal(config.ppp.name, 'pptpd'); // from the LNS "name ="
  // pppd: a single ms-dns is both primary and secondary.
  assert.deepEqual(config.dns, ['10.10.0.1', '10.10.0.1']);
  assert.doesNotMatch(warnings.map((w) => w.message).join('\n'), /maxfail/);
  const both = mergeLegacy({
    pptpd: { conf: parsePptpdConf(PPTPD, 'p'), options: parsePppOptions(PPTPD_OPTIONS, 'o1') },
    xl2tpd: { conf: parseXl2tpdConf(XL2TPD, 'x'), options: parsePppOptions('require-mschap-v2\nrequire-mppe-128\n', 'o2') },
  });
  assert.equal(both.config.ppp.mppe.mode, 'require');
  assert.equal(both.config.ppp.mppe.l2tpMode, 'require');
});

test('merge: options without MPPE or require-* → pppd defaults (MPPE refused as pppd\'s nomppe, all CHAP flavours and PAP)', () => {
  const { config } = mergeLegacy({ pptpd: { conf: parsePptpdConf(PPTPD, 'p'), options: parsePppOptions('auth\nname srv\n', 'o') } });
  assert.deepEqual(config.ppp.authProtocols, ['mschap-v2', 'mschap', 'chap', 'pap']);
  assert.equal(config.ppp.mppe.mode, 'refuse');
});

test('merge: chap-secrets for another server name → warning that nobody can log in', () => {
  const { warnings } = mergeLegacy({
    pptpd: { conf: parsePptpdConf(PPTPD, 'p'), options: parsePppOptions('name vpn\nrequire-mschap-v2\n', 'o') },
    secrets: parseChapSecrets('alice pptpd pw *\n', 'cs'),
  });
  assert.match(warnings.map((w) => `${w.message} (${w.hint})`).join('\n'), /no entry is for server 'vpn'.*nobody can log in \(set the second column to vpn or \*/);
});

function rejects(fn: () => unknown, file: string, line: number | undefined, msg: RegExp, hint: RegExp) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.equal(e.file, file);
    assert.equal(e.line, line);
    assert.match(e.message, msg);
    assert.match(e.hint ?? '', hint);
    return true;
  });
}

test('merge: setups that cannot work → ConfigError naming the file, line and fix', () => {
  rejects(() => mergeLegacy({ pptpd: { conf: parsePptpdConf('localip 10.0.0.1\n', '/etc/pptpd.conf') } }), '/etc/pptpd.conf', undefined, /no remoteip/, /remoteip 192\.168\.0\.234-238/);
  rejects(() => mergeLegacy({ pptpd: { conf: parsePptpdConf('remoteip 10.0.0.2-9\n', '/etc/pptpd.conf') } }), '/etc/pptpd.conf', 1, /no localip/, /localip 192\.168\.0\.1/);
  rejects(() => mergeLegacy({ pptpd: { conf: parsePptpdConf(`${PPTPD}listen vpn.example.com\n`, '/etc/pptpd.conf') } }), '/etc/pptpd.conf', 6, /listen 'vpn\.example\.com' is not an IP address/, /listen 203\.0\.113\.5/);
  rejects(() => mergeLegacy({ pptpd: { conf: parsePptpdConf(PPTPD, 'p'), options: parsePppOptions('require-pap\nrequire-mppe-128\n', '/etc/ppp/pptpd-options') } }),
    '/etc/ppp/pptpd-options', 2, /MPPE is required, but no MS-CHAP/, /require-mschap-v2/);
  rejects(() => mergeLegacy({ pptpd: { conf: parsePptpdConf(PPTPD, 'p'), options: parsePppOptions('refuse-pap\nrefuse-chap\nrefuse-mschap\nrefuse-mschap-v2\n', '/etc/ppp/o') } }),
    '/etc/ppp/o', 1, /no authentication protocol is left/, /require-mschap-v2/);
  rejects(() => mergeLegacy({ xl2tpd: { conf: parseXl2tpdConf('[lns default]\nip range = 10.0.0.2-9\n', '/etc/xl2tpd/xl2tpd.conf') } }),
    '/etc/xl2tpd/xl2tpd.conf', 1, /no local ip/, /local ip = 192\.168\.1\.99/);
  rejects(() => mergeLegacy({ xl2tpd: { conf: parseXl2tpdConf('[global]\nport = 1701\n', '/etc/xl2tpd/xl2tpd.conf') } }),
    '/etc/xl2tpd/xl2tpd.conf', undefined, /no \[lns \.\.\.\] section/, /\[lns default\]/);
  rejects(() => mergeLegacy({ xl2tpd: { conf: parseXl2tpdConf('[lns default]\nip range = 10.0.0.2-10.0.0.9\nno ip range = 10.0.0.0-10.0.0.20\nlocal ip = 10.0.0.1\n', '/x') } }),
    '/x', 1, /no usable ip range/, /ip range = /);
});
