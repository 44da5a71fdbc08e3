/** `tunppp sessions` — the live sessions of a running server, from its local API. */
import { apiRequest, expectOk, resolveTarget } from '../api/client.js';
import type { SessionInfo } from '../api/types.js';
import { parseCommandArgs } from './args.js';
import { EXIT, type Subcommand } from './context.js';

const HELP = `Usage: tunppp sessions [--api PATH|HOST:PORT] [--token-file FILE] [--json]

Lists the sessions of a running 'tunppp serve --api': id, user, client
address, assigned address (* when RADIUS assigned it), protocol, uptime,
bytes from and to the client, MTU, MPPE and the rate limit (up/down).
Disconnect one with 'tunppp kick ID'.

Options:
  --api PATH|HOST:PORT  where the API listens (default /run/tunppp/api.sock, or $TUNPPP_API)
  --token-file FILE     API token (default /var/lib/tunppp/api-token, or $TUNPPP_API_TOKEN_FILE)
  --json                print the API's JSON

Exit codes: 0 ok, 1 the server could not be asked, 2 usage error.
`;

function human(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return i === 0 ? `${n} B` : `${n.toFixed(n < 10 ? 2 : n < 100 ? 1 : 0)} ${units[i]}`;
}

function duration(s: number): string {
  s = Math.floor(s);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(s % 60).padStart(2, '0')}s`;
}

/** A rate in bits per second, short: 2M, 512k, 1.5G; '-' for none. */
function shortRate(bps: number | null): string {
  if (bps === null) return '-';
  for (const [unit, d] of [['G', 1e9], ['M', 1e6], ['k', 1e3]] as const) if (bps >= d) return `${Number((bps / d).toFixed(2))}${unit}`;
  return String(bps);
}

/** The sessions as a table (exported for tests). ADDRESS has a * when RADIUS assigned it; LIMIT is up/down. */
export function formatSessions(list: readonly SessionInfo[]): string {
  if (list.length === 0) return 'no sessions\n';
  const rows = [['ID', 'USER', 'CLIENT', 'ADDRESS', 'PROTO', 'STATE', 'UPTIME', 'IN', 'OUT', 'MTU', 'MPPE', 'LIMIT']];
  for (const s of list) {
    const address = s.assignedIp === null ? '-' : `${s.assignedIp}${s.addressFrom === 'radius' ? '*' : ''}`;
    const limit = s.rateLimit === null ? '-' : `${shortRate(s.rateLimit.upBps)}/${shortRate(s.rateLimit.downBps)}`;
    rows.push([String(s.id), s.user ?? '-', s.clientAddress, address, s.protocol, s.state, duration(s.uptimeS), human(s.bytesIn), human(s.bytesOut), String(s.mtu), s.mppe ?? 'none', limit]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const right = new Set([0, 6, 7, 8, 9]);
  return rows.map((r) => r.map((v, c) => (right.has(c) ? v.padStart(widths[c]!) : v.padEnd(widths[c]!))).join('  ').trimEnd()).join('\n') + '\n';
}

export const sessionsCommand: Subcommand = {
  name: 'sessions',
  summary: 'List the sessions of a running server (local API)',
  help: HELP,
  async run(argv, ctx) {
    const { values } = parseCommandArgs('sessions', argv, {
      help: { type: 'boolean', short: 'h' },
      api: { type: 'string' },
      'token-file': { type: 'string' },
      json: { type: 'boolean' },
    });
    if (values.help) {
      ctx.stdout.write(HELP);
      return EXIT.OK;
    }
    const target = await resolveTarget({ api: values.api, tokenFile: values['token-file'] }, ctx.env);
    const r = await apiRequest(target, 'GET', '/sessions');
    expectOk(r, 'listing sessions');
    const list = r.json<SessionInfo[]>();
    ctx.stdout.write(values.json ? `${JSON.stringify(list, null, 2)}\n` : formatSessions(list));
    return EXIT.OK;
  },
};
