/**
 * Short seeded fuzz runs of the TUN offload targets (scripts/fuzz.mjs runs
 * them for millions of inputs): random and mutated segments → no exception,
 * merges that cut back into exactly their inputs.
 */
import { test } from 'node:test';
import { fuzzOnce } from './harness.js';
import { offloadTargets } from './offload.targets.js';

for (const t of offloadTargets) {
  test(`${t.name}: random and mutated input → no throw, merges cut back into their inputs`, () => {
    fuzzOnce(t, 2000);
  });
}
