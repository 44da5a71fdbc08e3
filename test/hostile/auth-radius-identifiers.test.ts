/**
 * Issue 12, finding 3 (in-process, real links + RadiusService + a fake RADIUS
 * server on loopback): a CHAP-MD5 Response of 255 octets used to become a
 * CHAP-Password of 256 octets, which the RADIUS client could not encode after
 * taking an Identifier — one leaked per login, until every login hung. Now
 * the PPP edge refuses it as a failed login (counted, lockout included) and
 * nothing reaches RADIUS; the legitimate user still gets in.
 * The black-box version through the CLI is test/hostile/radius-identifiers.net.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { guardOf } from '../../src/server/guard.js';
import { chapMd5Response } from './ppp-peer.js';
import { radiusLab, until } from './radius-lab.js';

test('300 logins with a 255-octet CHAP-MD5 Response → each refused at the edge and counted, none reaches RADIUS; then alice logs in via RADIUS', async () => {
  const lab = await radiusLab({ alice: { password: 'alice-pw' } }, { limits: { authFailures: { perUser: 5, perSource: 20, windowS: 300, lockoutS: 600 } }, timeoutMs: 300 });
  try {
    let refused = 0;
    for (let i = 0; i < 300; i++) {
      const { link, peer, pump } = lab.login('203.0.113.66', () => ({ value: new Uint8Array(255).fill(0x41), name: 'mallory' }));
      // An old server would be waiting on RADIUS here; give the event loop a turn either way.
      await new Promise((r) => setImmediate(r));
      pump();
      if (peer.outcomes.join() === 'failure') refused++;
      link.lowerDown('attacker hung up', lab.ctx.clock.now());
    }
    // The legitimate user first: on the old code her Access-Request waited for an Identifier for ever.
    const alice = lab.login('198.51.100.20', (c) => ({ value: chapMd5Response(c.identifier, 'alice-pw', c.value), name: 'alice' }));
    await until(() => (alice.pump(), alice.peer.outcomes.length > 0), 3000, "alice's CHAP outcome");
    assert.deepEqual(alice.peer.outcomes, ['success']);
    assert.equal(lab.ctx.stats.authOk, 1);
    assert.equal(lab.fake.access.length, 1, "alice's Access-Request is the only one that reached RADIUS");

    assert.equal(refused, 300, 'every attempt got a CHAP Failure at once');
    assert.equal(lab.ctx.stats.authFailed, 300, 'every attempt is a failed login');
    assert.ok(lab.ctx.stats.authLockoutsSource >= 1, 'the lockout saw them: the attacker address is locked out');
    assert.ok(guardOf(lab.ctx).lockedOut(lab.ctx.clock.now()).sources.includes('203.0.113.66'));
    assert.equal(lab.radius.stats.clients()[0]!.outstanding, 0, 'no RADIUS Identifier is held');
  } finally {
    await lab.stop();
  }
});
