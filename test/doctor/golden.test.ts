/**
 * Golden reports: the JSON report for every shared log, for all of them read
 * together, and for a generated medium log (the bench generator, about 6 MB,
 * plus an ISO-stamped copy of part of it) must not change when the hot path
 * is optimised. The fixtures in test/doctor/golden/ were written by the code
 * before the performance work; regenerate them only for an intended change
 * of diagnosis: `UPDATE_GOLDEN=1 node scripts/test.mjs --no-setup --no-static golden`.
 *
 * The medium log's report lists every session; it is stored as a listing of
 * the first 300 sessions plus a SHA-256 of the full report, so a difference
 * anywhere fails and the listing shows where to look.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { generateLog } from '../../bench/cases/doctor.js';
import { Analyzer, analyzeTexts } from '../../src/doctor/analyze.js';
import type { Report } from '../../src/doctor/types.js';
import { checkGolden, SHARED_LOGS as LOGS, sharedLogNames } from './helpers.js';

const GOLDEN = fileURLToPath(new URL('./golden/', import.meta.url));

const logs = sharedLogNames();

function json(r: Report): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}

function check(name: string, actual: string): void {
  checkGolden(GOLDEN, name, actual, 'golden report');
}

/** Feeds bytes through the streaming path in uneven chunks (as a file read would). */
function analyzeBytes(files: { name: string; bytes: Buffer }[], opts: { fastPath?: boolean; maxSessions?: number }): Report {
  const a = new Analyzer({ year: 2025, ...opts });
  for (const f of files) {
    const i = a.beginInput(f.name);
    const sp = a.splitter(i);
    let step = 1 << 20;
    for (let o = 0; o < f.bytes.length; o += step, step = step === 1 << 20 ? 65_521 : 1 << 20) sp.push(f.bytes.subarray(o, Math.min(o + step, f.bytes.length)));
    sp.end();
    a.endInput(i, sp.bytes, sp.lines);
  }
  return a.report();
}

test('golden: the shared logs are there', () => {
  assert.ok(logs.length >= 11, `expected the shared logs in ${LOGS}`);
});

for (const f of logs) {
  test(`golden: shared log ${f} → JSON report unchanged`, () => {
    const r = analyzeTexts([{ name: f, text: readFileSync(join(LOGS, f), 'utf8') }], { year: 2020 });
    check(f.replace(/\.log$/, '.json'), json(r));
  });
}

test('golden: all shared logs in one run → JSON report unchanged (fast path on and off)', () => {
  const files = logs.map((f) => ({ name: f, text: readFileSync(join(LOGS, f), 'utf8') }));
  const fast = json(analyzeTexts(files, { year: 2020 }));
  const slow = json(analyzeTexts(files, { year: 2020, fastPath: false }));
  assert.equal(fast, slow);
  check('all-shared-logs.json', fast);
});

test('golden: generated 6 MB syslog (+ ISO copy) → JSON report unchanged, fast path on and off', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tunppp-doctor-golden-'));
  try {
    const path = join(dir, 'syslog');
    generateLog(path, 6e6);
    const bytes = readFileSync(path);
    // The first ~1.5 MB again as journalctl short-iso: same events, ISO stamps, another host.
    const head = bytes.subarray(0, bytes.indexOf(10, 1_500_000) + 1).toString('latin1');
    const iso = head.replace(/^Jan (..) (\d\d:\d\d:\d\d) vpn-gw1 /gm, (_m, d: string, t: string) => `2025-01-${d.trim().padStart(2, '0')}T${t}+0100 vpn-gw2 `);
    const files = [
      { name: 'syslog', bytes },
      { name: 'syslog-iso', bytes: Buffer.from(iso, 'latin1') },
    ];
    const full = analyzeBytes(files, { maxSessions: 1_000_000 });
    assert.ok(full.summary.sessions > 1000, `only ${full.summary.sessions} sessions`);
    const digest = createHash('sha256').update(json(full)).digest('hex');
    const slow = analyzeBytes(files, { maxSessions: 1_000_000, fastPath: false });
    assert.equal(createHash('sha256').update(json(slow)).digest('hex'), digest, 'fast path and full parser disagree');
    const listed = analyzeBytes(files, { maxSessions: 300 });
    check('generated-6mb.json', json(listed));
    check('generated-6mb.sha256', `${digest}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
