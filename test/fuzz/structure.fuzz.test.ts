/**
 * Short seeded runs of the structure-aware targets (two of our machines
 * talking through a man in the middle who edits AVPs, options, attributes,
 * fields and whole messages; signed edited RADIUS replies; edited real logs).
 * scripts/fuzz.mjs runs them long and reports branch coverage.
 */
import { test } from 'node:test';
import { fuzzOnce } from './harness.js';
import { structureTargets } from './structure.targets.js';

for (const t of structureTargets) {
  test(`${t.name}: structural edits of real exchanges → no throw, bounded output, nothing leaks`, () => {
    fuzzOnce(t, 150);
  });
}
