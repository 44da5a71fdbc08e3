/** `tunppp connect pptp://user@host` or `l2tp://user@host` — the client, without kernel PPP. */
import { readFile } from 'node:fs/promises';
import { pskSourceFromText } from '../config/ipsec-secrets.js';
import { UsageError } from '../core/errors.js';
import { assertPrivileges } from '../io/privileges.js';
import { createLogger } from '../log/logger.js';
import { connectPptp } from '../client/pptp-client.js';
import { connectL2tp } from '../client/l2tp-client.js';
import { isFatalReason, ReconnectLoop } from '../client/reconnect.js';
import type { RunningClient } from '../client/common.js';
import type { AuthProtocol } from '../ppp/auth/types.js';
import { logFormat, logLevel, parseCommandArgs } from './args.js';
import { EXIT, type CliContext, type Subcommand } from './context.js';

const HELP = `Usage: tunppp connect pptp://USER@HOST[:PORT] [options]
       tunppp connect l2tp://USER@HOST[:PORT] [options]

Connects to a PPTP or L2TP server as a client (MS-CHAPv2; MPPE required for
PPTP, allowed for L2TP), sets up a TUN device with the address the server
assigns, prints the address and DNS servers, and stays connected until Ctrl-C
(which tells the server). With --reconnect it connects again when the link
drops (server restart, keepalive failure, call or tunnel closed) or the first
attempt cannot reach the server: waits 1 s doubling to 30 s (±20 % jitter),
one line per attempt. A failed authentication is never retried.

L2TP runs over UDP 1701 without IPsec. With --ipsec-psk-file (or the
environment variable TUNPPP_IPSEC_PSK) it runs L2TP/IPsec with tunppp's own
IKEv1 (Main Mode, pre-shared key) and ESP in UDP 4500, as Windows and macOS
do; no kernel IPsec needed (docs/l2tp-ipsec.md).

The password comes from, in order: --password-file FILE, the environment
variable named by --password-env (default TUNPPP_PASSWORD), or a prompt.

Options:
  --password-file FILE   read the password from FILE (first line)
  --password-env VAR     read the password from \$VAR (default TUNPPP_PASSWORD)
  --default-route        send all traffic through the tunnel
  --route CIDR           route CIDR through the tunnel (repeatable)
  --mtu N                cap the link MTU
  --mppe MODE            require, allow or refuse (default: require for pptp, allow for l2tp)
  --mppe-stateful        accept stateful MPPE when the server asks for it (pppd's mppe-stateful)
  --ipv6                 also negotiate IPV6CP: link-local addresses on the TUN, IPv6 through the link
  --l2tp-secret-file F   L2TP tunnel secret (first line of F), when the server demands one
  --local-port N         L2TP: our UDP port (default 1701, ephemeral if taken)
  --ipsec-psk-file F     L2TP/IPsec with the pre-shared key in F (the key alone on
                         the first line, or ipsec.secrets lines : PSK "...")
  --allow-pap            also accept PAP (the password then crosses in clear)
  --tun NAME             TUN interface name (default tunppp-c0, tunppp-c1, ...)
  --reconnect            connect again after a drop or an unreachable server
  --max-retries N        with --reconnect: give up after N failed retries in a row
                         (default unlimited)
  --log-format F         text (default) or json
  --log-level L          debug, info, warn, error
  --debug                same as --log-level debug

Exit codes: 0 disconnected on request, 1 connection failed or dropped (with
--reconnect: authentication failed or retries used up), 2 bad arguments.
`;

async function readPassword(values: { 'password-file'?: string; 'password-env'?: string }, ctx: CliContext): Promise<string> {
  if (values['password-file']) {
    try {
      return (await readFile(values['password-file'], 'utf8')).split(/\r?\n/)[0]!;
    } catch (err) {
      throw new UsageError(`cannot read --password-file ${values['password-file']}: ${(err as Error).message}`, 'give a readable file whose first line is the password');
    }
  }
  const env = values['password-env'] ?? 'TUNPPP_PASSWORD';
  const v = ctx.env[env];
  if (v !== undefined) return v;
  if (!ctx.stdin.isTTY) throw new UsageError(`no password: set ${env}, use --password-file, or run on a terminal to be asked`, `e.g. ${env}=secret tunppp connect pptp://user@host`);
  ctx.stderr.write('Password: ');
  return new Promise((resolve) => {
    let buf = '';
    const onData = (d: Buffer): void => {
      buf += d.toString('utf8');
      const nl = buf.search(/\r?\n/);
      if (nl >= 0) {
        ctx.stdin.off('data', onData);
        ctx.stderr.write('\n');
        resolve(buf.slice(0, nl));
      }
    };
    ctx.stdin.on('data', onData);
  });
}

/** Parses pptp://user@host[:port]. */
export function parseTarget(url: string): { proto: 'pptp' | 'l2tp'; user: string; host: string; port: number | undefined } {
  const m = /^(pptp|l2tp):\/\/([^@/]+)@(\[[^\]]+\]|[^:/]+)(?::(\d+))?\/?$/.exec(url);
  if (!m) throw new UsageError(`'${url}' is not a server URL`, 'write pptp://USER@HOST, l2tp://USER@HOST or add :PORT');
  const port = m[4] === undefined ? undefined : Number(m[4]);
  if (port !== undefined && (port < 1 || port > 65535)) throw new UsageError(`port ${port} is out of range`, 'use a port 1..65535');
  return { proto: m[1] as 'pptp' | 'l2tp', user: decodeURIComponent(m[2]!), host: m[3]!, port };
}

export const connectCommand: Subcommand = {
  name: 'connect',
  summary: 'Connect to a PPTP or L2TP server as a client, without kernel PPP',
  help: HELP,
  async run(argv, ctx) {
    const { values, positionals } = parseCommandArgs(
      'connect',
      argv,
      {
        help: { type: 'boolean', short: 'h' },
        'password-file': { type: 'string' },
        'password-env': { type: 'string' },
        'default-route': { type: 'boolean' },
        route: { type: 'string', multiple: true },
        mtu: { type: 'string' },
        mppe: { type: 'string' },
        'mppe-stateful': { type: 'boolean' },
        ipv6: { type: 'boolean' },
        'allow-pap': { type: 'boolean' },
        tun: { type: 'string' },
        'l2tp-secret-file': { type: 'string' },
        'local-port': { type: 'string' },
        'ipsec-psk-file': { type: 'string' },
        reconnect: { type: 'boolean' },
        'max-retries': { type: 'string' },
        'log-format': { type: 'string' },
        'log-level': { type: 'string' },
        debug: { type: 'boolean' },
      },
      true,
    );
    if (values.help) {
      ctx.stdout.write(HELP);
      return EXIT.OK;
    }
    if (positionals.length !== 1) throw new UsageError('give exactly one server URL', 'e.g. tunppp connect pptp://alice@vpn.example.net');
    const target = parseTarget(positionals[0]!);
    const mppe = values.mppe ?? (target.proto === 'l2tp' ? 'allow' : 'require');
    if (mppe !== 'require' && mppe !== 'allow' && mppe !== 'refuse') throw new UsageError(`--mppe must be require, allow or refuse, got '${mppe}'`, 'e.g. --mppe require');
    let mtu: number | undefined;
    if (values.mtu !== undefined) {
      mtu = Number(values.mtu);
      if (!Number.isInteger(mtu) || mtu < 576 || mtu > 1500) throw new UsageError(`--mtu must be 576..1500, got '${values.mtu}'`, 'e.g. --mtu 1400');
    }
    for (const r of values.route ?? []) if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(r)) throw new UsageError(`--route ${r} is not an IPv4 CIDR prefix`, 'e.g. --route 10.0.0.0/8');
    if (target.proto === 'pptp' && (values['l2tp-secret-file'] !== undefined || values['local-port'] !== undefined)) {
      throw new UsageError('--l2tp-secret-file and --local-port apply to l2tp:// only', 'drop them, or connect with l2tp://');
    }
    let localPort: number | undefined;
    if (values['local-port'] !== undefined) {
      localPort = Number(values['local-port']);
      if (!Number.isInteger(localPort) || localPort < 0 || localPort > 65535) throw new UsageError(`--local-port must be 0..65535, got '${values['local-port']}'`, 'e.g. --local-port 1701');
    }
    let secret: string | undefined;
    if (values['l2tp-secret-file'] !== undefined) {
      try {
        secret = (await readFile(values['l2tp-secret-file'], 'utf8')).split(/\r?\n/)[0]!;
      } catch (err) {
        throw new UsageError(`cannot read --l2tp-secret-file ${values['l2tp-secret-file']}: ${(err as Error).message}`, 'give a readable file whose first line is the tunnel secret');
      }
      if (secret === '') throw new UsageError(`--l2tp-secret-file ${values['l2tp-secret-file']} has an empty first line`, 'put the tunnel secret on the first line');
    }
    if (target.proto === 'pptp' && values['ipsec-psk-file'] !== undefined) throw new UsageError('--ipsec-psk-file applies to l2tp:// only', 'drop it, or connect with l2tp://');
    let ipsecPsk: Uint8Array | undefined;
    if (values['ipsec-psk-file'] !== undefined) {
      const f = values['ipsec-psk-file'];
      let text: string;
      try {
        text = await readFile(f, 'utf8');
      } catch (err) {
        throw new UsageError(`cannot read --ipsec-psk-file ${f}: ${(err as Error).message}`, 'give a readable file with the pre-shared key on its first line (or ipsec.secrets lines)');
      }
      ipsecPsk = pskSourceFromText(text, f).lookup(target.host);
      if (!ipsecPsk) throw new UsageError(`--ipsec-psk-file ${f} has no PSK line for ${target.host} (and no %any line)`, `add a line ${target.host} : PSK "..." or %any : PSK "..."`);
    } else if (target.proto === 'l2tp' && process.env['TUNPPP_IPSEC_PSK']) ipsecPsk = new TextEncoder().encode(process.env['TUNPPP_IPSEC_PSK']);
    let maxRetries: number | undefined;
    if (values['max-retries'] !== undefined) {
      if (!values.reconnect) throw new UsageError('--max-retries needs --reconnect', 'e.g. --reconnect --max-retries 10');
      maxRetries = Number(values['max-retries']);
      if (!Number.isInteger(maxRetries) || maxRetries < 0) throw new UsageError(`--max-retries must be a whole number >= 0, got '${values['max-retries']}'`, 'e.g. --max-retries 10');
    }
    const reconnect = values.reconnect ?? false;
    const password = await readPassword(values, ctx);
    const log = createLogger({ format: logFormat(values['log-format'], ctx.stderr.isTTY), level: logLevel(values['log-level'], values.debug), stream: ctx.stderr });
    assertPrivileges({ gre: target.proto === 'pptp', tun: true });
    const accept: AuthProtocol[] = values['allow-pap'] ? ['mschap-v2', 'mschap-v1', 'chap-md5', 'pap'] : ['mschap-v2', 'mschap-v1', 'chap-md5'];
    const common = {
      host: target.host,
      ...(target.port !== undefined ? { port: target.port } : {}),
      username: target.user,
      password,
      mppe: mppe as 'require' | 'allow' | 'refuse',
      mppeStateful: values['mppe-stateful'] ?? false,
      ipv6: values.ipv6 ?? false,
      accept,
      defaultRoute: values['default-route'] ?? false,
      routes: values.route ?? [],
      ...(mtu !== undefined ? { mtu } : {}),
      ...(values.tun ? { tunName: values.tun } : {}),
      log,
    };
    const connectOnce = (): Promise<RunningClient> =>
      target.proto === 'l2tp'
        ? connectL2tp({ ...common, ...(secret !== undefined ? { secret } : {}), ...(localPort !== undefined ? { localPort } : {}), ...(ipsecPsk !== undefined ? { ipsecPsk } : {}) })
        : connectPptp(common);
    const loop = new ReconnectLoop({
      connect: connectOnce,
      reconnect,
      ...(maxRetries !== undefined ? { maxRetries } : {}),
      random: Math.random,
      now: () => performance.now(),
      onConnected(i) {
        ctx.stdout.write(`connected: address ${i.localAddress} (server ${i.peerAddress}) on ${i.tun}, MTU ${i.mtu}${i.mppe ? `, MPPE ${i.mppe}` : ''}\nDNS: ${i.dns.join(' ') || '(none offered)'}\n`);
        // Without --reconnect, Ctrl-C before this point ends the process the default way, as before.
        if (!reconnect) listen();
      },
      onDisconnected: (reason) => ctx.stderr.write(`disconnected: ${reason}\n`),
      onConnectFailed: (reason) => ctx.stderr.write(`tunppp connect: ${reason}\n`),
      onRetry(n, delayMs, _reason, max) {
        ctx.stderr.write(`reconnecting in ${(delayMs / 1000).toFixed(1)} s (attempt ${n}${max !== undefined ? ` of ${max}` : ''})\n`);
      },
    });
    const stop = (): void => loop.stop();
    // once: a second Ctrl-C (say, while an attempt hangs in its connect timeout) ends the process.
    const listen = (): void => {
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    };
    if (reconnect) listen();
    const outcome = await loop.run();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    switch (outcome.kind) {
      case 'stopped':
        return EXIT.OK;
      case 'failed':
        return EXIT.FINDINGS;
      case 'fatal':
        ctx.stderr.write(
          isFatalReason(outcome.reason)
            ? 'tunppp connect: not reconnecting: another attempt cannot fix this (credentials or settings)\n'
            : 'tunppp connect: not reconnecting: the first attempt failed for a reason other than the network\n',
        );
        return EXIT.FINDINGS;
      case 'gave-up':
        ctx.stderr.write(`tunppp connect: giving up after ${outcome.retries} ${outcome.retries === 1 ? 'retry' : 'retries'}: ${outcome.reason}\n`);
        return EXIT.FINDINGS;
    }
  },
};
