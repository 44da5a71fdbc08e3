/** `tunppp doctor` — placeholder until its module lands in this session. */
import { EXIT, type Subcommand } from './context.js';

export const doctorCommand: Subcommand = {
  name: 'doctor',
  summary: 'doctor',
  help: 'Usage: tunppp doctor\n',
  async run(argv, ctx) {
    if (argv.includes('--help')) {
      ctx.stdout.write(this.help);
      return EXIT.OK;
    }
    ctx.stderr.write('tunppp doctor: not built yet\n');
    return EXIT.FINDINGS;
  },
};
