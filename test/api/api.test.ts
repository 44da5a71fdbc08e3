/**
 * The local API over a unix socket in a temporary directory, against a fake
 * server: token checks, sessions, kick, reload, metrics, the dashboard and
 * its cookie, and the `sessions`/`kick` CLI on top.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync, chmodSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOps } from '../../src/api/ops.js';
import { startApi, type ApiServer } from '../../src/api/server.js';
import { apiRequest, type ApiTarget } from '../../src/api/client.js';
import { ensureToken } from '../../src/api/token.js';
import { parseApiListen } from '../../src/api/listen.js';
import type { ReloadReport, SessionInfo } from '../../src/api/types.js';
import { createServerMetrics } from '../../src/metrics/metrics.js';
import { LogRing, teeLogger } from '../../src/ops/log-ring.js';
import { silentLogger } from '../../src/log/logger.js';
import { runCli } from '../../src/cli/main.js';
import { captureContext, FakeLink, FakeServer } from './fakes.js';

const dir = mkdtempSync(join(tmpdir(), 'tunppp-api-'));
const sock = join(dir, 'run', 'api.sock');
const tokenFile = join(dir, 'etc', 'api-token');
const server = new FakeServer();
const ring = new LogRing();
const log = teeLogger(silentLogger, ring);
let reloadCalls = 0;
let nextReload: ReloadReport = { ok: true, sources: ['/etc/tunppp/tunppp.json'], users: 3, applied: ['dns'], needsRestart: [], warnings: [] };
let api: ApiServer;
let target: ApiTarget;

before(async () => {
  const metrics = createServerMetrics({ links: () => server.links(), stats: server.ctx.stats, gre: () => undefined, tun: () => undefined }, { processMetrics: false });
  ring.onRecord((r) => metrics.observe(r));
  const ops = createOps({
    server,
    ring,
    metrics,
    reload: async () => {
      reloadCalls++;
      return nextReload;
    },
    version: '9.9.9',
    kickWaitMs: 200,
  });
  const { token, created } = await ensureToken(tokenFile);
  assert.equal(created, true);
  api = await startApi({ listen: { kind: 'unix', path: sock }, token, backend: ops, log });
  target = { listen: { kind: 'unix', path: sock }, token };
  const alice = new FakeLink(1, { user: 'alice', ip: '192.168.99.10', peer: '198.51.100.7' });
  alice.session.counters.bytesIn = 1_500_000;
  alice.session.counters.bytesOut = 9_000_000;
  alice.session.counters.packetsIn = 1200;
  alice.session.counters.packetsOut = 7000;
  const bob = new FakeLink(2, { user: 'bob', ip: '192.168.99.11', proto: 'l2tp' });
  bob.state = 'starting';
  bob.mppe = undefined;
  server.live = [alice, bob];
  server.ctx.stats.authOk = 1;
});

after(async () => {
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A raw request (for headers and cookies). */
function raw(method: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: sock, method, path, headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('token: first start → file of 32 random bytes in hex, mode 0600; second start → same token', async () => {
  assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
  assert.match(readFileSync(tokenFile, 'utf8'), /^[0-9a-f]{64}\n$/);
  const again = await ensureToken(tokenFile);
  assert.equal(again.created, false);
  assert.equal(again.token, target.token);
});

test('token: a group-readable token file → tightened to 0600', async () => {
  const f = join(dir, 'loose-token');
  writeFileSync(f, `${'ab'.repeat(32)}\n`);
  chmodSync(f, 0o644);
  const t = await ensureToken(f);
  assert.equal(t.token, 'ab'.repeat(32));
  assert.equal(statSync(f).mode & 0o777, 0o600);
});

test('api: unix socket is mode 0660', () => {
  assert.equal(statSync(sock).mode & 0o777, 0o660);
});

test('api: no token or a wrong one → 401 on every endpoint', async () => {
  for (const [m, p] of [['GET', '/sessions'], ['DELETE', '/sessions/1'], ['POST', '/reload'], ['GET', '/metrics'], ['GET', '/status']] as const) {
    assert.equal((await raw(m, p)).status, 401, `${m} ${p}`);
    assert.equal((await raw(m, p, { Authorization: `Bearer ${'0'.repeat(64)}` })).status, 401, `${m} ${p} wrong token`);
  }
  assert.equal(server.live[0]!.closes.length, 0);
  assert.equal(reloadCalls, 0);
});

test('api: GET /sessions → user, client address, assigned IP, protocol, uptime, bytes, MTU, MPPE', async () => {
  const r = await apiRequest(target, 'GET', '/sessions');
  assert.equal(r.status, 200);
  const list = r.json<SessionInfo[]>();
  assert.equal(list.length, 2);
  const a = list[0]!;
  assert.deepEqual(
    { id: a.id, user: a.user, clientAddress: a.clientAddress, assignedIp: a.assignedIp, protocol: a.protocol, state: a.state, bytesIn: a.bytesIn, bytesOut: a.bytesOut, mtu: a.mtu, mppe: a.mppe },
    { id: 1, user: 'alice', clientAddress: '198.51.100.7', assignedIp: '192.168.99.10', protocol: 'pptp', state: 'up', bytesIn: 1_500_000, bytesOut: 9_000_000, mtu: 1400, mppe: '128-bit stateless' },
  );
  assert.ok(a.uptimeS > 55 && a.uptimeS < 65, `uptime ${a.uptimeS}`);
  assert.equal(list[1]!.protocol, 'l2tp');
  assert.equal(list[1]!.mppe, null);
  const one = await apiRequest(target, 'GET', '/sessions/2');
  assert.equal(one.json<SessionInfo>().user, 'bob');
  assert.equal((await apiRequest(target, 'GET', '/sessions/99')).status, 404);
});

test('api: GET /metrics → sessions by protocol and state, auth counters, bytes', async () => {
  server.ctx.stats.authFailed = 0;
  log.child({ link: 7, proto: 'pptp', peer: '198.51.100.9' }).warn('auth-failed', 'Peer mallory failed MS-CHAP-v2 authentication: E=691 (rejected)', { user: 'mallory', code: 691, final: true });
  server.ctx.stats.authFailed = 1;
  const r = await apiRequest(target, 'GET', '/metrics');
  assert.equal(r.status, 200);
  assert.match(r.body, /^tunppp_sessions\{protocol="pptp",state="up"\} 1$/m);
  assert.match(r.body, /^tunppp_sessions\{protocol="l2tp",state="starting"\} 1$/m);
  assert.match(r.body, /^tunppp_auth_successes_total 1$/m);
  assert.match(r.body, /^tunppp_auth_failures_total\{reason="rejected"\} 1$/m);
  assert.match(r.body, /^tunppp_auth_failures_total\{reason="unknown"\} 0$/m);
  assert.match(r.body, /^tunppp_bytes_total\{protocol="pptp",direction="out"\} 9000000$/m);
  assert.match(r.body, /^tunppp_packets_total\{protocol="pptp",direction="in"\} 1200$/m);
});

test('api: GET /auth-failures → the recent failure with user, peer and reason', async () => {
  const list = (await apiRequest(target, 'GET', '/auth-failures')).json<{ user: string; peer: string; reason: string; protocol: string }[]>();
  assert.equal(list.length, 1);
  assert.deepEqual({ ...list[0], time: undefined, message: undefined }, { user: 'mallory', peer: '198.51.100.9', reason: 'rejected', protocol: 'MS-CHAP-v2', time: undefined, message: undefined });
});

test('api: GET /status → version, sessions, totals, auth failures by reason', async () => {
  const s = (await apiRequest(target, 'GET', '/status')).json<{ version: string; sessions: { up: number; starting: number }; totals: { bytesOut: number }; authFailuresByReason: Record<string, number> }>();
  assert.equal(s.version, '9.9.9');
  assert.deepEqual(s.sessions, { total: 2, up: 1, starting: 1 });
  assert.equal(s.totals.bytesOut, 9_000_000);
  assert.deepEqual(s.authFailuresByReason, { rejected: 1 });
});

test('api: GET /doctor → findings on the server log ring', async () => {
  const d = (await apiRequest(target, 'GET', '/doctor')).json<{ lines: number; findings: { cause: string }[] }>();
  assert.ok(d.lines >= 1);
  assert.ok(Array.isArray(d.findings));
  const logText = (await apiRequest(target, 'GET', '/log')).body;
  assert.match(logText, /tunppp\[\d+\]: warn: Peer mallory failed MS-CHAP-v2 authentication: E=691 \(rejected\).* event=auth-failed/);
});

test('api: DELETE /sessions/:id → the link is closed (Terminate) and the batch flushed; 200 when it ended', async () => {
  const extra = new FakeLink(5, { user: 'carol', ip: '192.168.99.12' });
  server.live.push(extra);
  const flushes = server.flushes;
  const r = await apiRequest(target, 'DELETE', '/sessions/5');
  assert.equal(r.status, 200);
  assert.deepEqual(r.json(), { id: 5, ended: true });
  assert.deepEqual(extra.closes, ['disconnected by the administrator']);
  assert.equal(server.flushes, flushes + 1);
  assert.equal(server.live[0]!.closes.length, 0, 'other sessions untouched');
  server.live = server.live.filter((l) => l !== extra);
  assert.equal((await apiRequest(target, 'DELETE', '/sessions/5')).status, 404);
});

test('api: DELETE on a peer that does not answer → 202 (Terminate sent, link not down yet)', async () => {
  const slow = new FakeLink(6, { user: 'dave' });
  slow.endsOnClose = false;
  server.live.push(slow);
  const r = await apiRequest(target, 'DELETE', '/sessions/6');
  assert.equal(r.status, 202);
  assert.deepEqual(r.json(), { id: 6, ended: false });
  server.live = server.live.filter((l) => l !== slow);
});

test('api: POST /reload → the reloader runs; a failed reload → 422 with the error', async () => {
  const r = await apiRequest(target, 'POST', '/reload');
  assert.equal(r.status, 200);
  assert.equal(r.json<{ users: number }>().users, 3);
  nextReload = { ok: false, error: '/etc/ppp/chap-secrets:3: unterminated quote' };
  const bad = await apiRequest(target, 'POST', '/reload');
  assert.equal(bad.status, 422);
  assert.match(bad.body, /unterminated quote/);
  assert.equal(reloadCalls, 2);
  const m = (await apiRequest(target, 'GET', '/metrics')).body;
  assert.match(m, /^tunppp_reloads_total\{result="ok"\} 1$/m);
  assert.match(m, /^tunppp_reloads_total\{result="failed"\} 1$/m);
});

test('api: wrong method → 405, unknown path → 404', async () => {
  assert.equal((await apiRequest(target, 'POST', '/sessions')).status, 405);
  assert.equal((await apiRequest(target, 'GET', '/reload')).status, 405);
  assert.equal((await apiRequest(target, 'GET', '/nope')).status, 404);
});

test('dashboard: /?token= → 303 with an HttpOnly SameSite=Strict cookie; the cookie opens the page with a CSP nonce', async () => {
  const noAuth = await raw('GET', '/');
  assert.equal(noAuth.status, 401);
  assert.match(noAuth.body, /token/);
  const wrong = await raw('GET', `/?token=${'1'.repeat(64)}`);
  assert.equal(wrong.status, 401);
  const r = await raw('GET', `/?token=${target.token}`);
  assert.equal(r.status, 303);
  assert.equal(r.headers.location, '/');
  const cookie = String(r.headers['set-cookie']);
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  const page = await raw('GET', '/', { Cookie: cookie.split(';')[0]! });
  assert.equal(page.status, 200);
  const csp = String(page.headers['content-security-policy']);
  const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
  assert.ok(nonce);
  assert.ok(page.body.includes(`<script nonce="${nonce}">`));
  assert.doesNotMatch(page.body, /https?:\/\/(?!tunppp)/, 'no external URLs');
  // The cookie reads, but changes need the custom header too (no CSRF through the cookie).
  const c = cookie.split(';')[0]!;
  assert.equal((await raw('GET', '/sessions', { Cookie: c })).status, 200);
  assert.equal((await raw('POST', '/reload', { Cookie: c })).status, 403);
  assert.equal((await raw('POST', '/reload', { Cookie: c, 'X-Tunppp-Request': '1' })).status, 422);
});

test('api: a second server on the same socket → refused, the first keeps serving', async () => {
  await assert.rejects(startApi({ listen: { kind: 'unix', path: sock }, token: target.token, backend: {} as never, log: silentLogger }), /another process is serving the API/);
  assert.equal((await apiRequest(target, 'GET', '/sessions')).status, 200);
});

test('cli: tunppp sessions → a table with the sessions; --json → the API JSON', async () => {
  const env = { TUNPPP_API: sock, TUNPPP_API_TOKEN_FILE: tokenFile };
  const ctx = captureContext(env);
  assert.equal(await runCli(['sessions'], ctx), 0);
  const lines = ctx.out().trimEnd().split('\n');
  assert.match(lines[0]!, /^ID\s+USER\s+CLIENT\s+ADDRESS\s+PROTO\s+STATE\s+UPTIME\s+IN\s+OUT\s+MTU\s+MPPE\s+LIMIT$/);
  assert.match(lines[1]!, /^ 1\s+alice\s+198\.51\.100\.7\s+192\.168\.99\.10\s+pptp\s+up\s+\d+m\d+s\s+1\.50 MB\s+9\.00 MB\s+1400\s+128-bit stateless\s+-$/);
  const j = captureContext(env);
  assert.equal(await runCli(['sessions', '--json'], j), 0);
  assert.equal((JSON.parse(j.out()) as SessionInfo[]).length, 2);
});

test('cli: tunppp kick ID → disconnected; unknown ID → exit 1', async () => {
  const env = { TUNPPP_API: sock, TUNPPP_API_TOKEN_FILE: tokenFile };
  const link = new FakeLink(8, { user: 'erin' });
  server.live.push(link);
  const ctx = captureContext(env);
  assert.equal(await runCli(['kick', '8'], ctx), 0);
  assert.match(ctx.out(), /session 8 disconnected/);
  assert.equal(link.closes.length, 1);
  server.live = server.live.filter((l) => l !== link);
  const gone = captureContext(env);
  assert.equal(await runCli(['kick', '8'], gone), 1);
  assert.match(gone.err(), /no session 8/);
  const bad = captureContext(env);
  assert.equal(await runCli(['kick', 'x'], bad), 2);
});

test('cli: no server → exit 1 naming the socket and the fix; no token → exit 1 (the server cannot be asked, as the help says)', async () => {
  const ctx = captureContext({ TUNPPP_API: join(dir, 'none.sock'), TUNPPP_API_TOKEN_FILE: tokenFile });
  assert.equal(await runCli(['sessions'], ctx), 1);
  assert.match(ctx.err(), /cannot reach the tunppp API at .*none\.sock/);
  assert.match(ctx.err(), /tunppp serve --api/);
  const nt = captureContext({ TUNPPP_API: sock, TUNPPP_API_TOKEN_FILE: join(dir, 'missing') });
  assert.equal(await runCli(['sessions'], nt), 1);
  assert.match(nt.err(), /no API token/);
  const bt = captureContext({ TUNPPP_API: sock, TUNPPP_API_TOKEN_FILE: join(dir, 'bad-token') });
  writeFileSync(join(dir, 'bad-token'), 'not a token\n');
  assert.equal(await runCli(['kick', '1'], bt), 1);
  assert.match(bt.err(), /does not hold a token/);
});

test('cli: a bad API address names the flag it came from (--api, TUNPPP_API), exit 2', async () => {
  const flag = captureContext({ TUNPPP_API_TOKEN_FILE: tokenFile });
  assert.equal(await runCli(['sessions', '--api', 'bogus'], flag), 2);
  assert.match(flag.err(), /tunppp sessions: --api: expected a socket path or HOST:PORT, got 'bogus'/);
  assert.match(flag.err(), /fix: e\.g\. --api \/run\/tunppp\/api\.sock/);
  assert.doesNotMatch(flag.err(), /--api-listen/);
  const env = captureContext({ TUNPPP_API: '0.0.0.0:8723', TUNPPP_API_TOKEN_FILE: tokenFile });
  assert.equal(await runCli(['kick', '1'], env), 2);
  assert.match(env.err(), /TUNPPP_API: 0\.0\.0\.0 is not a loopback address/);
});

test('listen: loopback TCP and socket paths accepted; other addresses refused', () => {
  assert.deepEqual(parseApiListen('127.0.0.1:8723'), { kind: 'tcp', host: '127.0.0.1', port: 8723 });
  assert.deepEqual(parseApiListen('[::1]:9'), { kind: 'tcp', host: '::1', port: 9 });
  assert.deepEqual(parseApiListen('unix:/run/x.sock'), { kind: 'unix', path: '/run/x.sock' });
  assert.throws(() => parseApiListen('0.0.0.0:8723'), /not a loopback address/);
  assert.throws(() => parseApiListen('8723'), /expected a socket path/);
});

test('api: loopback TCP on port 0 → the bound port is reported and answers; close → socket file removed', async () => {
  const tcp = await startApi({ listen: { kind: 'tcp', host: '127.0.0.1', port: 0 }, token: target.token, backend: { sessions: () => [] } as never, log: silentLogger });
  try {
    assert.equal(tcp.listen.kind, 'tcp');
    const port = tcp.listen.kind === 'tcp' ? tcp.listen.port : 0;
    assert.ok(port > 0);
    const r = await apiRequest({ listen: tcp.listen, token: target.token }, 'GET', '/sessions');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json(), []);
  } finally {
    await tcp.close();
  }
  const path = join(dir, 'other.sock');
  const u = await startApi({ listen: { kind: 'unix', path }, token: target.token, backend: {} as never, log: silentLogger });
  assert.equal(statSync(path).isSocket(), true);
  await u.close();
  assert.throws(() => statSync(path), /ENOENT/);
});

test('api: GET /doctor → cached while the log is unchanged, rerun after a new line', async () => {
  const a = (await apiRequest(target, 'GET', '/doctor')).json<{ lines: number }>();
  const b = (await apiRequest(target, 'GET', '/doctor')).json<{ lines: number }>();
  assert.equal(b.lines, a.lines);
  log.info('test-line', 'one more line');
  const c = (await apiRequest(target, 'GET', '/doctor')).json<{ lines: number }>();
  assert.equal(c.lines, a.lines + 1);
});

test('cli: tunppp kick --user NAME → every session of NAME, others untouched; no session → exit 1', async () => {
  const env = { TUNPPP_API: sock, TUNPPP_API_TOKEN_FILE: tokenFile };
  const f1 = new FakeLink(20, { user: 'frank' });
  const f2 = new FakeLink(21, { user: 'frank', proto: 'l2tp' });
  const g = new FakeLink(22, { user: 'grace' });
  server.live.push(f1, f2, g);
  const ctx = captureContext(env);
  assert.equal(await runCli(['kick', '--user', 'frank'], ctx), 0, ctx.err());
  assert.equal(ctx.out(), 'session 20 disconnected\nsession 21 disconnected\n');
  assert.equal(g.closes.length, 0);
  server.live = server.live.filter((l) => ![f1, f2, g].includes(l));
  const none = captureContext(env);
  assert.equal(await runCli(['kick', '--user', 'frank'], none), 1);
  assert.match(none.err(), /user frank has no session/);
  assert.equal(await runCli(['kick', '--user', 'x', '3'], captureContext(env)), 2);
});
