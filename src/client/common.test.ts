import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitAtMost } from './common.js';

const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

test('waitAtMost: the promise settles first → resolves at once and leaves no timer behind (connect exits right after Ctrl-C)', async () => {
  const before = timers();
  const t0 = performance.now();
  await waitAtMost(Promise.resolve('closed'), 60_000);
  assert.ok(performance.now() - t0 < 1000);
  assert.equal(timers(), before);
});

test('waitAtMost: the promise never settles → resolves after the bound', async () => {
  const before = timers();
  const t0 = performance.now();
  await waitAtMost(new Promise(() => {}), 50);
  assert.ok(performance.now() - t0 >= 45);
  assert.equal(timers(), before);
});

test('waitAtMost: a rejected promise → rejects, timer cleared', async () => {
  const before = timers();
  await assert.rejects(waitAtMost(Promise.reject(new Error('x')), 60_000), /x/);
  assert.equal(timers(), before);
});
