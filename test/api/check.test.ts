/** `tunppp check`: validates every file serve would read and says what serve would run, opening and creating nothing. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/main.js';
import { captureContext } from './fakes.js';

function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tunppp-check-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

test('check: valid tunppp.json → exit 0, the files read and what would run', async () => {
  const { dir, cleanup } = tempDir();
  try {
    writeFileSync(join(dir, 'chap-secrets'), 'alice * "pw one" *\nbob * pw2 192.168.50.20\n', { mode: 0o600 });
    writeFileSync(join(dir, 'tunppp.json'), JSON.stringify({ pools: [{ local: '192.168.50.1', ranges: ['192.168.50.10-192.168.50.99'] }], auth: { chapSecrets: join(dir, 'chap-secrets') }, listen: { l2tp: { enabled: false } }, dns: ['192.168.50.1'] }));
    const ctx = captureContext();
    assert.equal(await runCli(['check', '--config', join(dir, 'tunppp.json')], ctx), 0, ctx.err());
    const out = ctx.out();
    assert.match(out, /^tunppp check: configuration valid\n/);
    assert.match(out, new RegExp(`Read: ${join(dir, 'tunppp.json')}, ${join(dir, 'chap-secrets')}`));
    assert.match(out, /PPTP\s+TCP 0\.0\.0\.0:1723 \+ GRE/);
    assert.match(out, /L2TP\s+off/);
    assert.match(out, /TUN\s+tunppp0 192\.168\.50\.1\/32, MTU \d+; a \/32 route per client/);
    assert.match(out, /Pool\s+default: server 192\.168\.50\.1, clients 192\.168\.50\.10-192\.168\.50\.99 \(90 addresses\)/);
    assert.match(out, /Auth\s+required: MS-CHAPv2; 2 users in /);
    assert.match(out, /MPPE\s+PPTP require/);
    assert.match(out, /DNS\/WINS\s+192\.168\.50\.1 \/ none/);
  } finally {
    cleanup();
  }
});

test('check: a JSON error → exit 2 naming file and line', async () => {
  const { dir, cleanup } = tempDir();
  try {
    writeFileSync(join(dir, 'tunppp.json'), '{\n  "pools": [],\n  "dns": ["1.1.1.1",]\n}\n');
    const ctx = captureContext();
    assert.equal(await runCli(['check', '--config', join(dir, 'tunppp.json')], ctx), 2);
    assert.match(ctx.err(), new RegExp(`${join(dir, 'tunppp.json')}:3: not valid JSON`));
  } finally {
    cleanup();
  }
});

test('check: a bad chap-secrets line → exit 2 naming the secrets file', async () => {
  const { dir, cleanup } = tempDir();
  try {
    writeFileSync(join(dir, 'chap-secrets'), 'alice * "unterminated *\n', { mode: 0o600 });
    writeFileSync(join(dir, 'tunppp.json'), JSON.stringify({ pools: [{ local: '10.0.0.1', ranges: ['10.0.0.2-10.0.0.9'] }], auth: { chapSecrets: join(dir, 'chap-secrets') } }));
    const ctx = captureContext();
    assert.equal(await runCli(['check', '--config', join(dir, 'tunppp.json')], ctx), 2);
    assert.match(ctx.err(), new RegExp(`${join(dir, 'chap-secrets')}:1: unterminated double quote`));
    assert.match(ctx.err(), /fix: close the quote/);
  } finally {
    cleanup();
  }
});

test('check: pptpd.conf with its options file → both read, legacy settings shown', async () => {
  const { dir, cleanup } = tempDir();
  try {
    writeFileSync(join(dir, 'chap-secrets'), 'carol pptpd secret *\n', { mode: 0o600 });
    writeFileSync(join(dir, 'options.pptpd'), 'name pptpd\nrefuse-pap\nrefuse-chap\nrefuse-mschap\nrequire-mschap-v2\nrequire-mppe-128\nms-dns 10.5.0.1\n');
    writeFileSync(join(dir, 'pptpd.conf'), `option ${join(dir, 'options.pptpd')}\nlocalip 10.5.0.1\nremoteip 10.5.0.100-120\n`);
    const ctx = captureContext();
    assert.equal(await runCli(['check', '--pptpd-conf', join(dir, 'pptpd.conf'), '--chap-secrets', join(dir, 'chap-secrets')], ctx), 0, ctx.err());
    assert.match(ctx.out(), /options\.pptpd/);
    assert.match(ctx.out(), /clients 10\.5\.0\.100-/);
    assert.match(ctx.out(), /PPP\s+name pptpd/);
    assert.match(ctx.out(), /DNS\/WINS\s+10\.5\.0\.1/);
  } finally {
    cleanup();
  }
});

test('check: mtu 1482 in the pptpd options (a PPPoE-era value) → a warning with the PPTP arithmetic for a 1500 path', async () => {
  const { dir, cleanup } = tempDir();
  try {
    writeFileSync(join(dir, 'chap-secrets'), 'carol pptpd secret *\n', { mode: 0o600 });
    writeFileSync(join(dir, 'options.pptpd'), 'name pptpd\nrequire-mschap-v2\nrequire-mppe-128\nmtu 1482\n');
    writeFileSync(join(dir, 'pptpd.conf'), `option ${join(dir, 'options.pptpd')}\nlocalip 10.5.0.1\nremoteip 10.5.0.100-120\n`);
    const ctx = captureContext();
    assert.equal(await runCli(['check', '--pptpd-conf', join(dir, 'pptpd.conf'), '--chap-secrets', join(dir, 'chap-secrets')], ctx), 0, ctx.err());
    assert.match(ctx.out(), /mtu 1482 is over the PPTP maximum 1460 for a 1500-byte path \(1500 − 20 outer IPv4 header − 16 GRE header − 4 PPP header = 1460\)/);
    assert.match(ctx.out(), /set mtu 1460/);
    assert.doesNotMatch(ctx.out(), /mru 1482/);
  } finally {
    cleanup();
  }
});

test('check: embedded default with no chap-secrets yet → says serve would create it, and creates nothing', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const secrets = join(dir, 'sub', 'chap-secrets');
    const ctx = captureContext();
    assert.equal(await runCli(['check', '--chap-secrets', secrets], ctx), 0, ctx.err());
    assert.match(ctx.out(), /Read: \(embedded default\)/);
    assert.match(ctx.out(), /does not exist: serve creates it with one user and a random password/);
    assert.equal(existsSync(secrets), false);
  } finally {
    cleanup();
  }
});

test('check: --json → the validated configuration (the Config itself, loadable by --config)', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const ctx = captureContext();
    assert.equal(await runCli(['check', '--json', '--chap-secrets', join(dir, 'none')], ctx), 0);
    const j = JSON.parse(ctx.out()) as { pools: { local: string }[] };
    assert.equal(j.pools[0]!.local, '192.168.99.1');
  } finally {
    cleanup();
  }
});

test('reload loader: embedded default whose chap-secrets vanished → an error naming the file, not an empty user list', async () => {
  const { loadForServe } = await import('../../src/cli/check.js');
  const { dir, cleanup } = tempDir();
  try {
    await assert.rejects(loadForServe({ 'chap-secrets': join(dir, 'gone') }, dir, 'fail'), (err: Error) => err.message.includes(`${join(dir, 'gone')}: chap-secrets not found`));
  } finally {
    cleanup();
  }
});
