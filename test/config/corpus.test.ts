/**
 * The corpus: real pptpd/xl2tpd configuration sets (test/fixtures/configs/*,
 * each with its SOURCE.md) through `tunppp check --json --explain`, compared
 * with a golden `expected.txt` a person can read — what each pppd option line
 * does, the warnings, and the Config tunppp would run or the error that stops
 * it — so any change in how tunppp reads real files shows in review.
 * UPDATE_GOLDEN=1 rewrites the goldens.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/main.js';
import { captureContext } from '../helpers/cli-context.js';
import { FIXTURES_DIR } from '../helpers/fixtures.js';

const CORPUS = join(FIXTURES_DIR, 'configs');
const update = process.env['UPDATE_GOLDEN'] === '1';

/** Absolute paths of the original system, moved under `root`. */
const ABSOLUTE = /(^|[\s="])(\/(?:var\/)?etc\/)/gm;

function relocate(dir: string, root: string): void {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) relocate(p, root);
    else {
      writeFileSync(p, readFileSync(p, 'utf8').replace(ABSOLUTE, (_m, pre: string, path: string) => `${pre}${root}${path}`));
      // Git keeps no file modes but the executable bit: give secret files the mode a site has (0600).
      chmodSync(p, /secrets/.test(name) ? 0o600 : 0o644);
    }
  }
}

const sets = readdirSync(CORPUS).filter((n) => statSync(join(CORPUS, n)).isDirectory()).sort();

test('corpus: at least the nine collected sets, each with SOURCE.md, check.args and a golden', () => {
  assert.ok(sets.length >= 9, sets.join(', '));
  for (const s of sets) {
    for (const f of ['SOURCE.md', 'check.args', ...(update ? [] : ['expected.txt'])]) {
      assert.ok(readdirSync(join(CORPUS, s)).includes(f), `${s} has no ${f}`);
    }
  }
});

for (const set of sets) {
  test(`corpus: ${set} → tunppp check --json --explain matches expected.txt`, async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'tunppp-corpus-'));
    try {
      const root = join(tmp, 'root');
      cpSync(join(CORPUS, set), root, { recursive: true, filter: (src) => !/(SOURCE\.md|check\.args|expected\.txt)$/.test(src) });
      relocate(root, root);
      const args = readFileSync(join(CORPUS, set, 'check.args'), 'utf8').split('\n').filter((l) => l !== '').flatMap((l) => l.split(' '));
      const ctx = captureContext();
      const code = await runCli(['check', '--json', '--explain', ...args.map((a) => (a.startsWith('/') ? root + a : a))], ctx);
      const host = hostname();
      const clean = (s: string) => s.split(root).join('').split(host).join('<hostname>');
      const got = [
        `$ tunppp check --json --explain ${args.join(' ')}`,
        `exit ${code}`,
        '',
        '--- stderr: what each pppd option does, warnings, or the error',
        clean(ctx.err()).trimEnd(),
        '',
        '--- stdout: the Config tunppp would run',
        clean(ctx.out()).trimEnd(),
        '',
      ].join('\n');
      const golden = join(CORPUS, set, 'expected.txt');
      if (update) writeFileSync(golden, got);
      assert.equal(got, readFileSync(golden, 'utf8'), `${set}: output differs from expected.txt (UPDATE_GOLDEN=1 to accept)`);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
}
