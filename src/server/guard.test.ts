import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionGuard, GUARD_TABLE_MAX, type GuardedSession } from './guard.js';
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
    maxUnauthenticatedPerSource: 8,
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

/** A session as the guard sees it; `lowerDown` marks it down as PppLink does. */
class FakeSession implements GuardedSession {
  state: 'starting' | 'up' | 'down' = 'starting';
  authProtocol: string | undefined;
  downReason: string | undefined;
  readonly transport: { peerAddress: string };
  constructor(address: string, authed = false) {
    this.transport = { peerAddress: address };
    if (authed) {
      this.authProtocol = 'mschap-v2';
      this.state = 'up';
    }
  }
  lowerDown(reason: string): void {
    this.state = 'down';
    this.downReason = reason;
  }
}

/** Admits sessions from `address` into `sessions` until refused; returns how many got in. */
function fill(g: ConnectionGuard, sessions: FakeSession[], address: string, n: number, max: number): number {
  let admitted = 0;
  for (let i = 0; i < n; i++) {
    if (g.admitSession(address, sessions, max, 0) !== undefined) continue;
    sessions.push(new FakeSession(address));
    admitted++;
  }
  return admitted;
}

test('admitSession: unauthenticated sessions per source → the 9th from one address refused and counted; authenticated ones do not count', () => {
  const g = guard();
  const sessions: FakeSession[] = [];
  assert.equal(fill(g, sessions, 'a', 20, 100), 8);
  assert.equal(g.stats.refusedUnauthenticatedPerSource, 12);
  sessions[0]!.authProtocol = 'chap-md5'; // one logs in
  assert.equal(g.admitSession('a', sessions, 100, 0), undefined);
  sessions[1]!.state = 'down'; // one ends
  sessions.push(new FakeSession('a'));
  assert.equal(g.admitSession('a', sessions, 100, 0), undefined);
  assert.equal(fill(g, sessions, 'b', 3, 100), 3, 'another address is not affected');
});

test('admitSession: at connections.max, a new source evicts the oldest unauthenticated session of the source holding the most; authenticated sessions are never evicted', () => {
  const g = guard({ maxUnauthenticatedPerSource: 8 });
  const sessions: FakeSession[] = [];
  for (let i = 0; i < 6; i++) sessions.push(new FakeSession(`user${i}`, true));
  // Two attacker addresses fill the remaining 16 slots.
  fill(g, sessions, 'x1', 8, 22);
  fill(g, sessions, 'x2', 8, 22);
  assert.equal(sessions.length, 22);
  const oldestX1 = sessions.find((s) => s.transport.peerAddress === 'x1')!;
  assert.equal(g.admitSession('legit', sessions, 22, 0), undefined, 'the legitimate user gets a slot');
  assert.equal(oldestX1.state, 'down');
  assert.match(oldestX1.downReason!, /evicted at the connection limit/);
  assert.equal(g.stats.evictedUnauthenticated, 1);
  sessions.push(new FakeSession('legit'));
  // The attacker cannot evict back: x1 holds 7, x2 holds 8; neither holds more than it would after admission.
  assert.equal(g.admitSession('x1', sessions, 22, 0), 'connection-limit');
  assert.equal(g.admitSession('x2', sessions, 22, 0), 'too-many-unauthenticated-from-source');
  assert.equal(g.stats.refusedAtLimit, 1);
  // Only authenticated sessions and one source each: nobody to evict.
  const full = Array.from({ length: 5 }, (_, i) => new FakeSession(`u${i}`, true));
  assert.equal(g.admitSession('new', full, 5, 0), 'connection-limit');
  assert.ok(full.every((s) => s.state === 'up'));
});

test('admitSession: a source holding one unauthenticated session is not evicted for another single one (no churn among real users at the limit)', () => {
  const g = guard();
  const sessions = [new FakeSession('a'), new FakeSession('b', true)];
  assert.equal(g.admitSession('c', sessions, 2, 0), 'connection-limit');
  assert.equal(sessions[0]!.state, 'starting');
});
