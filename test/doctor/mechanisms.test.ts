/**
 * Mechanisms with a log case written from the daemons' own message formats
 * (test/fixtures/logs/from-source/, each message's source file and line in
 * its SOURCES.md): every case names its cause first, and every clean session
 * gives no cause at all. Each case is also read through every wrapper of
 * wrappers.ts, with the same findings.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyzeTexts } from '../../src/doctor/analyze.js';
import { LOGS_DIR } from '../helpers/fixtures.js';
import { WRAPPERS } from './wrappers.js';

const DIR = join(LOGS_DIR, 'from-source');

/** log → the first cause, or null for a clean session (no finding at all). */
const EXPECTED: Record<string, string | null> = {
  'pptpd-client-vanished': 'pptp-client-vanished',
  'pptpd-clean-disconnect': null,
  'xl2tpd-lns-tunnel-secret-mismatch': 'l2tp-tunnel-auth-failed',
  'xl2tpd-lac-tunnel-secret-missing': 'l2tp-tunnel-secret-missing',
  'xl2tpd-lac-tunnel-secret-rejected': 'l2tp-tunnel-auth-failed',
  'xl2tpd-pppd-exit-code-11': 'auth-bad-credentials',
  'xl2tpd-clean-session': null,
  'pppd-client-noauth-missing': 'auth-client-requires-server-auth',
  'pptpd-server-no-chap-secrets': 'auth-server-no-secrets',
  'pptp-client-clean-session': null,
  'container-xl2tpd-no-ppp-generic': 'kernel-ppp-missing',
};

const logs = readdirSync(DIR).filter((f) => f.endsWith('.log')).sort();

test('from-source logs: every log has an expectation and every expectation a log', () => {
  assert.deepEqual(logs.map((f) => f.replace(/\.log$/, '')), Object.keys(EXPECTED).sort());
});

for (const f of logs) {
  const name = f.replace(/\.log$/, '');
  const exp = EXPECTED[name];
  const text = readFileSync(join(DIR, f), 'utf8');
  test(`from-source ${name} → ${exp ?? 'no cause (clean)'}`, () => {
    const r = analyzeTexts([{ name: f, text }], { year: 2025 });
    if (exp === null) {
      assert.deepEqual(r.findings.map((x) => x.cause), [], 'a clean session gives no cause');
      assert.ok(r.summary.ok >= 1, 'the clean session came up and ended ok');
    } else {
      assert.equal(r.findings[0]?.cause, exp, JSON.stringify(r.findings.map((x) => x.cause)));
      assert.ok(r.findings[0]!.evidence.length > 0);
    }
    assert.equal(r.summary.coverage.verdict, 'ok', r.summary.coverage.message ?? '');
  });
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  test(`from-source ${name}: same findings through every wrapper`, () => {
    const plain = analyzeTexts([{ name: f, text }], { year: 2025 }).findings.map((x) => x.cause);
    for (const [wname, wrap] of Object.entries(WRAPPERS)) {
      const r = analyzeTexts([{ name: f, text: `${wrap(lines, 2025).join('\n')}\n` }], { year: 2025 });
      assert.deepEqual(r.findings.map((x) => x.cause), plain, wname);
    }
  });
}
