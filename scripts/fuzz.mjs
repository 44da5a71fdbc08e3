#!/usr/bin/env node
// Runs the fuzz targets of test/fuzz/*.targets.ts for a number of inputs or a
// time budget each, outside the test suite, and reports inputs/s and every
// failing input found (as a fast-check counterexample with its seed).
//
//   node scripts/fuzz.mjs [--inputs 1000000] [--minutes 2 | --budget 60] [--seed 1]
//                         [--coverage] [--coverage-out FILE] [name-substring...]
//
//   --minutes T      time per target;  --budget S  seconds for the whole run, split evenly
//   --coverage       measure V8 block coverage of the run and print the branch table of
//                    every parser and state machine file (test/fuzz/coverage.ts), then
//                    the branch arms never reached in the 12 files with the most (every
//                    file's with --coverage-out FILE, written there)
//
// Exit status 1 when any target failed. Found inputs go into
// test/fuzz/regressions.test.ts by hand once the owning file is fixed.
import { register } from 'tsx/esm/api';
import { writeFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';

register();

const args = process.argv.slice(2);
let inputs = 1_000_000;
let minutes = Infinity;
let budget;
let seed = Date.now() % 2 ** 31;
let coverage = false;
let coverageOut;
const filters = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--inputs') inputs = Number(args[++i]);
  else if (a === '--minutes') minutes = Number(args[++i]);
  else if (a === '--budget') budget = Number(args[++i]);
  else if (a === '--seed') seed = Number(args[++i]);
  else if (a === '--coverage') coverage = true;
  else if (a === '--coverage-out') {
    coverage = true;
    coverageOut = args[++i];
  } else if (a === '--help' || a === '-h') {
    console.log('usage: node scripts/fuzz.mjs [--inputs N] [--minutes T | --budget S] [--seed S] [--coverage] [--coverage-out FILE] [target-substring...]');
    process.exit(0);
  } else filters.push(a);
}

for (const [flag, v] of [['--inputs', inputs], ['--minutes', minutes], ['--budget', budget ?? 1], ['--seed', seed]]) {
  if (!(v > 0) && !(flag === '--seed' && v === 0)) {
    console.error(`${flag} needs a positive number (got ${v}); see --help`);
    process.exit(2);
  }
}

/** The parser and state-machine files whose branch coverage is reported. */
const COVERED = ['src/pptp/', 'src/l2tp/', 'src/ppp/', 'src/radius/', 'src/doctor/', 'src/config/', 'src/wire/', 'src/ipsec/'];
const NOT_COVERED = ['src/ppp/crypto/', '.test.ts'];
let cov;
if (coverage) {
  // Before the code under test is imported, so every function is compiled with block counters.
  const { FuzzCoverage } = await import('../test/fuzz/coverage.ts');
  cov = new FuzzCoverage();
  await cov.start();
}

const families = ['pptp', 'ppp', 'l2tp', 'radius', 'text', 'offload', 'structure', 'ipsec'];
const harness = await import('../test/fuzz/harness.ts');
const targets = [];
for (const f of families) {
  const mod = await import(`../test/fuzz/${f}.targets.ts`);
  const list = mod[`${f}Targets`];
  if (!Array.isArray(list)) throw new Error(`test/fuzz/${f}.targets.ts exports no ${f}Targets array`);
  targets.push(...list);
}
const chosen = targets.filter((t) => filters.length === 0 || filters.some((f) => t.name.includes(f)));
// With --budget, each target gets a share of it by its weight (default 1).
const shares = chosen.reduce((a, t) => a + (t.weight ?? 1), 0);
const minutesOf = (t) => (budget === undefined ? minutes : Math.min(minutes, ((budget / 60) * (t.weight ?? 1)) / Math.max(1, shares)));
const started = performance.now();
console.log(`fuzzing ${chosen.length} targets, ${inputs} inputs or ${budget === undefined ? `${(minutes * 60).toFixed(1)} s each` : `${budget} s in all`}, seed ${seed}`);

// A watchdog thread: one input that runs GRACE_S past its target's time (a hang, or super-linear
// work such as a backtracking regular expression) cannot be interrupted from this thread, so the
// watchdog names the target and the seed of its batch and kills the process (exit status non-zero).
const GRACE_S = 30;
const beat = new Int32Array(new SharedArrayBuffer(16)); // [target index, batch seed, due (s since base; 0 = off), unused]
const base = Date.now();
const watchdog = new Worker(
  `const { workerData } = require('node:worker_threads');
  const { writeSync } = require('node:fs');
  const beat = new Int32Array(workerData.sab);
  for (;;) {
    Atomics.wait(beat, 3, 0, 1000);
    if (beat[2] > 0 && (Date.now() - workerData.base) / 1000 > beat[2]) {
      const name = workerData.names[beat[0]];
      const why = ' s past the time of the target (a hang or super-linear work); rerun: node scripts/fuzz.mjs --inputs 2000 --seed ';
      writeSync(1, 'FAIL ' + name + ': one input ran ' + workerData.grace + why + beat[1] + ' ' + name + String.fromCharCode(10));
      process.kill(process.pid, 'SIGKILL');
    }
  }`,
  { eval: true, workerData: { sab: beat.buffer, base, grace: GRACE_S, names: chosen.map((t) => t.name) } },
);
watchdog.unref();

let failed = 0;
/** Inputs per fast-check call: a slow target gets small batches so it keeps to its time. */
function batchSize(done, elapsedMs, leftMs) {
  if (done === 0) return 20;
  const perMs = done / Math.max(1, elapsedMs);
  return Math.max(10, Math.min(2000, Math.floor((perMs * leftMs) / 2)));
}
for (const [ti, t] of chosen.entries()) {
  const arb = harness.inputArb(t);
  beat[0] = ti;
  beat[2] = Number.isFinite(minutesOf(t)) ? Math.ceil((Date.now() - base) / 1000 + minutesOf(t) * 60) + GRACE_S : 0;
  const seeds = t.seeds().length;
  const start = performance.now();
  const deadline = start + minutesOf(t) * 60_000;
  let done = 0;
  let found;
  for (let batch = 0; done < inputs && performance.now() < deadline; batch++) {
    const now = performance.now();
    const n = Math.min(batchSize(done, now - start, deadline - now), inputs - done);
    beat[1] = seed + batch;
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
beat[2] = 0;
await watchdog.terminate();
console.log(`${chosen.length} targets in ${((performance.now() - started) / 1000).toFixed(1)} s, ${failed} failed`);

if (cov) {
  const { coverageTable, unreachedList } = await import('../test/fuzz/coverage.ts');
  const files = (await cov.stop((f) => COVERED.some((d) => f.startsWith(d)) && !NOT_COVERED.some((d) => f.includes(d)))).filter((f) => f.total > 0);
  console.log(`\nbranch coverage of this run (V8 block counts; arms of if/else, ?:, &&/||/??, case, catch):\n${coverageTable(files)}`);
  const worst = [...files].sort((a, b) => b.total - b.hit - (a.total - a.hit)).slice(0, 12);
  console.log(`\nbranch arms never reached (line:column kind) in the 12 files with the most:\n${unreachedList(worst)}`);
  if (coverageOut) {
    writeFileSync(coverageOut, `${coverageTable(files)}\n\nbranch arms never reached (line:column kind):\n${unreachedList(files)}\n`);
    console.log(`\nevery branch arm never reached, file by file: ${coverageOut}`);
  }
}
process.exit(failed ? 1 : 0);
