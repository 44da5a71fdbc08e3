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
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/main.js';
import { captureContext } from '../helpers/cli-context.js';
import { CONFIG_SETS_DIR as CORPUS, withConfigSet } from '../helpers/config-sets.js';

const update = process.env['UPDATE_GOLDEN'] === '1';

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
    await withConfigSet(set, async ({ root, originalArgs, args }) => {
      // No LAN on the test host: the goldens must not depend on the machine's interfaces (the LAN check has its own tests).
      const ctx = { ...captureContext(), networkInterfaces: () => ({}) };
      const code = await runCli(['check', '--json', '--explain', ...args], ctx);
      const host = hostname();
      const clean = (s: string) => s.split(root).join('').split(host).join('<hostname>');
      const got = [
        `$ tunppp check --json --explain ${originalArgs.join(' ')}`,
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
    });
  });
}
