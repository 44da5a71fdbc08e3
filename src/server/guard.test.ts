import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionGuard, GUARD_TABLE_MAX } from './guard.js';
import { defaultConfig } from '../config/schema.js';

function guard(over: Partial<ReturnType<typeof defaultConfig>['limits']> = {}): ConnectionGuard {
  return new ConnectionGuard({ ...defaultConfig().limits, ...over });
}

test('config: limits default to safe values and are validated', () => {
  const l = defaultConfig().limits;
  assert.deepEqual(l, {
    maxStarting: 64,
    maxStartingPerSource: 8,
    maxConnectionsPerSource: 64,
    maxCallsPerConnection: 4,
    maxSessionsPerTunnel: 16,
    connectRatePerSource: 30,
    rateWindowS: 10,
    setupTimeoutS: 60,
    authFailures: { perUser: 5, perSource: 20, windowS: 300, lockoutS: 600 },
  });
});

test('admit: per-source starting limit → refused and counted; handshakeDone frees a slot', () => {
  const g = guard({ maxStartingPerSource: 2 });
  assert.equal(g.admit('a', 0), undefined);
  assert.equal(g.admit('a', 1), undefined);
  assert.equal(g.admit('a', 2), 'too-many-starting-from-source');
  assert.equal(g.admit('b', 3), undefined, 'another source is not affected');
  assert.equal(g.stats.refusedStartingPerSource, 1);
  g.handshakeDone('a');
  assert.equal(g.admit('a', 4), undefined);
  assert.equal(g.startingCount, 3);
});

test('admit: server-wide starting limit → too-many-starting', () => {
  const g = guard({ maxStarting: 3 });
  for (let i = 0; i < 3; i++) assert.equal(g.admit(`s${i}`, 0), undefined);
  assert.equal(g.admit('s9', 0), 'too-many-starting');
  assert.equal(g.stats.refusedStarting, 1);
});

test('admit: open connections per source → too-many-from-source until one closes', () => {
  const g = guard({ maxConnectionsPerSource: 2 });
  g.admit('a', 0);
  g.handshakeDone('a');
  g.admit('a', 0);
  g.handshakeDone('a');
  assert.equal(g.admit('a', 0), 'too-many-from-source');
  g.closed('a');
  assert.equal(g.admit('a', 0), undefined);
  assert.equal(g.stats.refusedPerSource, 1);
});

test('admit: connection rate per source → refused inside the window, allowed after it', () => {
  const g = guard({ connectRatePerSource: 3, rateWindowS: 10 });
  for (let i = 0; i < 3; i++) {
    assert.equal(g.admit('a', i), undefined);
    g.handshakeDone('a');
    g.closed('a');
  }
  assert.equal(g.admit('a', 5), 'connect-rate');
  assert.equal(g.admit('a', 6), 'connect-rate', 'refused attempts count too: a flood stays refused');
  assert.equal(g.admit('a', 20_000), undefined);
  assert.equal(g.stats.refusedConnectRate, 2);
});

test('auth: perUser failures within the window → user locked out for lockoutS, then allowed again', () => {
  const g = guard({ authFailures: { perUser: 3, perSource: 100, windowS: 60, lockoutS: 120 } });
  assert.equal(g.authLocked('eve', '1.1.1.1', 0), false);
  g.authResult('eve', '1.1.1.1', false, 0);
  g.authResult('eve', '1.1.1.2', false, 1000);
  const r = g.authResult('eve', '1.1.1.3', false, 2000);
  assert.deepEqual(r, { lockedUser: true, lockedSource: false });
  assert.equal(g.authLocked('eve', '9.9.9.9', 3000), true, 'locked from any address');
  assert.equal(g.authLocked('bob', '1.1.1.1', 3000), false, 'other users are not');
  assert.equal(g.stats.authLockoutsUser, 1);
  assert.equal(g.stats.authRefusedLocked, 1);
  assert.deepEqual(g.lockedOut(3000).users, ['eve']);
  assert.equal(g.authLocked('eve', '1.1.1.1', 2000 + 120_001), false);
});

test('auth: failures spread beyond the window never lock; a success clears the user count', () => {
  const g = guard({ authFailures: { perUser: 3, perSource: 100, windowS: 10, lockoutS: 60 } });
  for (let i = 0; i < 10; i++) assert.equal(g.authResult('slow', 'a', false, i * 6000).lockedUser, false);
  g.authResult('u', 'b', false, 0);
  g.authResult('u', 'b', false, 1);
  g.authResult('u', 'b', true, 2);
  assert.equal(g.authResult('u', 'b', false, 3).lockedUser, false);
});

test('auth: perSource failures across many user names → the address is locked out', () => {
  const g = guard({ authFailures: { perUser: 100, perSource: 4, windowS: 60, lockoutS: 60 } });
  let locked = false;
  for (let i = 0; i < 4; i++) locked = g.authResult(`user${i}`, '6.6.6.6', false, i).lockedSource;
  assert.equal(locked, true);
  assert.equal(g.authLocked('anyone', '6.6.6.6', 10), true);
  assert.equal(g.stats.authLockoutsSource, 1);
});

test('tables: a flood of distinct addresses and user names keeps at most GUARD_TABLE_MAX entries each', () => {
  const g = guard({ authFailures: { perUser: 1000, perSource: 1000, windowS: 60, lockoutS: 60 } });
  for (let i = 0; i < GUARD_TABLE_MAX + 500; i++) {
    g.admit(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, i);
    g.authResult(`u${i}`, `s${i}`, false, i);
  }
  const internals = g as unknown as { rate: Map<string, unknown>; userFailures: Map<string, unknown>; sourceFailures: Map<string, unknown> };
  assert.ok(internals.rate.size <= GUARD_TABLE_MAX);
  assert.ok(internals.userFailures.size <= GUARD_TABLE_MAX);
  assert.ok(internals.sourceFailures.size <= GUARD_TABLE_MAX);
});
