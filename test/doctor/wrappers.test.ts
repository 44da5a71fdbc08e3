/**
 * Every real log in test/fixtures/logs, wrapped every way users paste logs
 * (wrappers.ts), gives the findings the plain log gives: the same causes in
 * the same order, in as many sessions, from as many evidence lines, and no
 * more lines left not understood.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyzeTexts } from '../../src/doctor/analyze.js';
import type { Report } from '../../src/doctor/types.js';
import { fixtureLogNames, LOGS_DIR } from '../helpers/fixtures.js';
import { WRAPPERS } from './wrappers.js';

const YEAR = 2020;

function gist(r: Report): { findings: string[]; sessions: number; eventLines: number; unknownLines: number } {
  return {
    findings: r.findings.map((f) => `${f.cause} sessions=${f.sessionCount} evidence=${f.evidence.length}`),
    sessions: r.summary.sessions,
    eventLines: r.stats.eventLines,
    unknownLines: r.stats.unknownLines,
  };
}

for (const f of fixtureLogNames()) {
  const text = readFileSync(join(LOGS_DIR, f), 'utf8');
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const plain = gist(analyzeTexts([{ name: f, text }], { year: YEAR }));
  for (const [name, wrap] of Object.entries(WRAPPERS)) {
    test(`${f} as ${name}: same findings as the plain log`, () => {
      const wrapped = `${wrap(lines, YEAR).join('\n')}\n`;
      const r = analyzeTexts([{ name: f, text: wrapped }], { year: YEAR });
      assert.deepEqual(gist(r), plain, wrapped.slice(0, 600));
    });
  }
}
