/**
 * Operations end to end: `tunppp serve --api` in a network namespace and our
 * client in another. `tunppp sessions` lists the session, /metrics counts it
 * and the auth failures, SIGHUP makes a user added to chap-secrets able to log
 * in while the first session stays up, the dashboard renders in headless
 * Chromium (screenshot in the test output dir), and `tunppp kick` disconnects
 * a session — the client sees it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatSecretLine } from '../../src/config/chap-secrets.js';
import { apiRequest } from '../../src/api/client.js';
import { readToken } from '../../src/api/token.js';
import type { SessionInfo } from '../../src/api/types.js';
import { NetnsLab, netnsSkipReason } from '../io/netns.js';
import { appendProcLogs, Proc, writeServerConfig } from './harness.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const skip = netnsSkipReason();
const CHROMIUM = '/usr/bin/chromium';

/** The test output directory (screenshots). */
export function testOutputDir(): string {
  const d = process.env.TUNPPP_TEST_OUTPUT ?? join(tmpdir(), 'tunppp-test-output');
  mkdirSync(d, { recursive: true });
  return d;
}

/** Runs a tunppp subcommand on the host (the API socket is a file, reachable from any namespace). */
function cli(args: string[], env: Record<string, string>): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/run.ts'), ...args], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A loopback TCP port forwarding to the unix socket (as `ssh -L` would), for the browser. */
async function tcpToUnix(path: string): Promise<{ port: number; server: Server }> {
  const server = createServer((c) => {
    const u = connect(path);
    c.pipe(u).pipe(c);
    c.on('error', () => u.destroy());
    u.on('error', () => c.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  return { port: typeof a === 'object' && a ? a.port : 0, server };
}

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('ops e2e: serve --api → sessions, metrics, SIGHUP adds a user, dashboard in Chromium, kick', { skip, timeout: 180_000 }, async (t) => {
  const lab = new NetnsLab();
  const cfg = writeServerConfig({
    listen: '10.201.0.1',
    local: '192.168.78.1',
    ranges: ['192.168.78.10-192.168.78.20'],
    users: [['alice', 'correct horse'], ['carol', 'l2tp pass']],
    extra: { listen: { pptp: { addresses: ['10.201.0.1'] }, l2tp: { addresses: ['10.201.0.1'] } } },
  });
  const sock = join(cfg.dir, 'run', 'api.sock');
  const tokenFile = join(cfg.dir, 'api-token');
  const env = { TUNPPP_API: sock, TUNPPP_API_TOKEN_FILE: tokenFile };
  const procs: Proc[] = [];
  let proxy: Server | undefined;
  try {
    const s = lab.ns();
    const c = lab.ns();
    lab.link(s, 'veth-s', '10.201.0.1/24', c, 'veth-c', '10.201.0.2/24');
    const server = new Proc(s, ['serve', '--config', cfg.config, '--api-listen', sock, '--api-token-file', tokenFile]);
    procs.push(server);
    await server.waitFor(/serving on pptp 10\.201\.0\.1:1723, l2tp 10\.201\.0\.1:1701/);
    await server.waitFor(/API listening on /);
    assert.match(server.out, /created the API token/);
    assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
    const target = { listen: { kind: 'unix' as const, path: sock }, token: await readToken(tokenFile) };

    // No sessions yet.
    const empty = cli(['sessions'], env);
    assert.equal(empty.code, 0, empty.err);
    assert.equal(empty.out, 'no sessions\n');

    const alice = new Proc(c, ['connect', 'pptp://alice@10.201.0.1', '--tun', 'tpa0'], { TUNPPP_PASSWORD: 'correct horse' });
    procs.push(alice);
    await alice.waitFor(/connected: address 192\.168\.78\.10/);
    const carol = new Proc(c, ['connect', 'l2tp://carol@10.201.0.1', '--tun', 'tpl0'], { TUNPPP_PASSWORD: 'l2tp pass' });
    procs.push(carol);
    await carol.waitFor(/connected: address 192\.168\.78\.11/);

    // A wrong password, and a user not yet in chap-secrets: both refused.
    const wrong = new Proc(c, ['connect', 'pptp://alice@10.201.0.1', '--tun', 'tpw0'], { TUNPPP_PASSWORD: 'wrong' });
    procs.push(wrong);
    const bobEarly = new Proc(c, ['connect', 'pptp://bob@10.201.0.1', '--tun', 'tpb0'], { TUNPPP_PASSWORD: 'battery staple' });
    procs.push(bobEarly);
    await wrong.waitFor(/authentication|failed|disconnected/i, 30_000);
    await bobEarly.waitFor(/authentication|failed|disconnected/i, 30_000);
    await until('refused clients to exit', () => (wrong.exitCode !== undefined && bobEarly.exitCode !== undefined ? true : undefined), 20_000);
    assert.notEqual(wrong.exitCode, 0);
    assert.notEqual(bobEarly.exitCode, 0);

    // tunppp sessions lists alice.
    const listed = cli(['sessions'], env);
    assert.equal(listed.code, 0, listed.err);
    assert.match(listed.out, /^ *\d+ +alice +10\.201\.0\.2 +192\.168\.78\.10 +pptp +up [^\n]* \d+ +128-bit (stateless|stateful) +-$/m);
    assert.match(listed.out, /^ *\d+ +carol +10\.201\.0\.2 +192\.168\.78\.11 +l2tp +up /m);
    const sessions = (await apiRequest(target, 'GET', '/sessions')).json<SessionInfo[]>();
    assert.deepEqual(sessions.map((x) => `${x.user}/${x.protocol}`), ['alice/pptp', 'carol/l2tp']);
    const aliceId = sessions[0]!.id;

    // Traffic, so the counters and the graph move.
    spawnSync('ip', ['netns', 'exec', c, 'ping', '-c', '5', '-i', '0.2', '-s', '1000', '192.168.78.1'], { timeout: 20_000 });
    const metrics = (await apiRequest(target, 'GET', '/metrics')).body;
    assert.match(metrics, /^tunppp_sessions\{protocol="pptp",state="up"\} 1$/m);
    assert.match(metrics, /^tunppp_sessions\{protocol="l2tp",state="up"\} 1$/m);
    assert.match(metrics, /^tunppp_auth_successes_total 2$/m);
    const rejected = Number(/^tunppp_auth_failures_total\{reason="rejected"\} (\d+)$/m.exec(metrics)?.[1]);
    assert.ok(rejected >= 2, `rejected failures: ${rejected}\n${metrics}`);
    const bytesIn = Number(/^tunppp_bytes_total\{protocol="pptp",direction="in"\} (\d+)$/m.exec(metrics)?.[1]);
    assert.ok(bytesIn >= 5 * 1028, `bytes in ${bytesIn}`);
    assert.match(metrics, /^tunppp_session_setup_seconds_count 2$/m);
    const doctor = (await apiRequest(target, 'GET', '/doctor')).json<{ findings: { cause: string }[] }>();
    assert.ok(doctor.findings.some((f) => f.cause === 'auth-bad-credentials'), JSON.stringify(doctor.findings.map((f) => f.cause)));

    // SIGHUP after adding bob: bob can log in, alice's session stays.
    appendFileSync(join(cfg.dir, 'chap-secrets'), `${formatSecretLine('bob', '*', 'battery staple', '*')}\n`);
    server.child.kill('SIGHUP');
    await server.waitFor(/reloaded .*chap-secrets: 3 users/);
    const bob = new Proc(c, ['connect', 'pptp://bob@10.201.0.1', '--tun', 'tpb1'], { TUNPPP_PASSWORD: 'battery staple' });
    procs.push(bob);
    await bob.waitFor(/connected: address 192\.168\.78\.12/);
    assert.equal(alice.exitCode, undefined, 'alice still connected');
    const two = (await apiRequest(target, 'GET', '/sessions')).json<SessionInfo[]>();
    assert.deepEqual(two.map((x) => x.user).sort(), ['alice', 'bob', 'carol']);
    assert.equal(two.find((x) => x.user === 'alice')!.id, aliceId);
    spawnSync('ip', ['netns', 'exec', c, 'ping', '-c', '2', '-i', '0.2', '-W', '2', '-I', 'tpa0', '192.168.78.1'], { timeout: 20_000 });

    // The dashboard in headless Chromium, through a loopback forward of the socket.
    if (!existsSync(CHROMIUM)) t.diagnostic('chromium not installed (apt-get install -y chromium): dashboard screenshot skipped');
    else {
      const fwd = await tcpToUnix(sock);
      proxy = fwd.server;
      const { chromium } = await import('playwright-core');
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      });
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
        const external: string[] = [];
        page.on('request', (r) => {
          if (!r.url().startsWith(`http://127.0.0.1:${fwd.port}/`)) external.push(r.url());
        });
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        page.on('console', (m) => {
          if (m.type() === 'error') errors.push(m.text());
        });
        // Traffic during the page's polls draws the throughput lines.
        const flood = spawn('ip', ['netns', 'exec', c, 'ping', '-q', '-c', '120', '-i', '0.1', '-s', '1200', '-I', 'tpa0', '192.168.78.1'], { stdio: 'ignore' });
        const flood2 = spawn('ip', ['netns', 'exec', c, 'ping', '-q', '-c', '60', '-i', '0.2', '-s', '600', '-I', 'tpb1', '192.168.78.1'], { stdio: 'ignore' });
        await page.goto(`http://127.0.0.1:${fwd.port}/?token=${target.token}`);
        assert.equal(new URL(page.url()).search, '', 'token removed from the address bar');
        await page.waitForSelector('#sessions-body tr:nth-child(3)', { timeout: 15_000 });
        // (strings: the page's DOM types are not in this project's lib)
        await page.waitForFunction("document.getElementById('auth-body').children.length >= 2", undefined, { timeout: 15_000 });
        await page.waitForFunction("document.getElementById('doctor-meta').textContent.includes('recent log lines')", undefined, { timeout: 15_000 });
        await new Promise((r) => setTimeout(r, 9000));
        const table = await page.locator('#sessions-body').innerText();
        assert.match(table, /alice/);
        assert.match(table, /bob/);
        assert.match(table, /carol\s+10\.201\.0\.2\s+192\.168\.78\.11\s+L2TP/);
        assert.match(table, /192\.168\.78\.10/);
        const auth = await page.locator('#auth-body').innerText();
        assert.match(auth, /alice/);
        assert.match(auth, /bob/);
        assert.match(auth, /rejected/);
        const tiles = await page.locator('#tiles').innerText();
        assert.match(tiles, /3\s*sessions up/);
        const shot = join(testOutputDir(), 'ops-dashboard.png');
        await page.screenshot({ path: shot, fullPage: true });
        t.diagnostic(`dashboard screenshot: ${shot}`);
        assert.ok(statSync(shot).size > 30_000, 'screenshot is not blank');
        assert.deepEqual(errors, []);
        assert.deepEqual(external, [], 'the page loads nothing from elsewhere');
        flood.kill();
        flood2.kill();
        // The Disconnect button (cookie + X-Tunppp-Request) ends carol's L2TP session: LCP Terminate, then CDN.
        page.on('dialog', (d) => void d.accept());
        await page.locator('#sessions-body tr', { hasText: 'carol' }).getByRole('button', { name: 'Disconnect' }).click();
        await carol.waitFor(/disconnected: /, 15_000);
        await page.waitForFunction("!document.getElementById('sessions-body').innerText.includes('carol')", undefined, { timeout: 10_000 });
        assert.match(server.err, /link down: disconnected by the administrator.*user=carol/);
      } finally {
        await browser.close();
      }
    }

    // kick alice: the client is told and exits; bob stays.
    const kicked = cli(['kick', String(aliceId)], env);
    assert.equal(kicked.code, 0, kicked.err);
    assert.match(kicked.out, new RegExp(`session ${aliceId} disconnected`));
    await alice.waitFor(/disconnected: /, 15_000);
    await until('alice to exit', () => (alice.exitCode !== undefined ? true : undefined));
    assert.match(server.err, /link down: disconnected by the administrator/);
    const after = (await apiRequest(target, 'GET', '/sessions')).json<SessionInfo[]>();
    assert.deepEqual(after.map((x) => x.user), existsSync(CHROMIUM) ? ['bob'] : ['bob', 'carol']);
    assert.equal(bob.exitCode, undefined);
    const m2 = (await apiRequest(target, 'GET', '/metrics')).body;
    // five calls: alice, carol, the two refused ones, bob; ended: the refused two, alice (and carol from the dashboard)
    assert.match(m2, /^tunppp_sessions_started_total 5$/m);
    assert.match(m2, /^tunppp_sessions_established_total 3$/m);
    assert.match(m2, new RegExp(`^tunppp_sessions_ended_total ${existsSync(CHROMIUM) ? 4 : 3}$`, 'm'));
    assert.equal(cli(['kick', String(aliceId)], env).code, 1);
  } catch (err) {
    appendProcLogs(err, procs);
    throw err;
  } finally {
    proxy?.close();
    for (const p of procs) await p.stop('SIGTERM');
    lab.cleanup();
    cfg.cleanup();
  }
});
