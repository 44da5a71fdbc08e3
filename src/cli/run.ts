/** Runs the CLI from source (tests and development: `node --import tsx src/cli/run.ts …`). */
import { runCli } from './main.js';

process.exitCode = await runCli(process.argv.slice(2));
