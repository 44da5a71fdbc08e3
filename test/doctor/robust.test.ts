/**
 * Any mix of real log lines, in any order, with junk in between → the
 * analyzer never throws, every line is counted once, and the report is
 * valid JSON whose findings all name documented causes.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { analyzeTexts } from '../../src/doctor/analyze.js';
import { CAUSES } from '../../src/doctor/causes.js';
import { LOGS_DIR } from '../helpers/fixtures.js';

const DIR = LOGS_DIR;
const LINES = readdirSync(DIR)
  .filter((f) => f.endsWith('.log'))
  .flatMap((f) => readFileSync(join(DIR, f), 'utf8').split('\n'))
  .filter((l) => l.length > 0);
const IDS = new Set(CAUSES.map((c) => c.id));

test('robustness: shuffled real lines and junk → no throw, all lines counted, known causes only', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.constantFrom(...LINES), fc.string({ maxLength: 80 }).map((s) => s.replace(/[\r\n]/g, ''))), { maxLength: 60 }), (lines) => {
      const r = analyzeTexts([{ name: 'mix.log', text: lines.join('\n') }], { year: 2020 });
      const s = r.stats;
      assert.equal(s.eventLines + s.benignLines + s.unknownLines + s.otherLines, s.lines);
      for (const f of r.findings) assert.ok(IDS.has(f.cause), f.cause);
      JSON.parse(JSON.stringify(r));
    }),
    { numRuns: 300 },
  );
});
