/**
 * Golden CLI output: what `tunppp doctor` prints (text, text with
 * --all-sessions, --json) and writes (--html) for every shared log and for
 * all of them in one run must not change when the hot path is optimised.
 * The fixtures in test/doctor/golden/cli/ were written by the code before
 * the second round of performance work; regenerate them only for an
 * intended change of output:
 * `UPDATE_GOLDEN=1 node scripts/test.mjs --no-setup --no-static golden-cli`.
 *
 * The generated 6 MB log (bench generator) is covered by its SHA-256 of the
 * text report with every session and of the JSON report.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { generateLog } from '../../bench/cases/doctor.js';
import { checkGolden, runDoctor, SHARED_LOGS as LOGS, sharedLogNames } from './helpers.js';

const GOLDEN = fileURLToPath(new URL('./golden/cli/', import.meta.url));

const logs = sharedLogNames();
const tmp = mkdtempSync(join(tmpdir(), 'tunppp-doctor-golden-cli-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function check(name: string, actual: string): void {
  checkGolden(GOLDEN, name, actual, 'golden output');
}

/** Runs the CLI in the logs directory (evidence names are relative) and returns every output. */
async function outputs(files: string[], extra: string[] = []): Promise<{ text: string; all: string; json: string; html: string; codes: number[] }> {
  const base = ['--year', '2020', '--no-color', ...extra];
  const cwd = process.cwd();
  process.chdir(LOGS);
  try {
    const html = join(tmp, `r${Math.random().toString(36).slice(2)}.html`);
    const t = await runDoctor([...base, '--html', html, ...files]);
    const a = await runDoctor([...base, '--all-sessions', ...files]);
    const j = await runDoctor([...base, '--json', ...files]);
    return { text: t.stdout.replace(html, 'REPORT.html'), all: a.stdout, json: j.stdout, html: readFileSync(html, 'utf8'), codes: [t.code, a.code, j.code] };
  } finally {
    process.chdir(cwd);
  }
}

function fixture(o: { text: string; all: string; json: string; html: string; codes: number[] }): string {
  return [`exit codes: ${o.codes.join(' ')}`, '=== text', o.text, '=== text --all-sessions', o.all, '=== json', o.json, '=== html', o.html].join('\n');
}

test('golden cli: the shared logs are there', () => {
  assert.ok(logs.length >= 11, `expected the shared logs in ${LOGS}`);
});

for (const f of logs) {
  test(`golden cli: doctor ${f} → text, JSON and HTML unchanged`, async () => {
    check(f.replace(/\.log$/, '.txt'), fixture(await outputs([f])));
  });
}

test('golden cli: doctor over all shared logs → text, JSON and HTML unchanged', async () => {
  check('all-shared-logs.txt', fixture(await outputs(logs)));
});

test('golden cli: doctor over a generated 6 MB syslog → SHA-256 of text (all sessions) and JSON unchanged', async () => {
  const path = join(tmp, 'syslog');
  generateLog(path, 6e6);
  const cwd = process.cwd();
  process.chdir(tmp);
  try {
    const base = ['--year', '2025', '--no-color', '--max-sessions', '1000000', 'syslog'];
    const a = await runDoctor(['--all-sessions', ...base]);
    const j = await runDoctor(['--json', ...base]);
    assert.equal(a.code, 1);
    const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
    check('generated-6mb.sha256', `text --all-sessions ${sha(a.stdout)}\njson ${sha(j.stdout)}\n`);
  } finally {
    process.chdir(cwd);
  }
});
