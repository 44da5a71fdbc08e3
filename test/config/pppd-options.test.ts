/**
 * pppd options as pppd reads them: the option table covers pppd's own tables
 * and the reader handles exactly the options the table says are applied;
 * typos stop loading (pppd refuses unknown options), aliases do what pppd's
 * aliases do, and refused options say why.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/core/errors.js';
import { mergeLegacy } from '../../src/config/merge.js';
import { acceptedAuthProtocols, HANDLERS, lastTwo, mppePolicy, parsePppOptions } from '../../src/config/ppp-options.js';
import { PATCHED_PPPD_OPTIONS, PLUGIN_OPTIONS, PPPD_OPTIONS } from '../../src/config/pppd-option-table.js';
import { parsePptpdConf } from '../../src/config/pptpd-conf.js';

const PPTPD = 'option /etc/ppp/pptpd-options\nlocalip 10.9.0.1\nremoteip 10.9.0.10-20\n';

function refused(text: string, line: number, message: RegExp, hint: RegExp): void {
  assert.throws(() => parsePppOptions(text, '/etc/ppp/pptpd-options'), (e: unknown) => {
    assert.ok(e instanceof ConfigError, String(e));
    assert.equal(e.line, line);
    assert.match(e.message, message);
    assert.match(e.hint ?? '', hint);
    return true;
  });
}

test('option table: every applied option has a handler and every handler is an applied option', () => {
  const table = { ...PPPD_OPTIONS, ...PATCHED_PPPD_OPTIONS };
  for (const [name, row] of Object.entries(table)) {
    if (row.verdict.kind !== 'applied') continue;
    const target = row.aliasOf ?? name;
    assert.ok(Object.hasOwn(HANDLERS, target), `${name} is applied but has no handler`);
  }
  for (const name of Object.keys(HANDLERS)) {
    assert.ok(Object.hasOwn(table, name), `handler ${name} is not in the option table`);
    assert.equal(table[name]!.verdict.kind, 'applied', `handler ${name} is for an option the table does not apply`);
    assert.equal(table[name]!.aliasOf, undefined, `handler ${name} is keyed by an alias`);
  }
  for (const [name, row] of Object.entries(table)) {
    if (row.aliasOf) {
      assert.ok(Object.hasOwn(table, row.aliasOf), `${name} aliases unknown ${row.aliasOf}`);
      assert.equal(table[row.aliasOf]!.verdict.kind, row.verdict.kind, `${name} and ${row.aliasOf} are classified differently`);
      assert.equal(table[row.aliasOf]!.args, row.args, `${name} and ${row.aliasOf} take different arguments`);
    }
  }
  for (const name of Object.keys(PLUGIN_OPTIONS)) assert.ok(!Object.hasOwn(table, name), `${name} is both a pppd and a plugin option`);
});

test('option table: each option is read with its argument count; refused ones name the reason, the rest load', () => {
  for (const [name, row] of Object.entries({ ...PPPD_OPTIONS, ...PATCHED_PPPD_OPTIONS })) {
    const value: Record<string, string> = { ipv6: ',', mppe: 'required', 'ms-dns': '10.0.0.1', 'ms-wins': '10.0.0.2', mtu: '1400', mru: '1400', idle: '60', 'lcp-echo-interval': '30', 'lcp-echo-failure': '4' };
    const text = `${name}${row.args ? ` ${value[name] ?? 'x'}` : ''}\nname marker\n`;
    if (row.verdict.kind === 'refused') {
      refused(text, 1, new RegExp(`cannot be honoured: ${row.verdict.why.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`), /./);
      continue;
    }
    const o = parsePppOptions(text, 'o');
    assert.equal(o.notes[0]!.verdict, row.verdict.kind === 'applied' ? 'applied' : 'not applicable', name);
    // The argument was consumed: the next line is read as an option.
    assert.equal(o.name?.value, 'marker', `${name} swallowed the next line`);
  }
});

test('typos in security options → ConfigError with the nearest name (was: a warning, MPPE "allow", every protocol accepted)', () => {
  refused('name pptpd\nrequre-mppe-128\n', 2, /unrecognized pppd option 'requre-mppe-128' \(pppd would refuse to start\)/, /did you mean require-mppe-128/);
  refused('require-mschapv2\n', 1, /unrecognized pppd option 'require-mschapv2'/, /did you mean require-mschap-v2/);
  refused('frobnicate-everything\n', 1, /unrecognized pppd option/, /check the spelling in pppd\(8\)/);
  refused('nomppe-56\n', 1, /unrecognized pppd option 'nomppe-56'/, /nomppe-40|nomppe-128/);
});

test('pppd aliases: +mschap-v2 requires MS-CHAPv2 only; -pap/-chap/-mschap refuse; +mppe-128 requires 128-bit MPPE', () => {
  // hwdsl2/setup-ipsec-vpn writes "+mschap-v2"; before, MS-CHAPv1 stayed allowed.
  const o = parsePppOptions('+mschap-v2\n-pap\n-chap\n-mschap\n+mppe-128\n', 'o');
  assert.deepEqual(acceptedAuthProtocols(o), ['mschap-v2']);
  assert.deepEqual([...o.refuse.keys()], ['pap', 'chap', 'mschap']);
  assert.deepEqual(mppePolicy(o), { mode: 'require', keyBits: [128], stateful: false, line: 5 });
  assert.deepEqual(acceptedAuthProtocols(parsePppOptions('+pap\n+chap\n', 'o')), ['chap', 'pap']);
  assert.deepEqual(acceptedAuthProtocols(parsePppOptions('-mschap-v2\n+mschap\n', 'o')), ['mschap']);
  assert.equal(mppePolicy(parsePppOptions('+mppe\n-mppe-40\n', 'o')).keyBits.join(), '128');
  assert.equal(mppePolicy(parsePppOptions('+mppe\n-mppe\n', 'o')).mode, 'refuse');
});

test('MPPE as pppd: no require-mppe → refused (pppd default nomppe); require-mppe → 40+128; order matters', () => {
  assert.equal(mppePolicy(parsePppOptions('require-mschap-v2\n', 'o')).mode, 'refuse');
  assert.deepEqual(mppePolicy(parsePppOptions('require-mppe\n', 'o')).keyBits, [128, 40]);
  assert.deepEqual(mppePolicy(parsePppOptions('nomppe-40\nrequire-mppe\n', 'o')).keyBits, [128, 40]);
  assert.deepEqual(mppePolicy(parsePppOptions('require-mppe\nnomppe-40\n', 'o')).keyBits, [128]);
  assert.deepEqual(mppePolicy(parsePppOptions('require-mppe-40\nrequire-mppe-128\n', 'o')).keyBits, [128, 40]);
  assert.equal(mppePolicy(parsePppOptions('require-mppe-128\nnomppe\n', 'o')).mode, 'refuse');
});

test('domain is core pppd: without name, the PPP name is host.domain; usehostname; require-* implies auth', () => {
  const conf = parsePptpdConf(PPTPD, '/etc/pptpd.conf');
  const merged = (text: string) => mergeLegacy({ pptpd: { conf, options: parsePppOptions(text, '/etc/ppp/pptpd-options') }, hostName: 'vpn1' }).config;
  assert.equal(merged('require-mschap-v2\nrequire-mppe-128\ndomain example.org\n').ppp.name, 'vpn1.example.org');
  assert.equal(merged('require-mschap-v2\nrequire-mppe-128\nname pptpd\ndomain example.org\n').ppp.name, 'pptpd');
  assert.equal(merged('require-mschap-v2\nrequire-mppe-128\nname pptpd\nusehostname\n').ppp.name, 'vpn1');
  assert.equal(merged('require-mschap-v2\nrequire-mppe-128\n').ppp.name, 'vpn1');
  assert.equal(merged('noauth\nrequire-mschap-v2\nrequire-mppe-128\n').auth.required, true);
});

test('refused options say what pppd would do and the fix', () => {
  refused('require-mschap-v2\nip-up-script /etc/ppp/my-up\n', 2, /'ip-up-script \/etc\/ppp\/my-up' cannot be honoured: tunppp runs no pppd scripts/, /firewall rules/);
  refused('defaultroute\n', 1, /route the server's own traffic through the first client/, /nodefaultroute/);
  refused('login\n', 1, /system password database/, /chap-secrets/);
  refused('chapms-strip-domain\n', 1, /DOMAIN\\user/, /remove it/);
  refused('file /etc/ppp/more\n', 1, /reads more options from another file/, /copy the options/);
});

test('ms-dns / ms-wins: the last two values, as pppd ipcp.c setdnsaddr (one value is both)', () => {
  assert.deepEqual(lastTwo(['1.1.1.1']), ['1.1.1.1', '1.1.1.1']);
  assert.deepEqual(lastTwo(['1.1.1.1', '2.2.2.2']), ['1.1.1.1', '2.2.2.2']);
  assert.deepEqual(lastTwo(['1.1.1.1', '2.2.2.2', '3.3.3.3']), ['2.2.2.2', '3.3.3.3']);
  assert.deepEqual(lastTwo(['1.1.1.1', '0.0.0.0']), ['1.1.1.1']);
  assert.deepEqual(lastTwo([]), []);
  const conf = parsePptpdConf(PPTPD, '/etc/pptpd.conf');
  const c = mergeLegacy({ pptpd: { conf, options: parsePppOptions('require-mschap-v2\nrequire-mppe-128\nms-dns 10.0.0.1\nms-dns 10.0.0.2\nms-dns 10.0.0.3\nms-wins 10.0.0.9\n', 'o') } }).config;
  assert.deepEqual(c.dns, ['10.0.0.2', '10.0.0.3']);
  assert.deepEqual(c.wins, ['10.0.0.9', '10.0.0.9']);
});

test('plugin options stay warnings; radius-config-file is used, so it is not warned about', () => {
  const o = parsePppOptions('plugin radius.so\nradius-config-file /etc/r.conf\navpair NAS-Port-Id=1\nplugin winbind.so\nntlm_auth-helper /usr/bin/ntlm_auth\n', 'o');
  assert.deepEqual(o.warnings.map((w) => [w.line, /avpair|ntlm_auth-helper/.exec(w.message)?.[0]]), [[3, 'avpair'], [5, 'ntlm_auth-helper']]);
  assert.deepEqual(o.pluginOptions.map((p) => p.option), ['radius-config-file', 'avpair', 'ntlm_auth-helper']);
  const alone = parsePppOptions('radius-config-file /etc/r.conf\n', 'o');
  assert.match(alone.warnings[0]!.message, /without 'plugin radius.so'/);
});
