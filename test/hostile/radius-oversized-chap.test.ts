/**
 * Issue 12, finding 3, black-box: `tunppp serve` with FreeRADIUS as its only
 * backend (in the server namespace), an attacker namespace that logs in 300
 * times over L2TP with a 255-octet CHAP-MD5 Response (a CHAP-Password of 256
 * octets). Each such login used to leak one RADIUS Identifier until every
 * login hung. Now each is refused at once with a CHAP Failure and counted
 * (the attacker's address ends up locked out), RADIUS never sees them, a
 * session that was up stays up, and alice still logs in through FreeRADIUS.
 * The in-process version is auth-radius-identifiers.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countMatches, fetchMetrics, metricValue } from '../e2e/harness.js';
import { netnsSkipReason } from '../io/netns.js';
import { freeradiusMissing, randomRadiusPort, startFreeRadius, type FreeRadius } from '../radius/freeradius.js';
import { hostileRun, SERVER_IP } from './net/harness.js';
import { radiusOnlyServer } from './net/radius-only.js';

const skip = netnsSkipReason() ?? freeradiusMissing();

test('RADIUS backend: 300 L2TP logins with a 255-octet CHAP-MD5 Response → 300 CHAP Failures at once, none sent to RADIUS, attacker locked out; a live session stays up and alice still logs in via FreeRADIUS', { skip, timeout: 300_000 }, async () => {
  const secret = 'hostile-radius-secret';
  const authPort = randomRadiusPort();
  // chap-secrets knows nobody we use: every login must go through RADIUS.
  const lab = radiusOnlyServer({ port: authPort, acctPort: authPort + 1, secret, timeoutMs: 1000, retries: 1 });
  let fr: FreeRadius | undefined;
  try {
    await hostileRun(
      lab.opts,
      async (h) => {
        fr = await startFreeRadius({ netns: h.s, users: 'alice Cleartext-Password := "alice-pw"\n', secret, authPort });
        const first = await h.legit('l2tp');
        const r = await h.attack('test/hostile/net/attacks/oversized-chap.ts', [SERVER_IP, '300', '255', 'mallory', '1000'], 240_000);
        assert.match(r.out, /DONE calls=300 failure=300 success=0 unanswered=0 refused=0/, `attack: ${r.out}\n${r.err}`);
        assert.doesNotMatch(fr.output(), /mallory/, 'no request of the attacker reached FreeRADIUS');
        // A new login after the attack, through RADIUS.
        const second = await h.legit('l2tp');
        assert.equal(countMatches(/RADIUS accepted alice \(chap-md5\)/g, h.server.err), 2, 'both of alice\'s logins went through RADIUS, the one after the attack too');
        const m = await fetchMetrics(h.api);
        assert.ok(metricValue(m, 'tunppp_auth_failures_total{reason="rejected"}') >= 300, 'every refused login is a counted failure');
        assert.ok(metricValue(m, 'tunppp_auth_lockouts_total') >= 1, 'the lockout saw them');
        assert.equal(metricValue(m, 'tunppp_radius_outstanding{type="auth"}'), 0, 'no RADIUS Identifier held');
        await first.watch.assertAlive();
        await second.watch.assertAlive();
      },
    );
  } finally {
    await fr?.stop();
    lab.cleanup();
  }
});
