/** What a subcommand gets from the process: its arguments and its streams. */
import type { NetworkInterfaceInfo } from 'node:os';
import type { Readable, Writable } from 'node:stream';

/** The process surroundings of a subcommand, replaceable in tests. */
export interface CliContext {
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable & { isTTY?: boolean; columns?: number };
  stderr: Writable & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** This host's interfaces for the LAN-pool check (default os.networkInterfaces; tests give a fixed LAN). */
  networkInterfaces?: () => NodeJS.Dict<NetworkInterfaceInfo[]>;
}

/** Exit codes shared by every subcommand. */
export const EXIT = {
  /** Success, nothing to report. */
  OK: 0,
  /** Ran fine but found problems (doctor findings) or the operation failed. */
  FINDINGS: 1,
  /** Bad arguments or unreadable input. */
  USAGE: 2,
} as const;

/** A subcommand: parses its own arguments, returns an exit code. */
export interface Subcommand {
  name: string;
  /** One line for the top-level help. */
  summary: string;
  /** Full `--help` text. */
  help: string;
  run(argv: string[], ctx: CliContext): Promise<number>;
}

let quietEpipe = false;

/**
 * The real process context. A closed stdout (`tunppp check | head -1`) ends
 * the process quietly with exit 0, as a reader that stops early means "enough".
 */
export function processContext(): CliContext {
  if (!quietEpipe) {
    quietEpipe = true;
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0);
      throw err;
    });
  }
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}
