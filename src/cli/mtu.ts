/** `tunppp mtu` — placeholder until its module lands in this session. */
import { EXIT, type Subcommand } from './context.js';

export const mtuCommand: Subcommand = {
  name: 'mtu',
  summary: 'mtu',
  help: 'Usage: tunppp mtu\n',
  async run(argv, ctx) {
    if (argv.includes('--help')) {
      ctx.stdout.write(this.help);
      return EXIT.OK;
    }
    ctx.stderr.write('tunppp mtu: not built yet\n');
    return EXIT.FINDINGS;
  },
};
