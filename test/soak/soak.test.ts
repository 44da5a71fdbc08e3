/**
 * A short connect/disconnect soak (the 10,000-cycle run is `npm run bench -- soak`):
 * rounds of sessions through the real PPTP server code with MS-CHAPv2 and
 * MPPE-128, then a graceful stop; after every round no link, guard slot, call
 * ID, pool address or timer is left, the file descriptor count is back to its
 * start, and the heap stays flat.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSoak } from './soak-rig.js';

test('soak: 400 connect/disconnect cycles (20 rounds of 20) → every session up, zero leaked links, call IDs, addresses, timers, fds; heap flat', { timeout: 120_000 }, async (t) => {
  const rig = await startSoak(3);
  try {
    const idle = rig.leaks();
    assert.deepEqual(idle, { links: 0, guardOpen: 0, guardStarting: 0, callIds: 0, addressesInUse: 0, timers: 0 });
    // Warm-up: JIT, pools and buffers reach their steady size.
    for (let i = 0; i < 4; i++) await rig.round(20, 20);
    const base = rig.sample(80);
    let cycles = 80;
    for (let i = 0; i < 16; i++) {
      const r = await rig.round(20, 20);
      cycles += 20;
      assert.equal(r.up, 20, `round ${i}: ${r.errors.join('; ')}`);
      assert.deepEqual(rig.leaks(), idle, `round ${i}: something leaked`);
    }
    const end = rig.sample(cycles);
    t.diagnostic(`heap ${base.heapMB.toFixed(1)} → ${end.heapMB.toFixed(1)} MB, rss ${base.rssMB.toFixed(0)} → ${end.rssMB.toFixed(0)} MB, fds ${base.fds} → ${end.fds}`);
    assert.ok(end.heapMB - base.heapMB < 4, `heap grew ${(end.heapMB - base.heapMB).toFixed(1)} MB over ${cycles - 80} cycles`);
    if (base.fds >= 0) assert.ok(end.fds <= base.fds + 2, `fds ${base.fds} → ${end.fds}`);
  } finally {
    await rig.stop();
  }
});

test('faults: 3% loss, 5% duplication, 10% reordering on GRE both ways → every session still comes up (retransmissions), and nothing leaks after the stop', { timeout: 120_000 }, async () => {
  const rig = await startSoak(4);
  try {
    for (let i = 0; i < 1; i++) {
      const r = await rig.round(10, 10, { faults: { lossPct: 3, dupPct: 5, reorderPct: 10, seed: 100 + i } });
      assert.equal(r.up, 10, `round ${i}: ${r.errors.join('; ')}`);
      assert.deepEqual(rig.leaks(), { links: 0, guardOpen: 0, guardStarting: 0, callIds: 0, addressesInUse: 0, timers: 0 }, `round ${i}`);
    }
  } finally {
    await rig.stop();
  }
});

test('clients vanish: every client socket closed at once, no Terminate, no Call-Clear → the server reaps all sessions at once, nothing leaks', { timeout: 60_000 }, async () => {
  const rig = await startSoak(6);
  try {
    for (let i = 0; i < 3; i++) {
      const r = await rig.round(30, 30, { vanish: true });
      assert.equal(r.up, 30);
      assert.deepEqual(rig.leaks(), { links: 0, guardOpen: 0, guardStarting: 0, callIds: 0, addressesInUse: 0, timers: 0 }, `round ${i}`);
    }
  } finally {
    await rig.stop();
  }
});

test('server restarted under clients: 20 sessions up, graceful restart → every client sees its session end; reconnecting to the new server → all up again, nothing leaked', { timeout: 60_000 }, async () => {
  const rig = await startSoak(8);
  try {
    const held = await rig.hold(20, 20);
    assert.equal(held.up, 20);
    await rig.restart();
    const t0 = Date.now();
    while (held.upNow() > 0 && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 20));
    assert.equal(held.upNow(), 0, 'every client noticed the restart');
    await held.stop();
    const again = await rig.round(20, 20);
    assert.equal(again.up, 20, again.errors.join('; '));
    assert.deepEqual(rig.leaks(), { links: 0, guardOpen: 0, guardStarting: 0, callIds: 0, addressesInUse: 0, timers: 0 });
  } finally {
    await rig.stop();
  }
});
