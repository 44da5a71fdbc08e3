import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../core/errors.js';
import { acceptedAuthProtocols, mppePolicy, parsePppOptions } from './ppp-options.js';

// The shape of Debian's /etc/ppp/pptpd-options (options.pptpd), uncommented the usual way.
const OPTIONS_PPTPD = `###############################################################################
# /etc/ppp/pptpd-options
###############################################################################

# Authentication
name pptpd

# Encryption
refuse-pap
refuse-chap
refuse-mschap
require-mschap-v2
require-mppe-128

# Network and Routing
ms-dns 10.0.0.1
ms-dns 10.0.0.2
ms-wins 10.0.0.3
proxyarp
nodefaultroute

# Logging
debug
dump

# Miscellaneous
lock
nobsdcomp
novj
novjccomp
nologfd
mtu 1400
mru 1400
lcp-echo-interval 30
lcp-echo-failure 4
idle 1800
maxfail 3
+ipv6
plugin radius.so
radius-config-file /etc/radiusclient/radiusclient.conf
logfile /var/log/pptpd.log
`;

test('pppd options: options.pptpd → applied and not-applicable options with lines, plugin options kept', () => {
  const o = parsePppOptions(OPTIONS_PPTPD, '/etc/ppp/pptpd-options');
  assert.deepEqual(o.name, { value: 'pptpd', line: 6 });
  assert.deepEqual([...o.refuse.keys()], ['pap', 'chap', 'mschap']);
  assert.deepEqual([...o.require.keys()], ['mschap-v2']);
  assert.deepEqual(acceptedAuthProtocols(o), ['mschap-v2']);
  assert.deepEqual(mppePolicy(o), { mode: 'require', keyBits: [128], stateful: false, line: 13 });
  assert.deepEqual(o.msDns.map((d) => d.value), ['10.0.0.1', '10.0.0.2']);
  assert.deepEqual(o.msWins.map((d) => d.value), ['10.0.0.3']);
  assert.equal(o.proxyarp?.value, true);
  assert.equal(o.debug, true);
  assert.equal(o.mtu?.value, 1400);
  assert.equal(o.mru?.value, 1400);
  assert.equal(o.lcpEchoInterval?.value, 30);
  assert.equal(o.lcpEchoFailure?.value, 4);
  assert.equal(o.idle?.value, 1800);
  assert.equal(o.ipv6?.value, true);
  assert.deepEqual(o.plugins, [{ value: 'radius.so', line: 39 }]);
  assert.deepEqual(o.notes.filter((n) => n.verdict === 'not applicable').map((x) => x.text), ['nodefaultroute', 'dump', 'lock', 'nobsdcomp', 'novj', 'novjccomp', 'nologfd', 'maxfail 3', 'logfile /var/log/pptpd.log']);
  assert.deepEqual(o.pluginOptions, [{ option: 'radius-config-file', plugin: 'radius.so', args: ['/etc/radiusclient/radiusclient.conf'], line: 40 }]);
  assert.deepEqual(o.warnings, []);
});

// An L2TP/IPsec options.xl2tpd of the kind VPN install scripts write (RADIUS plugin included).
const OPTIONS_XL2TPD = `ipcp-accept-local
ipcp-accept-remote
refuse-eap
refuse-pap
require-chap
require-mschap
require-mschap-v2
auth
noccp
hide-password
idle 1800
mtu 1410
mru 1410
nodefaultroute
debug
proxyarp
connect-delay 5000
lcp-echo-failure 10
lcp-echo-interval 60
ms-dns 8.8.8.8
ms-dns 8.8.4.4
plugin radius.so
plugin radattr.so
avpair NAS-Port-Id=1701
radius-config-file /etc/radiusclient/radiusclient.conf
`;

test('pppd options: options.xl2tpd with noccp and a RADIUS plugin → MPPE refused, plugin options kept, avpair warned', () => {
  const o = parsePppOptions(OPTIONS_XL2TPD, '/etc/ppp/options.xl2tpd');
  assert.deepEqual(acceptedAuthProtocols(o), ['mschap-v2', 'mschap', 'chap']);
  assert.equal(mppePolicy(o).mode, 'refuse');
  assert.equal(o.auth?.value, true);
  assert.equal(o.mtu?.value, 1410);
  assert.deepEqual(o.plugins.map((p) => p.value), ['radius.so', 'radattr.so']);
  assert.deepEqual(o.pluginOptions.map((u) => [u.option, u.args.join(' '), u.line]), [
    ['avpair', 'NAS-Port-Id=1701', 24],
    ['radius-config-file', '/etc/radiusclient/radiusclient.conf', 25],
  ]);
  assert.deepEqual(o.warnings.map((w) => w.line), [24]);
  assert.deepEqual(o.notes.filter((n) => n.verdict === 'not applicable').map((x) => x.text), ['ipcp-accept-local', 'ipcp-accept-remote', 'hide-password', 'nodefaultroute', 'connect-delay 5000']);
});

test('pppd options: the MPPE-MPPC patch syntax "mppe required,no40,no56,stateless"', () => {
  const o = parsePppOptions('require-mschap-v2\nmppe required,no40,no56,stateless\n', 'o');
  assert.deepEqual(mppePolicy(o), { mode: 'require', keyBits: [128], stateful: false, line: 2 });
});

test('pppd options: later settings override earlier ones; mppe-stateful, ipv6 ",", noauth, address pair', () => {
  const o = parsePppOptions('mtu 1400\nmtu 1450\nnomppe-stateful\nmppe-stateful\nipv6 ,\nnoauth\n10.0.0.1:10.0.0.2\n', 'o');
  assert.equal(o.mtu?.value, 1450);
  assert.equal(o.mtu?.line, 2);
  assert.equal(o.mppe.stateful?.value, true);
  assert.equal(o.ipv6?.value, true);
  assert.equal(o.auth?.value, false);
  assert.deepEqual(o.addresses?.value, { local: '10.0.0.1', remote: '10.0.0.2' });
});

test('pppd options: arguments are read across lines and quoted, as pppd does', () => {
  const o = parsePppOptions('name\n  "my server"  # comment\nms-dns\n1.1.1.1\n', 'o');
  assert.equal(o.name?.value, 'my server');
  assert.equal(o.name?.line, 1);
  assert.deepEqual(o.msDns.map((d) => d.value), ['1.1.1.1']);
});

function rejects(text: string, line: number, msg: RegExp, hint: RegExp) {
  assert.throws(() => parsePppOptions(text, '/etc/ppp/options.xl2tpd'), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.equal(e.line, line);
    assert.match(e.message, new RegExp(`^/etc/ppp/options.xl2tpd:${line}: `));
    assert.match(e.message, msg);
    assert.match(e.hint ?? '', hint);
    return true;
  });
}

test('pppd options: bad values → ConfigError with file:line and the fix', () => {
  rejects('# x\nmtu big\n', 2, /invalid numeric parameter 'big' for 'mtu'/, /mtu 1400/);
  rejects('mru 70000\n', 1, /invalid numeric parameter/, /mru 1400/);
  rejects('ms-dns dns.example\n', 1, /needs an IPv4 address, got 'dns.example': pppd would resolve the host name/, /ms-dns 1\.1\.1\.1/);
  rejects('lock\nname\n', 2, /requires an argument/, /same line/);
  rejects('mppe required,no41\n', 1, /unknown mppe flag 'no41'/, /mppe required,no40,no56,stateless/);
  rejects('require-pap\nrefuse-pap\n', 1, /require-pap and refuse-pap both given/, /line 2/);
  rejects('require-mppe-128\nnomppe-128\nnomppe-40\n', 1, /every key length is refused later \(line 3\); pppd would run without encryption/, /require-mppe-128/);
  rejects('ipv6 fe80::1\n', 1, /LOCAL,REMOTE/, /ipv6 ,/);
  rejects('ipv6 ::1,::2\n', 1, /tunppp chooses them itself/, /\+ipv6/);
  rejects('noccp\nrequire-mppe-128\n', 1, /noccp turns CCP off/, /remove noccp/);
  rejects('ms-dns 1.1.1.1 "\n', 1, /unterminated double quote/, /close the quote/);
});
