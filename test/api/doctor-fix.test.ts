/**
 * The dashboard's doctor panel names what the running server really uses:
 * its chap-secrets file, its PPP name and the failing user from the log, not
 * pppd's /etc/ppp/chap-secrets, "pptpd" and "alice".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createOps } from '../../src/api/ops.js';
import { evidenceUser, localizeFix } from '../../src/api/doctor-fix.js';
import { createServerMetrics } from '../../src/metrics/metrics.js';
import { LogRing, teeLogger } from '../../src/ops/log-ring.js';
import { silentLogger } from '../../src/log/logger.js';
import { FakeServer } from './fakes.js';

test('doctor panel: a rejected MS-CHAPv2 login → the fix names the server\'s chap-secrets, its name and the user', async () => {
  const server = new FakeServer();
  (server.ctx as { config?: unknown }).config = { auth: { chapSecrets: '/etc/tunppp/chap-secrets' }, ppp: { name: 'vpn-office' } };
  const ring = new LogRing();
  const metrics = createServerMetrics({ links: () => [], stats: server.ctx.stats, gre: () => undefined, tun: () => undefined }, { processMetrics: false });
  const ops = createOps({ server, ring, metrics, reload: async () => ({ ok: true, sources: [], users: 0, applied: [], needsRestart: [], warnings: [] }), version: 't' });
  const log = teeLogger(silentLogger, ring);
  log.child({ link: 7, proto: 'pptp', peer: '198.51.100.9' }).warn('auth-failed', 'Peer mallory failed MS-CHAP-v2 authentication: E=691 (rejected)', { user: 'mallory', code: 691, final: true });
  const r = await ops.doctor();
  assert.ok(r.ok, JSON.stringify(r));
  const f = r.info.findings.find((x) => x.cause === 'auth-bad-credentials');
  assert.ok(f, JSON.stringify(r.info.findings.map((x) => x.cause)));
  const step = f.fix.find((x) => x.target.includes('chap-secrets'))!;
  assert.equal(step.target, '/etc/tunppp/chap-secrets (server)');
  assert.ok(step.lines.some((l) => /^mallory\s+vpn-office\s+"s3cret"\s+\*$/.test(l)), step.lines.join('\n'));
  assert.doesNotMatch(JSON.stringify(f.fix), /\/etc\/ppp\/chap-secrets|alice|\bpptpd\b/);
});

test('localizeFix: other targets untouched; * server column kept; names with blanks quoted', () => {
  const out = localizeFix(
    [
      { target: 'Windows', lines: ['alice'] },
      { target: '/etc/ppp/chap-secrets', lines: ['# client server secret IP', '<user>     *        "password"    *'] },
    ],
    { chapSecrets: '/srv/cs', serverName: 'x' },
    'bob smith',
  );
  assert.deepEqual(out, [
    { target: 'Windows', lines: ['alice'] },
    { target: '/srv/cs', lines: ['# client server secret IP', '"bob smith"     *        "password"    *'] },
  ]);
  assert.equal(evidenceUser(['x', 'Aug 1 tunppp[1]: warn: Peer carol failed PAP authentication (rejected)']), 'carol');
  assert.equal(evidenceUser(['Peer ? failed MS-CHAP-v2 authentication']), undefined);
});
