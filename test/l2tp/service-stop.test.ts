/**
 * Graceful stop of the LNS with clients connected (our LAC, no TUN): every
 * client is told (LCP Terminate, CDN, StopCCN "being shut down"), sees its
 * connection end, and the server frees every session and address.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRng } from '../../src/core/rng.js';
import { connectL2tp } from '../../src/client/l2tp-client.js';
import type { RunningClient } from '../../src/client/pptp-client.js';
import { silentLogger } from '../../src/log/logger.js';
import { startTestLns, type TestLns } from './lns-harness.js';

test('LNS running with 3 clients: stop → each client learns the server is shutting down and ends; sessions and addresses freed', { timeout: 60_000 }, async () => {
  let lns: TestLns | undefined;
  const clients: RunningClient[] = [];
  try {
    lns = await startTestLns({ users: [['fay', 'pw-fay']] });
    for (let i = 0; i < 3; i++) {
      clients.push(await connectL2tp({ host: '127.0.0.1', port: lns.port, localPort: 0, username: 'fay', password: 'pw-fay', tun: false, log: silentLogger, rng: seededRng(200 + i), connectTimeoutS: 20 }));
    }
    assert.equal(lns.service.linkCount, 3);
    for (const c of clients) assert.equal(c.info.mppe, '128-bit stateless', 'MPPE allowed by both sides by default → negotiated');
    const t0 = Date.now();
    await lns.service.stop(2000);
    const reasons = await Promise.all(clients.map((c) => Promise.race([c.closed, new Promise<string>((r) => setTimeout(() => r('still connected'), 10_000))])));
    for (const r of reasons) assert.match(r, /server shutting down/, r);
    assert.ok(Date.now() - t0 < 10_000);
    assert.equal(lns.service.linkCount, 0);
    assert.equal(lns.ctx.addresses.claimed, 0);
    assert.equal(lns.ctx.addresses.available('l2tp'), 241);
  } finally {
    for (const c of clients) await c.stop().catch(() => {});
    lns?.ctx.scheduler.stop();
  }
});

test('LNS listening on :: (dual-stack): an IPv4 LAC connects, logs and limits see the plain IPv4 address, answers reach it', { timeout: 30_000 }, async (t) => {
  let lns: TestLns | undefined;
  let client: RunningClient | undefined;
  try {
    try {
      lns = await startTestLns({ users: [['fay', 'pw-fay']], config: { listen: { l2tp: { addresses: ['::'] } } } });
    } catch (err) {
      t.skip(`no IPv6 socket here: ${(err as Error).message}`);
      return;
    }
    client = await connectL2tp({ host: '127.0.0.1', port: lns.port, localPort: 0, username: 'fay', password: 'pw-fay', tun: false, log: silentLogger, rng: seededRng(300), connectTimeoutS: 20 });
    const [link] = lns.service.links();
    assert.equal(link?.transport.peerAddress, '127.0.0.1');
    assert.equal(client.info.peerAddress, '10.99.0.1');
    await client.stop();
    assert.equal(await client.closed, 'user request');
  } finally {
    await client?.stop().catch(() => {});
    await lns?.stop();
  }
});
