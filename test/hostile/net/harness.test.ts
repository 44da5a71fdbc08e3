/**
 * The hostile lab itself: a legitimate PPTP and a legitimate L2TP session
 * stay alive through a burst of random bytes from the attacker namespace at
 * both listeners, and the liveness watch notices a dead tunnel (it must be
 * able to fail).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { netnsSkipReason } from '../../io/netns.js';
import { hostileRun, SERVER_IP } from './harness.js';

const skip = netnsSkipReason();

test('hostile lab: PPTP and L2TP sessions stay alive through random bytes from the attacker', { skip, timeout: 90_000 }, async () => {
  await hostileRun({}, async (h) => {
    const pptp = await h.legit('pptp');
    const l2tp = await h.legit('l2tp', [], ['mallory', 'mallory-pw']);
    const r = await h.attack('test/hostile/net/attacks/garbage.ts', [SERVER_IP, '300']);
    assert.match(r.out, /SENT udp=300/, r.err);
    await pptp.watch.assertAlive();
    await l2tp.watch.assertAlive();
  });
});

test('hostile lab: the liveness watch fails when the tunnel dies', { skip, timeout: 90_000 }, async () => {
  await hostileRun({ protocols: ['pptp'] }, async (h) => {
    const pptp = await h.legit('pptp');
    await new Promise((r) => setTimeout(r, 1500));
    await pptp.client.stop('SIGKILL');
    await new Promise((r) => setTimeout(r, 3000));
    await assert.rejects(pptp.watch.assertAlive(), /lost/);
  });
});
