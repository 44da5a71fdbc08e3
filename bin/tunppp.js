#!/usr/bin/env node
// Entry point: runs the compiled CLI (dist/, built by `npm ci` through the
// `prepare` script). From a source checkout without a build it says how to fix it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write('tunppp: not built yet (dist/cli/main.js is missing). Run `npm ci` (or `npm run build`) in the tunppp folder.\n');
  process.exit(2);
}
const { runCli } = await import(main.href);
process.exitCode = await runCli(process.argv.slice(2));
