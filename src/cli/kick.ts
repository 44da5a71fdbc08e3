/** `tunppp kick ID...` / `--user NAME` — disconnect sessions of a running server through its local API. */
import { apiRequest, expectOk, resolveTarget } from '../api/client.js';
import type { SessionInfo } from '../api/types.js';
import { UsageError } from '../core/errors.js';
import { parseCommandArgs } from './args.js';
import { EXIT, type Subcommand } from './context.js';

const HELP = `Usage: tunppp kick [--api PATH|HOST:PORT] [--token-file FILE] ID...
       tunppp kick [...] --user NAME

Disconnects session ID (from 'tunppp sessions'): the server sends LCP
Terminate-Request, then clears the call (PPTP Call-Disconnect-Notify, L2TP
CDN). The client is told; other sessions are not touched. With --user, every
session of NAME (after removing NAME from chap-secrets and a reload, this
locks the user out).

Options:
  --api PATH|HOST:PORT  where the API listens (default /run/tunppp/api.sock, or $TUNPPP_API)
  --token-file FILE     API token (default /var/lib/tunppp/api-token, or $TUNPPP_API_TOKEN_FILE)
  --user NAME           every session of user NAME

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
        user: { type: 'string' },
      },
      true,
    );
    if (values.help) {
      ctx.stdout.write(HELP);
      return EXIT.OK;
    }
    const user = values.user;
    if (user === undefined ? positionals.length === 0 : positionals.length > 0) throw new UsageError('give session IDs or --user NAME (not both)', "see 'tunppp sessions' for the IDs");
    const bad = positionals.find((p) => !/^\d{1,9}$/.test(p));
    if (bad !== undefined) throw new UsageError(`'${bad}' is not a session ID`, "see 'tunppp sessions' for the IDs");
    const target = await resolveTarget({ api: values.api, tokenFile: values['token-file'] }, ctx.env);
    let ids = positionals.map(Number);
    if (user !== undefined) {
      const list = await apiRequest(target, 'GET', '/sessions');
      expectOk(list, 'listing sessions');
      ids = list.json<SessionInfo[]>().filter((s) => s.user === user).map((s) => s.id);
      if (ids.length === 0) {
        ctx.stderr.write(`tunppp kick: user ${user} has no session\n`);
        return EXIT.FINDINGS;
      }
    }
    let missing = 0;
    // One at a time: each answer waits for its link to end (or 3 s).
    for (const id of ids) {
      const r = await apiRequest(target, 'DELETE', `/sessions/${id}`);
      if (r.status === 404) {
        ctx.stderr.write(`tunppp kick: no session ${id} (it may have ended already; see 'tunppp sessions')\n`);
        missing++;
        continue;
      }
      expectOk(r, `disconnecting session ${id}`);
      const { ended } = r.json<{ ended: boolean }>();
      ctx.stdout.write(ended ? `session ${id} disconnected\n` : `session ${id}: Terminate-Request sent; the link ends when the peer answers or the restart timer gives up\n`);
    }
    return missing > 0 ? EXIT.FINDINGS : EXIT.OK;
  },
};
