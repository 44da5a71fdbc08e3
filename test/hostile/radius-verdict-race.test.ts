/**
 * Issue 12, finding 4, black-box: `tunppp serve` with FreeRADIUS as its only
 * backend, behind a relay that holds each request 500 ms (a slow RADIUS
 * server), and an attacker that answers Challenge 1 correctly as mallory,
 * renegotiates LCP at once, and answers Challenge 2 as alice with zeros. The
 * server used to hand mallory's Accept to alice's exchange (CHAP Success, a
 * link as alice); now that Accept is dropped and alice's own Reject decides.
 * The in-process version is auth-verdict-race.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fetchMetrics, metricValue } from '../e2e/harness.js';
import { netnsSkipReason } from '../io/netns.js';
import { freeradiusMissing, randomRadiusPort, startFreeRadius, type FreeRadius } from '../radius/freeradius.js';
import { startDelayProxy, type DelayProxy } from '../radius/delay-proxy.js';
import { hostileRun, SERVER_IP } from './net/harness.js';
import { radiusOnlyServer } from './net/radius-only.js';

const skip = netnsSkipReason() ?? freeradiusMissing();

test('RADIUS verdict pending, attacker renegotiates LCP and answers as alice with zeros → CHAP Failure, never a link as alice; a live session stays up', { skip, timeout: 180_000 }, async () => {
  const secret = 'hostile-race-secret';
  const authPort = randomRadiusPort();
  const proxyPort = authPort - 2;
  // chap-secrets knows nobody we use: every login goes through RADIUS, slowed by the proxy.
  const lab = radiusOnlyServer({ port: proxyPort, acctPort: authPort + 1, secret, timeoutMs: 3000, retries: 0 });
  let fr: FreeRadius | undefined;
  let proxy: DelayProxy | undefined;
  try {
    await hostileRun(
      lab.opts,
      async (h) => {
        fr = await startFreeRadius({ netns: h.s, users: 'alice Cleartext-Password := "alice-pw"\nmallory Cleartext-Password := "mallory-pw"\n', secret, authPort });
        proxy = await startDelayProxy(h.s, proxyPort, authPort, 500);
        const legit = await h.legit('l2tp');
        const r = await h.attack('test/hostile/net/attacks/verdict-race.ts', [SERVER_IP, 'mallory', 'mallory-pw', 'alice', '8000'], 30_000);
        assert.match(r.out, /OUTCOME failure challenges=2/, `attack: ${r.out}\n${r.err}`);
        assert.match(fr.output(), /mallory/, "mallory's request reached FreeRADIUS: the race was on");
        assert.doesNotMatch(h.server.err, /peer alice authenticated[^\n]*peer=10\.201\.0\.3/, 'no link as alice from the attacker');
        const m = await fetchMetrics(h.api);
        assert.equal(metricValue(m, 'tunppp_auth_successes_total'), 1, "only the legitimate session's login succeeded");
        await legit.watch.assertAlive();
      },
    );
  } finally {
    proxy?.stop();
    await fr?.stop();
    lab.cleanup();
  }
});
