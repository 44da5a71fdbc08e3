/**
 * Short seeded fuzz runs of the config and doctor targets (scripts/fuzz.mjs runs them for
 * millions of inputs): random and mutated-capture input → no exception,
 * bounded output, every rejection counted.
 */
import { test } from 'node:test';
import { fuzzOnce } from './harness.js';
import { textTargets } from './text.targets.js';

for (const t of textTargets) {
  test(`${t.name}: random and mutated real input → no throw, bounded output`, () => {
    fuzzOnce(t, 150);
  });
}
