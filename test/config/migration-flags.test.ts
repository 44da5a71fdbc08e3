/**
 * What is left of issue 17's drop-in rule, each on the real configuration
 * sets of test/fixtures/configs: pptpd's -o as --pptpd-options (OpenWrt),
 * the pppd arguments xl2tpd builds from its LNS keys read before the
 * pppoptfile, `check --json` running the same LAN-pool check as `check` and
 * `serve`, and `serve` logging the options that have no effect.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import type { NetworkInterfaceInfo } from 'node:os';
import { runCli } from '../../src/cli/main.js';
import { ConfigError } from '../../src/core/errors.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { captureContext } from '../helpers/cli-context.js';
import { withConfigSet, type InstalledSet } from '../helpers/config-sets.js';

/** Runs `tunppp check --json ARGS` with no host LAN; the parsed Config, or the exit code and stderr. */
async function checkJson(args: string[], interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = {}): Promise<{ code: number; err: string; config?: Config }> {
  const ctx = { ...captureContext(), networkInterfaces: () => interfaces };
  const code = await runCli(['check', '--json', ...args], ctx);
  return { code, err: ctx.err(), ...(ctx.out() ? { config: JSON.parse(ctx.out()) as Config } : {}) };
}

/** The set's check.args with one flag (and its value) left out. */
const without = (set: InstalledSet, flag: string): string[] => {
  const i = set.args.indexOf(flag);
  return i < 0 ? set.args : [...set.args.slice(0, i), ...set.args.slice(i + 2)];
};

test('--pptpd-options: OpenWrt (pptpd -o /var/etc/options.pptpd) → its MPPE and auth policy; without it pppd defaults with a warning', async () => {
  await withConfigSet('openwrt-pptpd', async (set) => {
    const withIt = await checkJson(set.args);
    assert.equal(withIt.code, 0, withIt.err);
    assert.equal(withIt.config!.ppp.mppe.mode, 'require');
    assert.deepEqual(withIt.config!.ppp.mppe.keyBits, [128]);
    assert.deepEqual(withIt.config!.ppp.authProtocols, ['mschap-v2']);
    assert.doesNotMatch(withIt.err, /no "option" line/);
    assert.deepEqual(withIt.config!.ppp.mppe.stateful, 'refuse');
    const bare = await checkJson(without(set, '--pptpd-options'));
    assert.equal(bare.code, 0, bare.err);
    assert.notDeepEqual(bare.config!.ppp, withIt.config!.ppp);
    assert.match(bare.err, /no "option" line[^\n]*pppd would run with its defaults/);
    assert.match(bare.err, /--pptpd-options FILE \(pptpd -o\)/);
  });
});

test('--pptpd-options replaces pptpd.conf\'s option line, as pptpd\'s -o does, and says so; alone it is a usage error', async () => {
  await withConfigSet('debian-handbook-pptp', async (set) => {
    const other = set.path('/etc/ppp/options.other');
    writeFileSync(other, 'name other\nrequire-mschap-v2\nrequire-mppe-128\nms-dns 10.9.9.9\nproxyarp\n');
    const r = await checkJson([...set.args, '--pptpd-options', other]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.config!.ppp.name, 'other');
    assert.deepEqual(r.config!.dns, ['10.9.9.9', '10.9.9.9']);
    assert.match(r.err, /pptpd\.conf:\d+: option \S+pptpd-options is not read: --pptpd-options \S+options\.other replaces it, as pptpd's -o does/);
    const loaded = await loadConfig({ pptpdConf: set.path('/etc/pptpd.conf'), pptpdOptions: other, chapSecrets: set.path('/etc/ppp/chap-secrets') });
    assert.ok(loaded.sources.includes(other) && !loaded.sources.includes(set.path('/etc/ppp/pptpd-options')), loaded.sources.join(', '));
    const alone = await checkJson(['--pptpd-options', other]);
    assert.equal(alone.code, 2);
    assert.match(alone.err, /--pptpd-options needs --pptpd-conf/);
  });
});

/** The hwdsl2 set with its xl2tpd.conf's [lns default] lines edited by `edit`. */
async function hwdsl2(edit: (conf: string) => string, options?: (text: string) => string): Promise<Awaited<ReturnType<typeof loadConfig>>> {
  return withConfigSet('hwdsl2-setup-ipsec-vpn', async (set) => {
    const conf = set.path('/etc/xl2tpd/xl2tpd.conf');
    writeFileSync(conf, edit(readFileSync(conf, 'utf8')));
    if (options) {
      const o = set.path('/etc/ppp/options.xl2tpd');
      writeFileSync(o, options(readFileSync(o, 'utf8')));
    }
    return loadConfig({ xl2tpdConf: conf, chapSecrets: set.path('/etc/ppp/chap-secrets') });
  });
}

test('xl2tpd: hwdsl2\'s require chap = yes reaches pppd as require-chap, so with +mschap-v2 in options.xl2tpd CHAP-MD5 is accepted too (as pppd does)', async () => {
  const l = await hwdsl2((c) => c);
  assert.deepEqual(l.config.ppp.authProtocols, ['mschap-v2', 'chap']);
  assert.equal(l.config.auth.required, true);
  assert.equal(l.config.ppp.name, 'l2tpd');
  const passed = (l.notes ?? []).filter((n) => /xl2tpd passes pppd/.test(n.text)).map((n) => n.text);
  // xl2tpd's order (control.c): refusals, then auth and require-*, then name; the options file after.
  assert.deepEqual(passed, [
    'refuse pap = yes (xl2tpd passes pppd: refuse-pap)',
    'require authentication = yes (xl2tpd passes pppd: auth)',
    'require chap = yes (xl2tpd passes pppd: require-chap)',
    'name = l2tpd (xl2tpd passes pppd: name l2tpd)',
  ]);
  assert.ok((l.notes ?? []).findIndex((n) => /xl2tpd passes/.test(n.text)) < (l.notes ?? []).findIndex((n) => /options\.xl2tpd$/.test(n.file)));
});

test('xl2tpd: require chap/pap reach pppd only with require authentication = yes; without it the line does nothing, and says so', async () => {
  const l = await hwdsl2((c) => c.replace('require authentication = yes\n', '').replace('require chap = yes', 'require chap = yes\nrequire pap = yes'));
  assert.deepEqual(l.config.ppp.authProtocols, ['mschap-v2']);
  const chap = (l.notes ?? []).find((n) => n.text === 'require chap = yes');
  assert.equal(chap?.verdict, 'not applicable');
  assert.match(chap.detail, /only with require authentication = yes/);
  assert.ok((l.notes ?? []).some((n) => n.text === 'require pap = yes' && n.verdict === 'not applicable'));
});

test('xl2tpd: require authentication = no passes no auth — pppd (root) then requires none unless the options file does; the options file is read after', async () => {
  const noAuthAtAll = await hwdsl2((c) => c.replace('require authentication = yes', 'require authentication = no'), (o) => o.replace('+mschap-v2\n', '').replace(/^auth\n/m, ''));
  assert.equal(noAuthAtAll.config.auth.required, false);
  assert.ok(noAuthAtAll.warnings.some((w) => /xl2tpd\.conf$/.test(w.file) && w.line === 9 && /noauth: clients connect without a password/.test(w.message) && /require authentication = yes/.test(w.hint ?? '')));
  const fileRequires = await hwdsl2((c) => c.replace('require authentication = yes', 'require authentication = no'));
  assert.equal(fileRequires.config.auth.required, true);
  assert.deepEqual(fileRequires.config.ppp.authProtocols, ['mschap-v2']);
});

test('xl2tpd: name, ppp debug and pass peer as pppd sees them — the options file\'s name wins, debug is applied, ipparam has no effect', async () => {
  const l = await hwdsl2((c) => c.replace('name = l2tpd', 'name = l2tpd\nppp debug = yes\npass peer = yes'), (o) => `${o}name from-options\n`);
  assert.equal(l.config.ppp.name, 'from-options');
  assert.equal(l.config.ppp.debug, true);
  const ipparam = (l.notes ?? []).find((n) => /^pass peer = yes/.test(n.text));
  assert.equal(ipparam?.verdict, 'not applicable');
  const length = (l.notes ?? []).find((n) => n.text === 'length bit = yes');
  assert.equal(length?.verdict, 'not applicable');
  assert.match(length.detail, /Length field/);
});

test('xl2tpd: refuse authentication = yes passes refuse-pap and refuse-chap; with require chap = yes that is an error naming the difference', async () => {
  const refused = await hwdsl2((c) => c.replace('require chap = yes\n', '').replace('refuse pap = yes', 'refuse authentication = yes'));
  assert.deepEqual(refused.config.ppp.authProtocols, ['mschap-v2']);
  await assert.rejects(hwdsl2((c) => c.replace('refuse pap = yes', 'refuse authentication = yes')), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /require-chap and refuse-chap both given: pppd would require chap from clients and only refuse to authenticate itself with it/);
    assert.match(e.file ?? '', /xl2tpd\.conf$/);
    assert.equal(e.line, 7);
    return true;
  });
});

test('check --json runs the LAN-pool check of check and serve: OpenWrt\'s pool on a LAN renumbered to 192.168.0.0/24 without proxyarp → exit 2, the reason on stderr', async () => {
  const lan: NodeJS.Dict<NetworkInterfaceInfo[]> = {
    'br-lan': [{ address: '192.168.0.1', netmask: '255.255.255.0', family: 'IPv4', mac: '02:00:00:00:00:01', internal: false, cidr: '192.168.0.1/24' }],
  };
  await withConfigSet('openwrt-pptpd', async (set) => {
    const r = await checkJson(set.args, lan);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /On this host serve would refuse to start: [^\n]*192\.168\.0\.20[^\n]*\n  fix: [^\n]*proxyarp/);
    assert.ok(r.config, 'the Config is still printed');
    const plain = { ...captureContext(), networkInterfaces: () => lan };
    assert.equal(await runCli(['check', ...set.args], plain), 2);
    assert.match(plain.out(), /On this host serve would refuse to start/);
    assert.equal((await checkJson(set.args)).code, 0);
  });
});

test('serve logs each pppd option that has no effect once at start, at info level, with file:line and the reason', async () => {
  await withConfigSet('debian-handbook-pptp', async (set) => {
    const ctx = captureContext();
    assert.equal(await runCli(['serve', '--check', ...set.args], ctx), 0, ctx.err());
    const lines = ctx.err().split('\n').filter((l) => /has no effect in tunppp/.test(l));
    assert.equal(lines.length, 3, ctx.err());
    for (const opt of ['netmask 255.255.255.0', 'nodefaultroute', 'lock']) {
      const line = lines.find((l) => l.includes(`option ${opt} in ${set.path('/etc/ppp/pptpd-options')}:`));
      assert.ok(line, `${opt}: ${ctx.err()}`);
      assert.match(line, /has no effect in tunppp: \S/);
    }
    // Info level: gone with --log-level warn, while the warnings stay.
    const quiet = captureContext();
    assert.equal(await runCli(['serve', '--check', '--log-level', 'warn', ...set.args], quiet), 0, quiet.err());
    assert.doesNotMatch(quiet.err(), /has no effect in tunppp/);
  });
});
