/** `tunppp serve` — the PPTP and L2TP server on one TUN device. */
import { formatWarning } from '../config/warnings.js';
import { assertPrivileges } from '../io/privileges.js';
import { createLogger } from '../log/logger.js';
import { startServer } from '../server/server.js';
import { DEFAULT_API_SOCKET, parseApiListen } from '../api/listen.js';
import { DEFAULT_TOKEN_FILE } from '../api/token.js';
import { LogRing, teeLogger } from '../ops/log-ring.js';
import { startOps } from '../ops/run.js';
import { loadForServe, noEffectLines } from './check.js';
import { logFormat, logLevel, parseCommandArgs } from './args.js';
import { EXIT, type Subcommand } from './context.js';

/** Where the embedded default keeps its secrets. */
export const DEFAULT_SECRETS = '/etc/tunppp/chap-secrets';

const HELP = `Usage: tunppp serve [--config tunppp.json | --pptpd-conf /etc/pptpd.conf [--pptpd-options FILE] [--xl2tpd-conf FILE]] [options]

Runs the VPN server: PPTP on TCP 1723 with GRE and L2TP on UDP 1701 (put
IPsec in front for L2TP/IPsec: docs/l2tp.md), PPP with MS-CHAPv2 and MPPE,
addresses from a pool, all on one TUN device. Needs root (or CAP_NET_ADMIN and
CAP_NET_RAW) and /dev/net/tun.

With no configuration it uses the embedded default: pool 192.168.99.10-250,
server address 192.168.99.1, MS-CHAPv2 + MPPE-128, and users from
${DEFAULT_SECRETS}, created on first run with one user and a random password
(printed once).

Options:
  --config FILE        tunppp.json (see docs/config.md)
  --pptpd-conf FILE    read an existing pptpd.conf (and the options file it names)
  --pptpd-options FILE the pppd options file pptpd gets with -o (as OpenWrt starts
                       it); replaces pptpd.conf's option line
  --xl2tpd-conf FILE   read an existing xl2tpd.conf (and its pppoptfile)
  --chap-secrets FILE  users (pppd chap-secrets format); default from the config
  --log-format F       text (pppd-like lines, default) or json (pino)
  --log-level L        debug, info, warn, error (default info)
  --debug              same as --log-level debug
  --check              load and validate the configuration, print it, and exit
                       (tunppp check prints it in words)

Operations (docs/operations.md):
  --api                local HTTP API, metrics and dashboard on ${DEFAULT_API_SOCKET}
  --api-listen A       API on a unix socket path or a loopback HOST:PORT (implies --api)
  --api-token-file F   API token, created 0600 on first start (default ${DEFAULT_TOKEN_FILE})
  --masquerade IFACE   NAT the pool out of IFACE (nftables table 'tunppp', removed at
                       exit) and turn on net.ipv4.ip_forward
  --user NAME          drop root for NAME once sockets, TUN and API are open; reloads
                       then re-read files as NAME and cannot reopen listeners or TUN

Exit codes: 0 stopped cleanly, 1 failed while running, 2 bad configuration or arguments.
Signals: SIGINT/SIGTERM stop gracefully (clients are told); SIGHUP re-reads the
configuration and chap-secrets for new sessions (live sessions stay).
`;

export const serveCommand: Subcommand = {
  name: 'serve',
  summary: 'Run the PPTP (TCP 1723 + GRE) and L2TP (UDP 1701) server on a TUN device',
  help: HELP,
  async run(argv, ctx) {
    const { values } = parseCommandArgs('serve', argv, {
      help: { type: 'boolean', short: 'h' },
      config: { type: 'string' },
      'pptpd-conf': { type: 'string' },
      'pptpd-options': { type: 'string' },
      'xl2tpd-conf': { type: 'string' },
      'chap-secrets': { type: 'string' },
      'log-format': { type: 'string' },
      'log-level': { type: 'string' },
      debug: { type: 'boolean' },
      check: { type: 'boolean' },
      api: { type: 'boolean' },
      'api-listen': { type: 'string' },
      'api-token-file': { type: 'string' },
      masquerade: { type: 'string' },
      user: { type: 'string' },
    });
    if (values.help) {
      ctx.stdout.write(HELP);
      return EXIT.OK;
    }
    // The ring keeps recent lines for the API's dashboard and metrics (src/ops/log-ring.ts).
    const ring = new LogRing();
    const log = teeLogger(createLogger({ format: logFormat(values['log-format'], ctx.stderr.isTTY), level: logLevel(values['log-level'], values.debug), stream: ctx.stderr }), ring);
    const apiListen = values.api || values['api-listen'] !== undefined ? parseApiListen(values['api-listen'] ?? DEFAULT_API_SOCKET) : undefined;
    // --check opens and creates nothing: a missing default chap-secrets is only reported (as `tunppp check` does).
    const loaded = await loadForServe(values, ctx.cwd, values.check ? 'report' : 'create');
    if (loaded.created) {
      ctx.stdout.write(`tunppp: created ${loaded.created.path} with one user (shown once, keep it):\n  user:     ${loaded.created.user}\n  password: ${loaded.created.password}\n`);
    }
    for (const w of loaded.warnings) log.warn('config-warning', formatWarning(w));
    // Options read but doing nothing here, once at start, so the serve log says what check --explain says.
    for (const line of noEffectLines(loaded)) log.info('config-note', line);
    if (values.check) {
      if (loaded.wouldCreate) log.warn('config-warning', `${loaded.wouldCreate} does not exist: serve creates it with one user and a random password`);
      ctx.stdout.write(`${JSON.stringify({ sources: loaded.sources, users: loaded.secrets.length, config: loaded.config }, null, 2)}\n`);
      return EXIT.OK;
    }
    assertPrivileges({ gre: loaded.config.listen.pptp.enabled, tun: true });
    const server = await startServer(loaded, { log });
    let ops;
    try {
      ops = await startOps(server, {
        log,
        ring,
        load: () => loadForServe(values, ctx.cwd, 'fail'),
        api: apiListen ? { listen: apiListen, tokenFile: values['api-token-file'] ?? DEFAULT_TOKEN_FILE } : undefined,
        masquerade: values.masquerade,
        user: values.user,
        say: (line) => ctx.stdout.write(`${line}\n`),
      });
    } catch (err) {
      await server.stop();
      throw err;
    }
    const running = ops;
    let stopping: Promise<void> | undefined;
    const stop = (sig: string): void => {
      if (stopping) return;
      log.info('signal', `${sig}: stopping, telling clients`);
      stopping = server.stop().finally(() => running.stop());
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (stopping) {
          clearInterval(t);
          void stopping.then(resolve);
        }
      }, 100);
    });
    return EXIT.OK;
  },
};
