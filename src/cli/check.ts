/**
 * `tunppp check` — validate every configuration file `serve` would read
 * (tunppp.json or pptpd.conf/xl2tpd.conf with their pppd options files, and
 * chap-secrets) and print what `serve` would run with them, without opening
 * anything. Also the loader `serve` uses to re-read the files on reload.
 */
import { stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { AddressPool } from '../config/pool.js';
import { embeddedDefaultConfig, loadConfig, loadEmbeddedDefault, loadSecrets, type LoadedConfig } from '../config/load.js';
import { effectivePppSizes } from '../config/schema.js';
import { formatWarning } from '../config/warnings.js';
import { parseIpv4 } from '../config/ipv4.js';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { checkPrivileges } from '../io/privileges.js';
import { lanPoolProblem, localSubnets, poolOverlaps } from '../server/lan-subnets.js';
import { pppSizeWarnings } from '../mtu/ppp-size-warnings.js';
import { UsageError } from '../core/errors.js';
import { parseCommandArgs } from './args.js';
import { EXIT, type Subcommand } from './context.js';

/** Default chap-secrets of the embedded default (as serve.ts DEFAULT_SECRETS). */
const DEFAULT_SECRETS = '/etc/tunppp/chap-secrets';

/** The configuration flags `serve` and `check` share. */
export interface ConfigFlags {
  config?: string | undefined;
  'pptpd-conf'?: string | undefined;
  'pptpd-options'?: string | undefined;
  'xl2tpd-conf'?: string | undefined;
  'chap-secrets'?: string | undefined;
}

/**
 * Loads what the flags name, as `serve` does. With no file given, the
 * embedded default, whose missing chap-secrets `serve` creates ('create'),
 * `check` reports ('report') and a reload treats as an error ('fail': a
 * reload must not leave the server with no users).
 */
export async function loadForServe(values: ConfigFlags, cwd: string, missingSecrets: 'create' | 'report' | 'fail'): Promise<LoadedConfig & { created?: { path: string; user: string; password: string }; wouldCreate?: string }> {
  if (values['pptpd-options'] !== undefined && values['pptpd-conf'] === undefined) {
    throw new UsageError('--pptpd-options needs --pptpd-conf: it is the pppd options file of that pptpd setup (pptpd -o)', 'add --pptpd-conf /etc/pptpd.conf, or put the options in tunppp.json');
  }
  const anyConfig = values.config ?? values['pptpd-conf'] ?? values['xl2tpd-conf'];
  if (anyConfig === undefined) {
    const chap = values['chap-secrets'] ?? DEFAULT_SECRETS;
    const path = isAbsolute(chap) ? chap : resolve(cwd, chap);
    if (missingSecrets === 'create') return loadEmbeddedDefault(path);
    const exists = await stat(path).then(
      () => true,
      () => false,
    );
    if (!exists && missingSecrets === 'report') return { config: embeddedDefaultConfig(path), secrets: [], warnings: [], sources: [], wouldCreate: path };
    const s = await loadSecrets(path);
    return { config: embeddedDefaultConfig(path), secrets: s.secrets, warnings: s.warnings, sources: s.sources };
  }
  const loaded = await loadConfig({
    ...(values.config ? { config: values.config } : {}),
    ...(values['pptpd-conf'] ? { pptpdConf: values['pptpd-conf'] } : {}),
    ...(values['pptpd-options'] ? { pptpdOptions: values['pptpd-options'] } : {}),
    ...(values['xl2tpd-conf'] ? { xl2tpdConf: values['xl2tpd-conf'] } : {}),
    ...(values['chap-secrets'] ? { chapSecrets: values['chap-secrets'] } : {}),
    cwd,
  });
  loaded.warnings.push(...pppSizeWarnings(loaded.config, loaded.sources[0] ?? anyConfig));
  return loaded;
}

const AUTH_TEXT: Record<string, string> = { 'mschap-v2': 'MS-CHAPv2', mschap: 'MS-CHAP', chap: 'CHAP-MD5', pap: 'PAP' };

/** What serve would run, in words (exported for tests). */
export function describeRun(loaded: LoadedConfig & { wouldCreate?: string }): string {
  const c = loaded.config;
  const out: string[] = [];
  const row = (k: string, v: string): number => out.push(`  ${k.padEnd(10)} ${v}`);
  const pptp = c.listen.pptp;
  const l2tp = c.listen.l2tp;
  row('PPTP', pptp.enabled ? `TCP ${pptp.addresses.map((a) => `${a}:${pptp.port}`).join(', ')} + GRE; Start-Control-Connection within ${pptp.startTimeoutS} s` : 'off');
  row('L2TP', l2tp.enabled ? `UDP ${l2tp.addresses.map((a) => `${a}:${l2tp.port}`).join(', ')}${l2tp.secret ? ', tunnel secret set' : ''}` : 'off');
  const pool = c.pools[0];
  if (pool) {
    const mtu = Math.max(...(['pptp', 'l2tp'] as const).map((p) => Math.min(effectivePppSizes(c, p).mtu, effectivePppSizes(c, p).mru)));
    row('TUN', `${c.tun.name} ${pool.local}/32, MTU ${mtu}; a /32 route per client${c.ppp.proxyArp ? ', proxy ARP on the LAN holding it' : ''}`);
  } else row('TUN', 'none: no address pool (serve refuses to start)');
  for (const p of c.pools) {
    let n: number | string;
    try {
      n = AddressPool.fromSpecs(p.ranges, [parseIpv4(p.local)!]).size;
    } catch (err) {
      n = `? (${(err as Error).message})`;
    }
    row('Pool', `${p.name}: server ${p.local}, clients ${p.ranges.join(', ')} (${n} addresses) for ${p.protocols.join(', ')}`);
  }
  const users = loaded.secrets.length;
  row('Auth', `${c.auth.required ? 'required' : 'not required'}: ${c.ppp.authProtocols.map((a) => AUTH_TEXT[a] ?? a).join(', ')}; ${loaded.wouldCreate ? `${loaded.wouldCreate} does not exist: serve creates it with one user and a random password` : `${users} user${users === 1 ? '' : 's'} in ${c.auth.chapSecrets}`}`);
  const m = c.ppp.mppe;
  row('MPPE', `PPTP ${m.mode}, L2TP ${m.l2tpMode}; ${m.keyBits.join('/')}-bit, stateful ${m.stateful === 'allow' ? 'allowed' : 'refused'}`);
  const sz = (p: 'pptp' | 'l2tp'): string => {
    const s = effectivePppSizes(c, p);
    return `${p.toUpperCase()} MTU ${s.mtu} MRU ${s.mru}${s.mssIpv4 ? ` (TCP MSS ${s.mssIpv4})` : ''}`;
  };
  row('PPP', `name ${c.ppp.name}; ${sz('pptp')}; ${sz('l2tp')}; path MTU ${c.pathMtu}`);
  row('Keepalive', c.ppp.keepalive.intervalS ? `LCP echo every ${c.ppp.keepalive.intervalS} s, down after ${c.ppp.keepalive.failures} missed` : 'off');
  row('DNS/WINS', `${c.dns.length ? c.dns.join(', ') : 'none'} / ${c.wins.length ? c.wins.join(', ') : 'none'}`);
  row('Limits', `${c.connections.max} sessions; client isolation ${c.clientIsolation ? 'on' : 'off'}; idle timeout ${c.ppp.idleTimeoutS ? `${c.ppp.idleTimeoutS} s` : 'off'}`);
  return out.join('\n') + '\n';
}

/** `file:line  option  → verdict: detail`, one line per pppd option read (--explain). */
export function explainLines(loaded: LoadedConfig): string[] {
  return (loaded.notes ?? []).map((n) => `  ${n.file}:${n.line}  ${n.text}  → ${n.verdict}: ${n.detail}`);
}

/** pppd options that do nothing in tunppp, one line each: what `serve` logs at start and `check --explain` lists. */
export function noEffectLines(loaded: LoadedConfig): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const n of loaded.notes ?? []) {
    if (n.verdict !== 'not applicable') continue;
    const line = `option ${n.text} in ${n.file}:${n.line} has no effect in tunppp: ${n.detail}`;
    if (seen.has(line)) continue; // one options file shared by pptpd and xl2tpd is read twice
    seen.add(line);
    out.push(line);
  }
  return out;
}

/** Why serve would refuse this configuration on this host (a client pool inside a LAN subnet without proxyarp), or undefined. */
function lanRefusal(loaded: LoadedConfig, ctx: { networkInterfaces?: () => NodeJS.Dict<NetworkInterfaceInfo[]> }): { message: string; fix: string } | undefined {
  const interfaces = (ctx.networkInterfaces ?? networkInterfaces)();
  return lanPoolProblem(poolOverlaps(loaded.config.pools, localSubnets(interfaces, loaded.config.tun.name)), loaded.config.ppp.proxyArp);
}

const HELP = `Usage: tunppp check [--config tunppp.json] [--pptpd-conf FILE [--pptpd-options FILE]] [--xl2tpd-conf FILE] [--chap-secrets FILE] [--json] [--explain]

Reads and validates every configuration file 'tunppp serve' would read with the
same options — tunppp.json, or pptpd.conf/xl2tpd.conf and the pppd options
files they name, and chap-secrets — and prints what serve would run: listeners,
TUN device, pools, authentication, MPPE, MTU/MSS, limits. Opens nothing and
changes nothing (the embedded default's chap-secrets is not created).

Options:
  --config FILE        tunppp.json (with --pptpd-conf/--xl2tpd-conf: laid over them)
  --pptpd-conf FILE    pptpd.conf (and its option file)
  --pptpd-options FILE the pppd options file pptpd gets with -o (as OpenWrt starts
                       it); replaces pptpd.conf's option line
  --xl2tpd-conf FILE   xl2tpd.conf (and its pppoptfile)
  --chap-secrets FILE  users file; default from the configuration
  --json               print the validated configuration as JSON, a file --config
                       loads as it is (warnings go to stderr)
  --explain            also say, line by line, what each pppd option does here
                       (applied, or why it does not apply)

Exit codes: 0 valid (warnings allowed), 2 invalid (the message names file and line), or
serve would refuse it on this host (a client pool inside a LAN subnet without proxyarp).
`;

export const checkCommand: Subcommand = {
  name: 'check',
  summary: 'Validate all configuration files and print what serve would run',
  help: HELP,
  async run(argv, ctx) {
    const { values } = parseCommandArgs('check', argv, {
      help: { type: 'boolean', short: 'h' },
      config: { type: 'string' },
      'pptpd-conf': { type: 'string' },
      'pptpd-options': { type: 'string' },
      'xl2tpd-conf': { type: 'string' },
      'chap-secrets': { type: 'string' },
      json: { type: 'boolean' },
      explain: { type: 'boolean' },
    });
    if (values.help) {
      ctx.stdout.write(HELP);
      return EXIT.OK;
    }
    const loaded = await loadForServe(values, ctx.cwd, 'report');
    const explain = values.explain ? explainLines(loaded) : [];
    if (values.json) {
      // The Config itself, so `tunppp serve --config` can run from it; the rest goes to stderr.
      ctx.stdout.write(`${JSON.stringify(loaded.config, null, 2)}\n`);
      if (explain.length) ctx.stderr.write(`Read as:\n${explain.join('\n')}\n`);
      if (loaded.warnings.length) ctx.stderr.write(`Warnings:\n${loaded.warnings.map((x) => `  ${formatWarning(x)}`).join('\n')}\n`);
      // The same host check as without --json: the Config stays on stdout, the refusal goes to stderr.
      const lanJson = lanRefusal(loaded, ctx);
      if (lanJson) {
        ctx.stderr.write(`On this host serve would refuse to start: ${lanJson.message}\n  fix: ${lanJson.fix}\n`);
        return EXIT.USAGE;
      }
      return EXIT.OK;
    }
    const w = loaded.warnings.length;
    ctx.stdout.write(`tunppp check: configuration valid${w ? ` with ${w} warning${w === 1 ? '' : 's'}` : ''}\n`);
    ctx.stdout.write(`Read: ${loaded.sources.length ? loaded.sources.join(', ') : '(embedded default)'}\n\nServe would run:\n`);
    ctx.stdout.write(describeRun(loaded));
    if (explain.length) ctx.stdout.write(`\nRead as:\n${explain.join('\n')}\n`);
    if (w) ctx.stdout.write(`\nWarnings:\n${loaded.warnings.map((x) => `  ${formatWarning(x).replace(/\n/g, '\n  ')}`).join('\n')}\n`);
    const priv = checkPrivileges();
    const needGre = loaded.config.listen.pptp.enabled;
    const problems = priv.problems.filter((p) => p.code === 'TUN_OPEN' || needGre);
    if (problems.length) ctx.stdout.write(`\nThis process could not run it: ${problems.map((p) => `${p.message} (${p.hint})`).join('; ')}\n`);
    // A pool inside this host's LAN without proxyarp: serve refuses it here (server/lan-subnets.ts).
    const lan = lanRefusal(loaded, ctx);
    if (lan) {
      ctx.stdout.write(`\nOn this host serve would refuse to start: ${lan.message}\n  fix: ${lan.fix}\n`);
      return EXIT.USAGE;
    }
    return EXIT.OK;
  },
};
