/**
 * Metrics computed on scrape from plain counters: totals that survive links
 * ending, auth failures by reason and setup latency from the log tap, drops
 * from every source; the log ring and tee; reload's change report; the
 * masquerade rule text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { createServerMetrics, authFailureReason } from '../../src/metrics/metrics.js';
import { SessionTotals } from '../../src/metrics/totals.js';
import { LogRing, teeLogger } from '../../src/ops/log-ring.js';
import { configChanges, reloadServer } from '../../src/ops/reload.js';
import { masqueradeRuleset, poolPrefixes } from '../../src/ops/masquerade.js';
import { createLogger, silentLogger } from '../../src/log/logger.js';
import { defaultConfig, validateConfig, type Config } from '../../src/config/schema.js';
import type { LoadedConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/core/errors.js';
import { FakeLink, FakeServer } from './fakes.js';
import { promlint } from './promlint.js';

function value(body: string, series: string): number | undefined {
  for (const line of body.split('\n')) if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  return undefined;
}

function setup() {
  const server = new FakeServer();
  const gre = { rx: 0, malformed: 0, unknownCall: 0, outOfWindow: 0, tx: 0, txFailed: 0, icmpErrors: 0 };
  const tun = { rxPackets: 0, txPackets: 0, noRoute: 0, notIp: 0, txFailed: 0, gsoPackets: 0, gsoSegments: 0, groMerged: 0, offloadMalformed: 0 };
  const metrics = createServerMetrics({ links: () => server.links(), stats: server.ctx.stats, gre: () => gre, tun: () => tun }, { processMetrics: false });
  const ring = new LogRing();
  ring.onRecord((r) => metrics.observe(r));
  const log = teeLogger(silentLogger, ring);
  return { server, gre, tun, metrics, log };
}

test('metrics: a link ends (link-down seen) → its bytes stay in the totals', async () => {
  const { server, metrics, log } = setup();
  const a = new FakeLink(1);
  a.session.counters.bytesIn = 1000;
  server.live = [a];
  assert.equal(value((await metrics.scrape()).body, 'tunppp_bytes_total{protocol="pptp",direction="in"}'), 1000);
  a.session.counters.bytesIn = 5000;
  log.child({ link: 1 }).info('link-down', 'link down: peer terminated');
  server.live = [];
  assert.equal(value((await metrics.scrape()).body, 'tunppp_bytes_total{protocol="pptp",direction="in"}'), 5000);
});

test('metrics: a link vanishes without a link-down record → the last scraped counters stay', () => {
  const t = new SessionTotals();
  const a = new FakeLink(1, { proto: 'l2tp' });
  a.session.counters.packetsOut = 7;
  a.session.counters.drops = { unencrypted: 2 };
  t.scrape([a]);
  const after = t.scrape([]).get('l2tp')!;
  assert.equal(after.packetsOut, 7);
  assert.deepEqual(after.drops, { unencrypted: 2 });
  // and never counted twice
  assert.equal(t.scrape([]).get('l2tp')!.packetsOut, 7);
});

test('metrics: counters never go backwards over a random life of links', () => {
  const t = new SessionTotals();
  let seed = 7;
  const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
  let live: FakeLink[] = [];
  let id = 0;
  let last = 0;
  for (let step = 0; step < 500; step++) {
    const r = rnd(10);
    if (r < 3) live.push(new FakeLink(++id));
    else if (r < 5 && live.length) {
      const gone = live.splice(rnd(live.length), 1)[0]!;
      if (rnd(2) === 0) t.retire(gone);
    } else for (const l of live) l.session.counters.bytesOut += rnd(1000);
    const total = t.scrape(live).get('pptp')?.bytesOut ?? 0;
    assert.ok(total >= last, `step ${step}: ${total} < ${last}`);
    last = total;
  }
  live = [];
  assert.ok((t.scrape(live).get('pptp')?.bytesOut ?? 0) >= last);
});

test('metrics: auth-failed records → failures by reason; server counters beyond them → "unknown"', async () => {
  const { server, metrics, log } = setup();
  const l = log.child({ link: 3 });
  l.warn('auth-failed', 'Peer x failed MS-CHAP-v2 authentication: E=691 (rejected)');
  log.child({ link: 4 }).warn('auth-failed', 'Peer y failed PAP authentication (timeout, may retry)');
  l.warn('auth-failed', 'MS-CHAP-v2 authentication failed: E=691 (rejected)'); // we, as a client: not a server failure
  server.ctx.stats.authFailed = 3;
  const body = (await metrics.scrape()).body;
  assert.equal(value(body, 'tunppp_auth_failures_total{reason="rejected"}'), 1);
  assert.equal(value(body, 'tunppp_auth_failures_total{reason="timeout"}'), 1);
  assert.equal(value(body, 'tunppp_auth_failures_total{reason="unknown"}'), 1);
  assert.equal(authFailureReason('… (backend-error)'), 'backend-error');
});

test('metrics: one failed login with three MS-CHAP attempts on its link counts once (dashboard and counter); a new link counts again', async () => {
  const { server, metrics, log } = setup();
  const l = log.child({ link: 9, user: 'mallory' });
  l.warn('auth-failed', 'Peer mallory failed MS-CHAP-v2 authentication: E=691 (rejected, may retry)');
  l.warn('auth-failed', 'Peer mallory failed MS-CHAP-v2 authentication: E=691 (rejected, may retry)');
  l.warn('auth-failed', 'Peer mallory failed MS-CHAP-v2 authentication: E=691 (rejected)');
  server.ctx.stats.authFailed = 3;
  assert.deepEqual(metrics.authFailuresByReason(), { rejected: 1 });
  assert.equal(value((await metrics.scrape()).body, 'tunppp_auth_failures_total{reason="rejected"}'), 1);
  assert.equal(value((await metrics.scrape()).body, 'tunppp_auth_failures_total{reason="unknown"}'), 0);
  log.child({ link: 10, user: 'mallory' }).warn('auth-failed', 'Peer mallory failed MS-CHAP-v2 authentication: E=691 (rejected)');
  server.ctx.stats.authFailed = 4;
  assert.deepEqual(metrics.authFailuresByReason(), { rejected: 2 });
});

test('metrics: link-up record → setup latency observed from the link start', async () => {
  const { server, metrics, log } = setup();
  const a = new FakeLink(4, { upAfterMs: 420 });
  server.live = [a];
  log.child({ link: 4 }).info('link-up', 'link up');
  const body = (await metrics.scrape()).body;
  assert.equal(value(body, 'tunppp_session_setup_seconds_count'), 1);
  assert.equal(value(body, 'tunppp_session_setup_seconds_sum'), 0.42);
  assert.equal(value(body, 'tunppp_session_setup_seconds_bucket{le="0.25"}'), 0);
  assert.equal(value(body, 'tunppp_session_setup_seconds_bucket{le="0.5"}'), 1);
});

test('metrics: drops by source and reason from ServerStats, GRE, TUN and session counters; PMTU events', async () => {
  const { server, gre, tun, metrics } = setup();
  server.ctx.stats.spoofedSource = 4;
  server.ctx.stats.pmtuEvents = 2;
  gre.unknownCall = 9;
  tun.notIp = 3;
  const a = new FakeLink(1);
  a.session.counters.drops = { 'frame-malformed': 5 };
  server.live = [a];
  const body = (await metrics.scrape()).body;
  assert.equal(value(body, 'tunppp_drops_total{source="server",reason="spoofed-source"}'), 4);
  assert.equal(value(body, 'tunppp_drops_total{source="gre",reason="unknown-call"}'), 9);
  assert.equal(value(body, 'tunppp_drops_total{source="tun",reason="not-ipv4"}'), 3);
  assert.equal(value(body, 'tunppp_drops_total{source="ppp",reason="frame-malformed"}'), 5);
  assert.equal(value(body, 'tunppp_pmtu_events_total'), 2);
  assert.match(body, /# TYPE tunppp_drops_total counter/);
});

test('metrics: limit refusals are counted as refusals, never as dropped packets', async () => {
  const { server, metrics } = setup();
  server.ctx.stats.refusedConnectRate = 6;
  server.ctx.stats.authRefusedLocked = 2;
  server.ctx.stats.refusedAtLimit = 1;
  const body = (await metrics.scrape()).body;
  assert.equal(value(body, 'tunppp_refusals_total{reason="connect-rate"}'), 6);
  assert.equal(value(body, 'tunppp_refusals_total{reason="auth-locked-out"}'), 2);
  assert.equal(value(body, 'tunppp_refusals_total{reason="connection-limit"}'), 1);
  assert.doesNotMatch(body, /tunppp_drops_total\{source="(guard|server)",reason="(connect-rate|auth-locked-out|refused-at-limit)"/);
});

test('metrics: the whole exposition, process metrics included, passes promtool check metrics rules', async () => {
  const server = new FakeServer();
  const metrics = createServerMetrics({ links: () => [new FakeLink(1), new FakeLink(2, { proto: 'l2tp' })], stats: server.ctx.stats, gre: () => undefined, tun: () => undefined, radius: () => undefined });
  const body = (await metrics.scrape()).body;
  assert.match(body, /# TYPE tunppp_nodejs_active_handles gauge/);
  assert.deepEqual(promlint(body), []);
});

test('log ring: tee → primary gets the line; ring keeps text lines and records with child fields', () => {
  const stream = new PassThrough();
  let primary = '';
  stream.on('data', (d: Buffer) => (primary += d.toString()));
  const ring = new LogRing({ capacity: 3, now: () => new Date('2026-11-24T10:00:00Z') });
  const log = teeLogger(createLogger({ format: 'json', stream }), ring);
  const child = log.child({ link: 2, peer: '10.0.0.2' });
  child.info('link-up', 'link up: user alice', { user: 'alice' });
  child.debug('drop', 'not kept');
  assert.match(primary, /"event":"link-up"/);
  assert.match(ring.recentLines()[0]!, /^2026-11-24T10:00:00\+0000 \S+ tunppp\[\d+\]: link up: user alice link=2 peer=10\.0\.0\.2 user=alice event=link-up$/);
  assert.deepEqual(ring.recentRecords()[0]!.fields, { link: 2, peer: '10.0.0.2', user: 'alice' });
  for (let i = 0; i < 5; i++) log.info('x', `line ${i}`);
  assert.deepEqual(ring.recentLines().map((l) => /line \d/.exec(l)?.[0]), ['line 2', 'line 3', 'line 4']);
  assert.equal(ring.total, 6);
});

function loaded(config: Config, users: number): LoadedConfig {
  return { config, secrets: Array.from({ length: users }, (_, i) => ({ client: `u${i}`, server: '*', secret: 'x', addresses: [], line: i + 1 })) as unknown as LoadedConfig['secrets'], warnings: [], sources: ['/etc/tunppp/tunppp.json'] };
}

test('reload: changed dns and pools → dns applied, pools need a restart', async () => {
  const before = validateConfig({ pools: [{ local: '10.1.0.1', ranges: ['10.1.0.10-20'] }] }, 'a');
  const after = validateConfig({ pools: [{ local: '10.2.0.1', ranges: ['10.2.0.10-20'] }], dns: ['9.9.9.9'] }, 'b');
  assert.deepEqual(configChanges(before, after), { applied: ['dns'], needsRestart: ['pools'] });
  let applied: LoadedConfig | undefined;
  const target = { ctx: { config: before }, reload: (n: LoadedConfig) => (applied = n) };
  const r = await reloadServer(target, async () => loaded(after, 4), silentLogger);
  assert.deepEqual(r, { ok: true, sources: ['/etc/tunppp/tunppp.json'], users: 4, applied: ['dns'], needsRestart: ['pools'], warnings: [] });
  assert.equal(applied?.secrets.length, 4);
});

test('reload: a file that fails to parse → not applied, the error and fix reported', async () => {
  let applied = false;
  const target = { ctx: { config: defaultConfig() }, reload: () => (applied = true) };
  const r = await reloadServer(target, async () => {
    throw new ConfigError('CONFIG_SYNTAX', 'not valid JSON', { file: '/etc/tunppp/tunppp.json', line: 4 }, 'remove the trailing comma');
  }, silentLogger);
  assert.deepEqual(r, { ok: false, error: '/etc/tunppp/tunppp.json:4: not valid JSON', hint: 'remove the trailing comma' });
  assert.equal(applied, false);
});

test('masquerade: pool prefixes and the owned nft table', () => {
  const c = validateConfig({ pools: [{ local: '192.168.99.1', ranges: ['192.168.99.10-192.168.99.250'] }, { name: 'b', local: '10.7.0.1', ranges: ['10.7.0.2-10.7.0.3'], protocols: ['l2tp'] }] }, 't');
  assert.deepEqual(poolPrefixes(c), ['192.168.99.0/24', '10.7.0.0/30']);
  const rules = masqueradeRuleset('eth0', poolPrefixes(c), true);
  assert.equal(
    rules,
    'add table ip tunppp { flags owner; }\n' +
      'add chain ip tunppp postrouting { type nat hook postrouting priority srcnat; policy accept; }\n' +
      'add rule ip tunppp postrouting oifname "eth0" ip saddr { 192.168.99.0/24, 10.7.0.0/30 } counter masquerade',
  );
  assert.doesNotMatch(masqueradeRuleset('eth0', ['10.0.0.0/8'], false), /owner/);
});

test('metrics: labels { nas } (metrics.nasLabel) → every series carries nas="…", and the exposition still passes promtool rules', async () => {
  const server = new FakeServer();
  const metrics = createServerMetrics({ links: () => [new FakeLink(1)], stats: server.ctx.stats, gre: () => undefined, tun: () => undefined, radius: () => undefined }, { labels: { nas: 'tunppp-a' } });
  const body = (await metrics.scrape()).body;
  const series = body.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  assert.ok(series.length > 20);
  for (const l of series) assert.ok(l.includes('nas="tunppp-a"'), l);
  assert.match(body, /^tunppp_rate_limited_total\{direction="out",nas="tunppp-a"\} 0$/m);
  assert.deepEqual(promlint(body), []);
});
