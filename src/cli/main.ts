/**
 * The `tunppp` command: dispatches to a subcommand. Exit codes: 0 ok,
 * 1 findings or failure, 2 usage or input error (context.ts EXIT).
 */
import { VpnError } from '../core/errors.js';
import { EXIT, processContext, type CliContext, type Subcommand } from './context.js';
import { serveCommand } from './serve.js';
import { connectCommand } from './connect.js';
import { doctorCommand } from './doctor.js';
import { mtuCommand } from './mtu.js';
import { sessionsCommand } from './sessions.js';
import { kickCommand } from './kick.js';
import { checkCommand } from './check.js';

/** Every subcommand, in the order `--help` lists them. */
export const SUBCOMMANDS: readonly Subcommand[] = [serveCommand, connectCommand, doctorCommand, mtuCommand, checkCommand, sessionsCommand, kickCommand];

const VERSION = '0.1.0';

function topHelp(): string {
  const rows = SUBCOMMANDS.map((c) => `  ${c.name.padEnd(9)} ${c.summary}`).join('\n');
  return `tunppp ${VERSION} — PPTP and L2TP VPN server and client with a userspace PPP stack on TUN

Usage: tunppp <command> [options]

Commands:
${rows}

Run 'tunppp <command> --help' for a command's options.
Exit codes: 0 ok, 1 findings or failure, 2 usage or input error.
`;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function runCli(argv: string[], ctx: CliContext = processContext()): Promise<number> {
  const [name, ...rest] = argv;
  // `tunppp help serve` is `tunppp serve --help`.
  if (name === 'help' && rest[0] !== undefined) return runCli([rest[0], '--help'], ctx);
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    ctx.stdout.write(topHelp());
    return name === undefined ? EXIT.USAGE : EXIT.OK;
  }
  if (name === '--version' || name === '-V') {
    ctx.stdout.write(`${VERSION}\n`);
    return EXIT.OK;
  }
  const cmd = SUBCOMMANDS.find((c) => c.name === name);
  if (!cmd) {
    ctx.stderr.write(`tunppp: unknown command '${name}'. Commands: ${SUBCOMMANDS.map((c) => c.name).join(', ')}. Try 'tunppp --help'.\n`);
    return EXIT.USAGE;
  }
  try {
    return await cmd.run(rest, ctx);
  } catch (err) {
    if (err instanceof VpnError) {
      ctx.stderr.write(`tunppp ${name}: ${err.message}\n${err.hint ? `  fix: ${err.hint}\n` : ''}`);
      // A port another daemon holds is a setup problem like a bad configuration (pptpd still running).
      return err.code === 'USAGE' || err.code === 'PORT_IN_USE' || err.code.startsWith('CONFIG') || err.code.startsWith('INPUT') ? EXIT.USAGE : EXIT.FINDINGS;
    }
    throw err;
  }
}
