/**
 * Issue 12 ("also check"): the brute-force lockout was keyed by the exact
 * user string, so against a case-insensitive backend (Active Directory behind
 * RADIUS) `Alice`, `ALICE`, `CORP\alice` and `alice@corp` each had their own
 * allowance of guesses at one account. They now count under one key.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionGuard, lockoutKey } from '../../src/server/guard.js';
import { defaultConfig } from '../../src/config/schema.js';

test('lockoutKey: case, DOMAIN\\ prefix, @realm suffix and compatibility forms fold to one name', () => {
  for (const u of ['alice', 'Alice', 'ALICE', 'CORP\\alice', 'corp\\ALICE', 'alice@corp.example', 'CORP\\Alice@corp', ' alice ', 'ａｌｉｃｅ']) assert.equal(lockoutKey(u), 'alice', u);
  assert.equal(lockoutKey('bob'), 'bob');
  assert.equal(lockoutKey('CORP\\'), 'corp\\', 'nothing after the prefix: the whole name');
  assert.equal(lockoutKey('@realm'), '@realm');
});

test('perUser 3: wrong passwords as "Alice", "CORP\\alice", "alice@corp" → alice locked out, under every spelling; bob is not', () => {
  const d = defaultConfig().limits;
  const g = new ConnectionGuard({ ...d, authFailures: { perUser: 3, perSource: 100, windowS: 60, lockoutS: 30 } });
  const src = (i: number): string => `198.51.100.${i}`;
  assert.equal(g.authResult('Alice', src(1), false, 0).lockedUser, false);
  assert.equal(g.authResult('CORP\\alice', src(2), false, 1).lockedUser, false);
  assert.equal(g.authResult('alice@corp', src(3), false, 2).lockedUser, true, 'the third spelling is the third failure');
  for (const u of ['alice', 'ALICE', 'corp\\Alice']) assert.equal(g.authLocked(u, src(9), 3), true, u);
  assert.equal(g.authLocked('bob', src(9), 3), false);
  assert.deepEqual(g.lockedOut(3).users, ['alice']);
  // A success under any spelling clears the count.
  const h = new ConnectionGuard({ ...d, authFailures: { perUser: 3, perSource: 100, windowS: 60, lockoutS: 30 } });
  h.authResult('ALICE', src(1), false, 0);
  h.authResult('alice', src(1), false, 1);
  h.authResult('Corp\\Alice', src(1), true, 2);
  assert.equal(h.authResult('alice', src(1), false, 3).lockedUser, false, 'cleared by the success');
});
