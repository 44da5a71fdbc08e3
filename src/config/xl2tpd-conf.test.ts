import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../core/errors.js';
import { formatRange } from './ipv4.js';
import { lnsRanges, parseXl2tpdConf } from './xl2tpd-conf.js';

// The layout of xl2tpd's examples/xl2tpd.conf (L2TP/IPsec LNS for Windows clients), plus a client [lac].
const XL2TPD_CONF = `;
; xl2tpd configuration for L2TP/IPsec clients; 192.168.1.128/25 for them
;
[global]
listen-addr = 192.168.1.98
port = 1701
auth file = /etc/ppp/chap-secrets
; requires openswan-3.1 or higher
ipsec saref = yes

[lns default]
ip range = 192.168.1.128-192.168.1.254
no ip range = 192.168.1.200 - 192.168.1.209
local ip = 192.168.1.99
require chap = yes
refuse pap = yes
require authentication = yes
name = LinuxVPNserver
ppp debug = yes
pppoptfile = /etc/ppp/options.l2tpd
length bit = yes
hidden bit = no
exclusive = no
assign ip = yes

[lac office]
lns = vpn.example.com:1701
redial = yes
redial timeout = 15
max redials = 5
pppoptfile = /etc/ppp/options.l2tpd.client
length bit = yes
`;

test('xl2tpd.conf: example layout → global, [lns default] and [lac office] with lines', () => {
  const c = parseXl2tpdConf(XL2TPD_CONF, '/etc/xl2tpd/xl2tpd.conf');
  assert.deepEqual(c.global.listenAddr, { value: '192.168.1.98', line: 5 });
  assert.equal(c.global.port?.value, 1701);
  assert.equal(c.global.authFile?.value, '/etc/ppp/chap-secrets');
  assert.equal(c.global.ipsecSaref?.value, true);
  const l = c.lns[0]!;
  assert.equal(l.name, 'default');
  assert.deepEqual(lnsRanges(l).map(formatRange), ['192.168.1.128-192.168.1.199', '192.168.1.210-192.168.1.254']);
  assert.equal(l.localIp?.value, '192.168.1.99');
  assert.equal(l.requireChap?.value, true);
  assert.equal(l.refusePap?.value, true);
  assert.equal(l.requireAuthentication?.value, true);
  assert.equal(l.authName?.value, 'LinuxVPNserver');
  assert.equal(l.pppDebug?.value, true);
  assert.deepEqual(l.pppoptfile, { value: '/etc/ppp/options.l2tpd', line: 20 });
  assert.equal(l.lengthBit?.value, true);
  assert.equal(l.hiddenBit?.value, false);
  assert.equal(l.exclusive?.value, false);
  assert.equal(l.assignIp?.value, true);
  const lac = c.lac[0]!;
  assert.equal(lac.name, 'office');
  assert.deepEqual(lac.lns, [{ host: 'vpn.example.com', port: 1701, line: 27 }]);
  assert.equal(lac.redial?.value, true);
  assert.equal(lac.redialTimeout?.value, 15);
  assert.equal(lac.maxRedials?.value, 5);
  assert.deepEqual(c.warnings, []);
});

test('xl2tpd.conf: keys are case- and space-insensitive, booleans accept y/true; short range form', () => {
  const c = parseXl2tpdConf('[GLOBAL]\n[LNS default]\nIP   Range = 10.0.0.10-20 ; clients\nLocal IP=10.0.0.1\nLength Bit = Y\n# hash comment\n', 'x');
  assert.deepEqual(lnsRanges(c.lns[0]!).map(formatRange), ['10.0.0.10-10.0.0.20']);
  assert.equal(c.lns[0]!.lengthBit?.value, true);
  assert.match(c.warnings[0]!.message, /xl2tpd only knows ';' comments/);
  assert.equal(c.warnings[0]!.line, 6);
});

function rejects(text: string, line: number, msg: RegExp, hint: RegExp) {
  assert.throws(() => parseXl2tpdConf(text, '/etc/xl2tpd/xl2tpd.conf'), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.equal(e.line, line);
    assert.match(e.message, new RegExp(`^/etc/xl2tpd/xl2tpd.conf:${line}: `));
    assert.match(e.message, msg);
    assert.match(e.hint ?? '', hint);
    return true;
  });
}

test('xl2tpd.conf: bad input → ConfigError with file:line and the fix', () => {
  rejects('[lns default]\nip range = 10.0.0.2-10.0.0.9\nlocal ip = 10.0.0.1\nrequire chap = maybe\n', 4, /require chap must be 'yes' or 'no'/, /require chap = yes/);
  rejects('[global]\nip range = 10.0.0.2-10.0.0.9\n', 2, /'ip range' is not valid in \[global\]/, /move it to \[lns\]/);
  rejects('[lns default]\niprange = 10.0.0.2-10.0.0.9\n', 2, /unknown key 'iprange'/, /did you mean 'ip range'/);
  rejects('[lns default]\nip range 10.0.0.2-10.0.0.9\n', 2, /no '=' in/, /key = value/);
  rejects('ip range = 10.0.0.2\n', 1, /outside any section/, /\[lns default\]/);
  rejects('[lns default\n', 1, /no closing bracket/, /\[lns default\]/);
  rejects('[server]\n', 1, /unknown section '\[server\]'/, /\[global\], \[lns NAME\] and \[lac NAME\]/);
  rejects('[lns default]\nip range = 10.0.0.9-10.0.0.2\n', 2, /start is greater than end/, /ip range = /);
  rejects('[lns default]\nip range = 10.0.0.2-9\nlocal ip = vpn.local\n', 3, /local ip must be an IPv4 address/, /local ip = 192\.168\.1\.99/);
  rejects('[global]\nport = 70000\n', 2, /port 70000 is out of range/, /1701/);
  rejects('[lns default]\nlocal ip = 10.0.0.1\nrequire chap = yes\n', 1, /assigns addresses but has no 'ip range'/, /assign ip = no/);
  rejects('[lns default]\nip range = 10.0.0.2-9\nlocal ip range = 10.0.0.1-1\nlocal ip = 10.0.0.1\n', 4, /mutually exclusive/, /keep one/);
});
