/**
 * `tunppp check --json` prints a Config that `--config` loads back unchanged;
 * `--config` laid over pptpd/xl2tpd files adds to them; a radius.so site's
 * radiusclient.conf and servers file become tunppp's RADIUS settings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/main.js';
import { ConfigError } from '../../src/core/errors.js';
import { loadConfig } from '../../src/config/load.js';
import { captureContext } from '../helpers/cli-context.js';

function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tunppp-checkjson-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function pptpdSite(dir: string, options: string): string {
  writeFileSync(join(dir, 'chap-secrets'), 'carol pptpd secret *\n', { mode: 0o600 });
  writeFileSync(join(dir, 'pptpd-options'), options);
  writeFileSync(join(dir, 'pptpd.conf'), `option ${join(dir, 'pptpd-options')}\nlocalip 10.5.0.1\nremoteip 10.5.0.100-120\n`);
  return join(dir, 'pptpd.conf');
}

test('check --json → a file --config loads to the same Config (round trip)', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const conf = pptpdSite(dir, 'name pptpd\n+mschap-v2\nrequire-mppe-128\nms-dns 10.5.0.1\nms-dns 10.5.0.2\nmtu 1400\nproxyarp\nlock\n');
    const first = captureContext();
    assert.equal(await runCli(['check', '--json', '--pptpd-conf', conf, '--chap-secrets', join(dir, 'chap-secrets')], first), 0, first.err());
    writeFileSync(join(dir, 'tunppp.json'), first.out());
    const again = captureContext();
    assert.equal(await runCli(['check', '--json', '--config', join(dir, 'tunppp.json')], again), 0, again.err());
    assert.deepEqual(JSON.parse(again.out()), JSON.parse(first.out()));
    const c = JSON.parse(first.out()) as { ppp: { authProtocols: string[] }; dns: string[] };
    assert.deepEqual(c.ppp.authProtocols, ['mschap-v2']);
    assert.deepEqual(c.dns, ['10.5.0.1', '10.5.0.2']);
  } finally {
    cleanup();
  }
});

test('check --explain: each pppd option with what it does, or why it does not apply', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const conf = pptpdSite(dir, 'name pptpd\nrequire-mschap-v2\nrequire-mppe-128\nlock\n');
    const ctx = captureContext();
    assert.equal(await runCli(['check', '--explain', '--pptpd-conf', conf, '--chap-secrets', join(dir, 'chap-secrets')], ctx), 0, ctx.err());
    assert.match(ctx.out(), /pptpd-options:2 {2}require-mschap-v2 {2}→ applied: MS-CHAPv2 is one of the protocols offered/);
    assert.match(ctx.out(), /pptpd-options:4 {2}lock {2}→ not applicable: a serial-line setting/);
  } finally {
    cleanup();
  }
});

test('--config with --pptpd-conf → tunppp.json keys laid over the pptpd setup, with a warning for each replaced value', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const conf = pptpdSite(dir, 'name pptpd\nrequire-mschap-v2\nrequire-mppe-128\nms-dns 10.5.0.1\n');
    writeFileSync(join(dir, 'extra.json'), JSON.stringify({ dns: ["9.9.9.9"], clientIsolation: false }));
    const l = await loadConfig({ pptpdConf: conf, config: join(dir, 'extra.json'), chapSecrets: join(dir, 'chap-secrets') });
    assert.deepEqual(l.config.dns, ['9.9.9.9']);
    assert.equal(l.config.pools[0]!.local, '10.5.0.1');
    assert.equal(l.config.ppp.name, 'pptpd');
    assert.equal(l.config.clientIsolation, false);
    assert.ok(l.sources.includes(join(dir, 'extra.json')));
    assert.match(l.warnings.map((w) => `${w.file}: ${w.message}`).join('\n'), /extra\.json: dns replaces what the pptpd\/xl2tpd files give/);
    writeFileSync(join(dir, 'bad.json'), '{ "dns": [1.2.3.4.5] }');
    await assert.rejects(loadConfig({ pptpdConf: conf, config: join(dir, 'bad.json'), chapSecrets: join(dir, 'chap-secrets') }), (e: unknown) => e instanceof ConfigError && e.file === join(dir, 'bad.json'));
  } finally {
    cleanup();
  }
});

test('radius.so site: radiusclient.conf + servers → tunppp RADIUS settings (every user by RADIUS, accounting on)', async () => {
  const { dir, cleanup } = tempDir();
  try {
    writeFileSync(join(dir, 'radiusclient.conf'), [
      'auth_order\tradius', 'login_tries\t4', 'authserver \t10.0.0.5:1812,10.0.0.6', 'acctserver \t10.0.0.5:1813,10.0.0.6:1646',
      `servers\t\t${join(dir, 'servers')}`, `dictionary \t${join(dir, 'dictionary')}`, 'seqfile\t\t/var/run/radius.seq', 'default_realm', 'radius_timeout\t10', 'radius_retries\t3', '',
    ].join('\n'));
    writeFileSync(join(dir, 'servers'), '#Server Name or Client/Server pair\t\tKey\n10.0.0.5\tsecret-five\n10.0.0.6 secret-six\n', { mode: 0o600 });
    const conf = pptpdSite(dir, `name pptpd\nrequire-mschap-v2\nrequire-mppe-128\nplugin radius.so\nplugin radattr.so\nradius-config-file ${join(dir, 'radiusclient.conf')}\n`);
    const l = await loadConfig({ pptpdConf: conf, chapSecrets: join(dir, 'chap-secrets') });
    assert.deepEqual(l.config.auth.backends, ['radius']);
    assert.deepEqual(l.config.radius.servers, [
      { address: '10.0.0.5', port: 1812, acctPort: 1813, secret: 'secret-five' },
      { address: '10.0.0.6', port: 1812, acctPort: 1646, secret: 'secret-six' },
    ]);
    assert.equal(l.config.radius.accounting, true);
    assert.equal(l.config.radius.timeoutMs, 10_000);
    assert.equal(l.config.radius.retries, 2);
    // The plugin is not "planned": it is replaced, so no warning about it.
    assert.doesNotMatch(l.warnings.map((w) => w.message).join('\n'), /plugin|planned/);
    assert.ok(l.sources.includes(join(dir, 'servers')));

    writeFileSync(join(dir, 'servers'), '10.0.0.5 secret-five\n');
    await assert.rejects(loadConfig({ pptpdConf: conf, chapSecrets: join(dir, 'chap-secrets') }), (e: unknown) => e instanceof ConfigError && /no secret for RADIUS server '10\.0\.0\.6'/.test(e.message));
  } finally {
    cleanup();
  }
});

test('pptpd.conf without "option" → pppd\'s own /etc/ppp/options is read, as pppd does; without it, a warning', async () => {
  const { dir, cleanup } = tempDir();
  try {
    writeFileSync(join(dir, 'chap-secrets'), 'carol pptp-server secret *\n', { mode: 0o600 });
    writeFileSync(join(dir, 'pptpd.conf'), 'localip 10.5.0.1\nremoteip 10.5.0.100-120\n');
    writeFileSync(join(dir, 'options'), 'name pptp-server\nrequire-mschap-v2\nrequire-mppe-128\n');
    const l = await loadConfig({ pptpdConf: join(dir, 'pptpd.conf'), chapSecrets: join(dir, 'chap-secrets'), systemPppOptions: join(dir, 'options') });
    assert.equal(l.config.ppp.name, 'pptp-server');
    assert.equal(l.config.ppp.mppe.mode, 'require');
    const none = await loadConfig({ pptpdConf: join(dir, 'pptpd.conf'), chapSecrets: join(dir, 'chap-secrets'), systemPppOptions: join(dir, 'missing') });
    assert.match(none.warnings.map((w) => w.message).join('\n'), /no "option" line and no .*missing: pppd would run with its defaults/);
  } finally {
    cleanup();
  }
});
