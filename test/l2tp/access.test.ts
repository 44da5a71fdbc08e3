/**
 * xl2tpd access control on the real L2TP service (in process, loopback): a
 * LAC the rules refuse gets a StopCCN and no tunnel, as from xl2tpd
 * ("No Authorization"); an allowed one connects; `exclusive` refuses a second
 * tunnel from the same address with result 3 (control connection exists).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRng } from '../../src/core/rng.js';
import { connectL2tp } from '../../src/client/l2tp-client.js';
import type { RunningClient } from '../../src/client/pptp-client.js';
import { silentLogger } from '../../src/log/logger.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { startTestLns, type TestLns } from './lns-harness.js';

type Access = NonNullable<NonNullable<NonNullable<ConfigInput['listen']>['l2tp']>['access']>;

async function withLns(access: Access, fn: (lns: TestLns, connect: (seed: number) => Promise<RunningClient>) => Promise<void>): Promise<void> {
  const lns = await startTestLns({ users: [['fay', 'pw-fay']], config: { listen: { l2tp: { access } } } });
  const clients: RunningClient[] = [];
  const connect = async (seed: number): Promise<RunningClient> => {
    const c = await connectL2tp({ host: '127.0.0.1', port: lns.port, localPort: 0, username: 'fay', password: 'pw-fay', tun: false, log: silentLogger, rng: seededRng(seed), connectTimeoutS: 5 });
    clients.push(c);
    return c;
  };
  try {
    await fn(lns, connect);
  } finally {
    for (const c of clients) await c.stop().catch(() => {});
    await lns.stop();
  }
}

test('access control = yes, the LAC matched last by "no lac" → StopCCN result 4 "No Authorization", no tunnel', { timeout: 30_000 }, async () => {
  await withLns({ control: true, lacs: [{ range: '127.0.0.0/8', allow: true }, { range: '127.0.0.1', allow: false }] }, async (lns, connect) => {
    await assert.rejects(connect(1), /StopCCN \(result 4[^)]*No Authorization/);
    assert.equal(lns.service.linkCount, 0);
    assert.equal(lns.service.ports.reduce((n, p) => n + p.tunnelCount, 0), 0);
  });
});

test('access control = yes, no rule for the LAC → refused; a "lac" rule for it → connects', { timeout: 30_000 }, async () => {
  await withLns({ control: true, lacs: [{ range: '10.0.0.0/8', allow: true }] }, async (_lns, connect) => {
    await assert.rejects(connect(2), /No Authorization/);
  });
  await withLns({ control: true, lacs: [{ range: '127.0.0.1', allow: false }, { range: '127.0.0.0-127.0.0.9', allow: true }] }, async (lns, connect) => {
    const c = await connect(3);
    assert.equal(c.info.peerAddress, '10.99.0.1');
    assert.equal(lns.service.linkCount, 1);
  });
});

test('exclusive = yes: a second tunnel from the same address → StopCCN result 3; after the first ends, a new one connects', { timeout: 30_000 }, async () => {
  await withLns({ control: false, lacs: [], exclusive: true }, async (lns, connect) => {
    const first = await connect(4);
    await assert.rejects(connect(5), /StopCCN \(result 3/);
    assert.equal(lns.service.linkCount, 1);
    await first.stop();
    await first.closed;
    // The first tunnel is closing (it acks the StopCCN exchange for a while): closing tunnels do not count.
    const again = await connect(6);
    assert.equal(again.info.peerAddress, '10.99.0.1');
  });
});
