#!/usr/bin/env node
// Runs the fuzz targets of test/fuzz/*.targets.ts for a number of inputs or a
// time budget each, outside the test suite, and reports inputs/s and every
// failing input found (as a fast-check counterexample with its seed).
//
//   node scripts/fuzz.mjs [--inputs 1000000] [--minutes 2] [--seed 1] [name-substring...]
//
// Exit status 1 when any target failed. Found inputs go into
// test/fuzz/regressions.test.ts by hand once the owning file is fixed.
import { register } from 'tsx/esm/api';
import fc from 'fast-check';

register();

const args = process.argv.slice(2);
let inputs = 1_000_000;
let minutes = Infinity;
let seed = Date.now() % 2 ** 31;
const filters = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--inputs') inputs = Number(args[++i]);
  else if (a === '--minutes') minutes = Number(args[++i]);
  else if (a === '--seed') seed = Number(args[++i]);
  else if (a === '--help' || a === '-h') {
    console.log('usage: node scripts/fuzz.mjs [--inputs N] [--minutes T] [--seed S] [target-substring...]');
    process.exit(0);
  } else filters.push(a);
}

const families = ['pptp', 'ppp', 'l2tp', 'radius', 'text', 'offload', 'ipsec'];
const harness = await import('../test/fuzz/harness.ts');
const targets = [];
for (const f of families) {
  const mod = await import(`../test/fuzz/${f}.targets.ts`);
  for (const t of Object.values(mod).find(Array.isArray) ?? []) targets.push(t);
}
const chosen = targets.filter((t) => filters.length === 0 || filters.some((f) => t.name.includes(f)));
console.log(`fuzzing ${chosen.length} targets, ${inputs} inputs or ${minutes} min each, seed ${seed}`);

let failed = 0;
const BATCH = 2000;
for (const t of chosen) {
  const arb = harness.inputArb(t);
  const seeds = t.seeds().length;
  const start = performance.now();
  const deadline = start + minutes * 60_000;
  let done = 0;
  let found;
  for (let batch = 0; done < inputs && performance.now() < deadline; batch++) {
    const n = Math.min(BATCH, inputs - done);
    const r = fc.check(fc.property(arb, (p) => t.run(p)), { numRuns: n, seed: seed + batch, endOnFailure: true });
    done += r.numRuns;
    if (r.failed) {
      found = r;
      break;
    }
  }
  const secs = (performance.now() - start) / 1000;
  const rate = Math.round(done / secs);
  if (found) {
    failed++;
    const ce = JSON.stringify(found.counterexample, (_k, v) => (v instanceof Uint8Array ? Array.from(v) : v));
    console.log(`FAIL ${t.name}: after ${done} inputs (${rate}/s), seed ${found.seed}\n  ${String(found.errorInstance ?? found.error).split('\n')[0]}\n  input ${ce.slice(0, 2000)}`);
  } else console.log(`ok   ${t.name}: ${done} inputs in ${secs.toFixed(1)} s (${rate}/s, ${seeds} seeds)`);
}
process.exit(failed ? 1 : 0);
