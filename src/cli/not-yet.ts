/** `serve` and `connect` until their issues land: say so plainly, exit 1. */
import { EXIT, type Subcommand } from './context.js';

function notYet(name: string, summary: string, usage: string, issue: string): Subcommand {
  const help = `${usage}\n\n${summary}\n\nNot yet available in this version: ${issue}. See README.md, "Status".\n`;
  return {
    name,
    summary: `${summary} (not yet available)`,
    help,
    async run(argv, ctx) {
      if (argv.includes('--help') || argv.includes('-h')) {
        ctx.stdout.write(help);
        return EXIT.OK;
      }
      ctx.stderr.write(`tunppp ${name}: not yet available in this version (${issue}). See README.md, "Status".\n`);
      return EXIT.FINDINGS;
    },
  };
}

export const serveCommand = notYet(
  'serve',
  'Run the PPTP (TCP 1723 + GRE) and L2TP (UDP 1701) server on a TUN device.',
  'Usage: tunppp serve [--config FILE] [--pptpd-conf FILE] [--xl2tpd-conf FILE]',
  'the PPTP server is being built on the userspace PPP stack',
);

export const connectCommand = notYet(
  'connect',
  'Connect to a PPTP or L2TP server as a client, without kernel PPP.',
  'Usage: tunppp connect pptp://USER@HOST | l2tp://USER@HOST [options]',
  'the PPTP/L2TP client is being built on the userspace PPP stack',
);
