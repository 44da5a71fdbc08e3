/** `tunppp kick ID` — disconnect one session of a running server through its local API. */
import { apiRequest, expectOk, resolveTarget } from '../api/client.js';
import { UsageError } from '../core/errors.js';
import { parseCommandArgs } from './args.js';
import { EXIT, type Subcommand } from './context.js';

const HELP = `Usage: tunppp kick [--api PATH|HOST:PORT] [--token-file FILE] ID

Disconnects session ID (from 'tunppp sessions'): the server sends LCP
Terminate-Request, then clears the call (PPTP Call-Disconnect-Notify, L2TP
CDN). The client is told; other sessions are not touched.

Options:
  --api PATH|HOST:PORT  where the API listens (default /run/tunppp/api.sock, or $TUNPPP_API)
  --token-file FILE     API token (default /var/lib/tunppp/api-token, or $TUNPPP_API_TOKEN_FILE)

Exit codes: 0 disconnected, 1 no such session or the server could not be asked, 2 usage error.
`;

export const kickCommand: Subcommand = {
  name: 'kick',
  summary: 'Disconnect one session of a running server (local API)',
  help: HELP,
  async run(argv, ctx) {
    const { values, positionals } = parseCommandArgs(
      'kick',
      argv,
      {
        help: { type: 'boolean', short: 'h' },
        api: { type: 'string' },
        'token-file': { type: 'string' },
      },
      true,
    );
    if (values.help) {
      ctx.stdout.write(HELP);
      return EXIT.OK;
    }
    if (positionals.length !== 1 || !/^\d{1,9}$/.test(positionals[0]!)) throw new UsageError('give one session ID', "see 'tunppp sessions' for the IDs");
    const id = Number(positionals[0]);
    const target = await resolveTarget({ api: values.api, tokenFile: values['token-file'] }, ctx.env);
    const r = await apiRequest(target, 'DELETE', `/sessions/${id}`);
    if (r.status === 404) {
      ctx.stderr.write(`tunppp kick: no session ${id} (it may have ended already; see 'tunppp sessions')\n`);
      return EXIT.FINDINGS;
    }
    expectOk(r, `disconnecting session ${id}`);
    const { ended } = r.json<{ ended: boolean }>();
    ctx.stdout.write(ended ? `session ${id} disconnected\n` : `session ${id}: Terminate-Request sent; the link ends when the peer answers or the restart timer gives up\n`);
    return EXIT.OK;
  },
};
