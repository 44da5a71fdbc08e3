/**
 * Short seeded fuzz runs of the PPP targets (scripts/fuzz.mjs runs them for
 * millions of inputs): random and mutated-capture input → no exception,
 * bounded output, every rejection counted.
 */
import { test } from 'node:test';
import { fuzzOnce } from './harness.js';
import { pppTargets } from './ppp.targets.js';

for (const t of pppTargets) {
  test(`${t.name}: random and mutated real input → no throw, bounded output`, () => {
    fuzzOnce(t, 300);
  });
}
