import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { lookupSecret, parseChapSecrets } from './chap-secrets.js';
import { createDefaultSecrets, loadConfig, loadEmbeddedDefault, randomPassword } from './load.js';

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await mkdtemp(join(tmpdir(), 'tunppp-config-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('embedded default: no chap-secrets → created 0600 with one user and a random password, printed once', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'etc', 'chap-secrets');
    const first = await loadEmbeddedDefault(path);
    assert.ok(first.created);
    assert.equal(first.created.user, 'vpn');
    assert.match(first.created.password, /^[A-Za-z0-9_-]{24}$/);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal(lookupSecret(first.secrets, 'vpn', 'tunppp')!.secret, first.created.password);
    assert.deepEqual(first.config.pools[0]!.ranges, ['192.168.99.10-192.168.99.250']);
    assert.equal(first.config.auth.chapSecrets, path);
    assert.deepEqual(first.warnings, []);
    // Second start: the file exists, nothing is created or printed.
    const second = await loadEmbeddedDefault(path);
    assert.equal(second.created, undefined);
    assert.equal(second.secrets[0]!.secret, first.created.password);
    await assert.rejects(createDefaultSecrets(path), (e: unknown) => e instanceof ConfigError && e.code === 'CONFIG_EXISTS' && /not overwriting/.test(e.message));
  });
});

test('randomPassword: 24 characters, different every time', () => {
  const seen = new Set(Array.from({ length: 50 }, randomPassword));
  assert.equal(seen.size, 50);
});

test('loadConfig: pptpd.conf → reads its options file and chap-secrets (with an @/file secret), warns on mode 0644', async () => {
  await withDir(async (dir) => {
    await writeFile(join(dir, 'pptpd.conf'), `option ${join(dir, 'pptpd-options')}\nlocalip 10.0.0.1\nremoteip 10.0.0.10-20\n`);
    await writeFile(join(dir, 'pptpd-options'), 'name pptpd\nrequire-mschap-v2\nrequire-mppe-128\nms-dns 10.0.0.1\n');
    await writeFile(join(dir, 'chap-secrets'), `alice pptpd @${join(dir, 'alice.pw')} *\nbob pptpd "b pw" *\n`, { mode: 0o644 });
    await chmod(join(dir, 'chap-secrets'), 0o644);
    await writeFile(join(dir, 'alice.pw'), 'from-file\n', { mode: 0o600 });
    const l = await loadConfig({ pptpdConf: 'pptpd.conf', chapSecrets: 'chap-secrets', cwd: dir });
    assert.equal(l.config.ppp.name, 'pptpd');
    assert.deepEqual(l.config.dns, ['10.0.0.1', '10.0.0.1']);
    assert.equal(lookupSecret(l.secrets, 'alice', 'pptpd')!.secret, 'from-file');
    assert.equal(lookupSecret(l.secrets, 'bob', 'pptpd')!.secret, 'b pw');
    assert.deepEqual(l.sources, [join(dir, 'pptpd.conf'), join(dir, 'pptpd-options'), join(dir, 'chap-secrets'), join(dir, 'alice.pw')]);
    assert.match(l.warnings.map((w) => `${w.message} (${w.hint})`).join('\n'), /group\/world access \(mode 644\) \(chmod 600 /);
  });
});

test('loadConfig: tunppp.json → Config and its chap-secrets', async () => {
  await withDir(async (dir) => {
    await writeFile(join(dir, 'chap-secrets'), 'u * p *\n', { mode: 0o600 });
    await writeFile(join(dir, 'tunppp.json'), JSON.stringify({ auth: { chapSecrets: join(dir, 'chap-secrets') }, pools: [{ local: '10.1.0.1', ranges: ['10.1.0.0/24'] }] }));
    const l = await loadConfig({ config: join(dir, 'tunppp.json') });
    assert.equal(l.secrets.length, 1);
    assert.equal(l.config.pools[0]!.local, '10.1.0.1');
  });
});

test('loadConfig: missing files and a missing @/secret file → ConfigError naming the file and the fix', async () => {
  await withDir(async (dir) => {
    await assert.rejects(loadConfig({ config: join(dir, 'nope.json') }), (e: unknown) =>
      e instanceof ConfigError && e.file === join(dir, 'nope.json') && /tunppp config not found/.test(e.message) && /create it/.test(e.hint!));
    await writeFile(join(dir, 'pptpd.conf'), 'option pptpd-options\nlocalip 10.0.0.1\nremoteip 10.0.0.10-20\n');
    await assert.rejects(loadConfig({ pptpdConf: join(dir, 'pptpd.conf') }), (e: unknown) =>
      e instanceof ConfigError && e.file === join(dir, 'pptpd-options') && /pppd options file not found/.test(e.message));
    await writeFile(join(dir, 'pptpd-options'), 'require-mschap-v2\n');
    await writeFile(join(dir, 'cs'), '# users\nalice * @/nonexistent/alice.pw *\n');
    await assert.rejects(loadConfig({ pptpdConf: join(dir, 'pptpd.conf'), chapSecrets: join(dir, 'cs') }), (e: unknown) =>
      e instanceof ConfigError && e.line === 2 && /can't open indirect secret file \/nonexistent\/alice\.pw/.test(e.message) && /create \/nonexistent\/alice\.pw/.test(e.hint!));
    await assert.rejects(loadConfig({ cwd: dir }), (e: unknown) => e instanceof ConfigError && /no configuration given/.test(e.message));
  });
});

test('createDefaultSecrets: the written line parses back with a quoted-safe secret', async () => {
  await withDir(async (dir) => {
    const c = await createDefaultSecrets(join(dir, 's'), 'alice', 'tunppp');
    const parsed = parseChapSecrets(await readFile(join(dir, 's'), 'utf8'), 's');
    assert.deepEqual([parsed.entries[0]!.client, parsed.entries[0]!.server, parsed.entries[0]!.secret], ['alice', 'tunppp', c.password]);
    await assert.rejects(createDefaultSecrets(join(dir, 't'), 'bad user'), /not usable/);
  });
});
