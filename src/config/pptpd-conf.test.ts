import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../core/errors.js';
import { formatRange } from './ipv4.js';
import { parsePptpdConf } from './pptpd-conf.js';

// Layout of the sample /etc/pptpd.conf shipped by Debian's pptpd package (TAG comments, option, localip/remoteip).
const PPTPD_CONF = `###############################################################################
# Sample Poptop configuration file /etc/pptpd.conf
###############################################################################

# TAG: ppp
ppp /usr/sbin/pppd

# TAG: option
option /etc/ppp/pptpd-options

# TAG: debug
#debug

# TAG: stimeout
stimeout 10

# TAG: noipparam
noipparam

# TAG: logwtmp
logwtmp

# TAG: connections
connections 50

# TAG: localip
# TAG: remoteip
localip 192.168.0.1
remoteip 192.168.0.234-238,192.168.0.245
listen 203.0.113.5
`;

test('pptpd.conf: Debian sample layout → every keyword with its line', () => {
  const c = parsePptpdConf(PPTPD_CONF, '/etc/pptpd.conf');
  assert.deepEqual(c.option, { value: '/etc/ppp/pptpd-options', line: 9 });
  assert.equal(c.ppp?.value, '/usr/sbin/pppd');
  assert.equal(c.debug, false);
  assert.equal(c.stimeout?.value, 10);
  assert.equal(c.noipparam, true);
  assert.equal(c.logwtmp, true);
  assert.equal(c.delegate, false);
  assert.equal(c.connections?.value, 50);
  assert.deepEqual(c.localip?.value.map(formatRange), ['192.168.0.1']);
  assert.deepEqual(c.remoteip?.value.map(formatRange), ['192.168.0.234-192.168.0.238', '192.168.0.245']);
  assert.equal(c.remoteip?.line, 29);
  assert.equal(c.listen?.value, '203.0.113.5');
  assert.deepEqual(c.warnings, []);
});

test('pptpd.conf: a range in an earlier octet steps only that octet, as pptpd does', () => {
  const c = parsePptpdConf('remoteip 10.1-3.0.5\n', 'p');
  assert.deepEqual(c.remoteip?.value.map(formatRange), ['10.1.0.5', '10.2.0.5', '10.3.0.5']);
});

test('pptpd.conf: first occurrence wins, indented and unknown lines are warnings', () => {
  const c = parsePptpdConf('localip 10.0.0.1\nlocalip 10.9.9.9\n  remoteip 10.0.0.2\nLocalIP 1.2.3.4\nbcrelay eth1\ndelegate\n', 'p');
  assert.equal(c.localip?.line, 1);
  assert.equal(c.remoteip, undefined);
  assert.equal(c.delegate, true);
  const msgs = c.warnings.map((w) => `${w.line}: ${w.message}`);
  assert.match(msgs[0]!, /^2: 'localip' already set on line 1/);
  assert.match(msgs[1]!, /^3: line starts with white space/);
  assert.match(msgs[2]!, /^4: unknown keyword 'LocalIP'.*lower case: localip/);
  assert.match(msgs[3]!, /^5: bcrelay/);
});

function rejects(text: string, line: number, msg: RegExp, hint: RegExp) {
  assert.throws(() => parsePptpdConf(text, '/etc/pptpd.conf'), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.equal(e.file, '/etc/pptpd.conf');
    assert.equal(e.line, line);
    assert.match(e.message, new RegExp(`^/etc/pptpd.conf:${line}: `));
    assert.match(e.message, msg);
    assert.match(e.hint ?? '', hint);
    return true;
  });
}

test('pptpd.conf: bad address lists → ConfigError with file:line and the pptpd syntax', () => {
  rejects('# c\nremoteip 192.168.0.0/24\n', 2, /does not accept CIDR/, /remoteip 192\.168\.0\.10-250/);
  rejects('remoteip 192.168.0.234-8\n', 1, /runs backwards/, /192\.168\.0\.234-238/);
  rejects('localip 192.168.0.1\nremoteip 192.168.0.10, 192.168.0.11\n', 2, /spaces are not allowed/, /remoteip 192\.168\.0\.10,192\.168\.0\.11/);
  rejects('remoteip 192.168.0.10-192.168.0.20\n', 1, /not a pptpd range/, /192\.168\.0\.234-238/);
  rejects('remoteip 192.168.0.300\n', 1, /not an IPv4 address/, /separated by commas/);
  rejects('localip vpn.example.com\n', 1, /not an IPv4 address/, /host names/);
  rejects('remoteip 10.0.0.2,,10.0.0.3\n', 1, /empty item/, /comma/);
  rejects('localip 10.0.0.1 # server\n', 1, /no comments after a value/, /own line/);
  rejects('connections many\n', 1, /not a number/, /connections 100/);
  rejects('option\n', 1, /needs a value/, /option \/etc\/ppp\/pptpd-options/);
});

test('pptpd.conf: vrf → refused naming the difference and ip vrf exec; pidfile → warned (no pid file)', () => {
  assert.throws(
    () => parsePptpdConf('localip 10.0.0.1\nremoteip 10.0.0.2-9\nvrf blue\n', '/etc/pptpd.conf'),
    (e: unknown) => e instanceof ConfigError && e.code === 'CONFIG_UNSUPPORTED' && /\/etc\/pptpd\.conf:3: vrf blue/.test(e.message) && /ip vrf exec blue tunppp serve/.test(e.hint ?? ''),
  );
  const c = parsePptpdConf('pidfile /run/pptpd.pid\nlocalip 10.0.0.1\nremoteip 10.0.0.2-9\n', '/etc/pptpd.conf');
  assert.ok(c.warnings.some((w) => w.line === 1 && /tunppp writes no pid file/.test(w.message)));
});
