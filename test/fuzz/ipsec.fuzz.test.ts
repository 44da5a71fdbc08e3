/**
 * Short seeded fuzz runs of the IPsec targets (scripts/fuzz.mjs runs them for
 * millions of inputs): random and mutated real input → no exception, bounded
 * output, no forged ESP delivered.
 */
import { test } from 'node:test';
import { fuzzOnce } from './harness.js';
import { ipsecTargets } from './ipsec.targets.js';

for (const t of ipsecTargets) {
  test(`${t.name}: random and mutated real input → no throw, bounded output`, () => {
    fuzzOnce(t, 300);
  });
}
