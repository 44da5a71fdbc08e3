/**
 * Turns a pptpd setup (pptpd.conf + its pppd options file + chap-secrets)
 * and/or an xl2tpd setup (xl2tpd.conf + its pppoptfile) into the one Config.
 * Pure: the caller reads the files (load.ts) and passes the parsed forms.
 *
 * Where both setups say something different about a shared setting (DNS,
 * PPP name, MTU, auth), the pptpd side wins and a warning names both places.
 */
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { ConfigError } from '../core/errors.js';
import type { ChapSecrets } from './chap-secrets.js';
import { formatIpv4, formatRange, parseRangeSpec, rangeSize, type Ipv4Range } from './ipv4.js';
import { acceptedAuthProtocols, lastTwo, mppePolicy, type PppOptions } from './ppp-options.js';
import type { PptpdConf } from './pptpd-conf.js';
import { validateConfig, type Config, type ConfigInput } from './schema.js';
import type { ConfigWarning } from './warnings.js';
import { lnsAccess, lnsRanges, type Xl2tpdConf } from './xl2tpd-conf.js';

/** xl2tpd's default `auth file` (file.h DEFAULT_AUTH_FILE). */
export const XL2TPD_AUTH_FILE = '/etc/xl2tpd/l2tp-secrets';

/** Parsed legacy files to merge. */
export interface LegacySources {
  pptpd?: { conf: PptpdConf; options?: PppOptions };
  xl2tpd?: { conf: Xl2tpdConf; options?: PppOptions };
  secrets?: ChapSecrets;
  /** Path of the chap-secrets file to put in the Config. */
  chapSecretsPath?: string;
  /** The system host name (pppd's default PPP name; xl2tpd's "us"); default os.hostname(). */
  hostName?: string;
  /** RADIUS settings from radiusclient.conf (radius.so sites); every user is then checked by RADIUS, as pppd's plugin does. */
  radius?: { radius: NonNullable<ConfigInput['radius']>; file: string };
  /** tunppp.json given with the legacy files (--config): its keys are laid over what the legacy files give. */
  overlay?: { value: Record<string, unknown>; file: string; text: string };
}

/** A merged Config and everything worth telling the user. */
export interface MergeResult {
  config: Config;
  warnings: ConfigWarning[];
}

type PppInput = NonNullable<ConfigInput['ppp']>;

function pppFromOptions(o: PppOptions, warnings: ConfigWarning[], host: string, radiusRead: boolean): PppInput {
  const ppp: PppInput = {};
  // pppd: our name is `name`, else (or with usehostname) the host name, to which `domain` is appended.
  const hostWithDomain = o.domain ? `${host}.${o.domain.value}` : host;
  if (o.usehostname !== undefined || (!o.name && o.domain)) ppp.name = hostWithDomain;
  else if (o.name) ppp.name = o.name.value;
  const protos = acceptedAuthProtocols(o);
  if (protos.length === 0) {
    const at = o.require.values().next().value ?? o.refuse.values().next().value;
    throw new ConfigError('CONFIG_CONFLICT', 'no authentication protocol is left that tunppp can accept', at ?? { file: o.file },
      'allow one of them, e.g. require-mschap-v2 (EAP is not supported)');
  }
  ppp.authProtocols = protos;
  if (o.require.has('eap')) warnings.push({ ...o.require.get('eap')!, message: 'require-eap: tunppp does not support EAP; clients use the other required protocols', hint: 'remove require-eap' });
  const policy = mppePolicy(o);
  ppp.mppe = { mode: policy.mode, keyBits: policy.keyBits, stateful: policy.stateful ? 'allow' : 'refuse' };
  if (policy.mode === 'require' && !protos.some((p) => p === 'mschap-v2' || p === 'mschap')) {
    throw new ConfigError('CONFIG_CONFLICT', 'MPPE is required, but no MS-CHAP protocol is accepted (MPPE keys come from MS-CHAP)', { file: o.file, ...(policy.line !== undefined ? { line: policy.line } : {}) },
      'add require-mschap-v2, or drop require-mppe');
  }
  if (o.mtu) ppp.mtu = o.mtu.value;
  if (o.mru) ppp.mru = o.mru.value;
  for (const [key, v] of [['mtu', o.mtu], ['mru', o.mru]] as const) {
    if (v && v.value < 576) warnings.push({ file: o.file, line: v.line, message: `${key} ${v.value} is below 576; some clients refuse an MRU this small`, hint: `run 'tunppp mtu' to compute one for your path` });
  }
  const ka: NonNullable<PppInput['keepalive']> = {};
  if (o.lcpEchoInterval) ka.intervalS = o.lcpEchoInterval.value;
  if (o.lcpEchoFailure) {
    if (o.lcpEchoFailure.value === 0) ka.intervalS = 0;
    else ka.failures = o.lcpEchoFailure.value;
  }
  ppp.keepalive = ka;
  if (o.idle) ppp.idleTimeoutS = o.idle.value;
  if (o.proxyarp) ppp.proxyArp = o.proxyarp.value;
  if (o.ipv6) ppp.ipv6 = o.ipv6.value;
  if (o.debug) ppp.debug = true;
  for (const p of o.plugins) {
    // radius.so: the loader turns its radiusclient.conf into tunppp's RADIUS settings; radattr.so only feeds scripts.
    if (isRadiusPlugin(p.value) && (radiusRead || /radattr\.so$/.test(p.value))) continue;
    warnings.push(isRadiusPlugin(p.value)
      ? { file: o.file, line: p.line, message: `plugin ${p.value}: tunppp has its own RADIUS client, but no radiusclient.conf was read here`, hint: 'load the files with tunppp check/serve --pptpd-conf (they read radiusclient.conf), or set "radius" and auth.backends ["radius"] in tunppp.json (docs/radius.md)' }
      : { file: o.file, line: p.line, message: `plugin ${p.value} is not loaded by tunppp; whatever it does does not happen`, hint: 'remove it' });
  }
  if (o.addresses) warnings.push({ file: o.file, line: o.addresses.line, message: 'a LOCAL:REMOTE address pair in an options file is ignored; addresses come from the pool', hint: 'use localip/remoteip (pptpd) or ip range (xl2tpd)' });
  return ppp;
}

/** pppd's RADIUS plugins: radius.so does the work, radattr.so only writes attributes for scripts. */
export function isRadiusPlugin(path: string): boolean {
  return /(^|\/)rad(ius|attr)\.so$/.test(path);
}

function differ(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) !== JSON.stringify(b);
}

/** Merges legacy files into a Config. Throws `ConfigError` when they cannot work. */
export function mergeLegacy(src: LegacySources): MergeResult {
  const warnings: ConfigWarning[] = [];
  const host = src.hostName ?? hostname();
  const input: ConfigInput = { listen: { pptp: { enabled: false }, l2tp: { enabled: false } }, pools: [] };
  const dns: string[] = [];
  const wins: string[] = [];
  let ppp: PppInput | undefined;
  let pppFrom: string | undefined;
  let authRequired: boolean | undefined;

  const takeOptions = (o: PppOptions | undefined, transport: 'pptp' | 'l2tp') => {
    if (!o) return;
    warnings.push(...o.warnings);
    const p = pppFromOptions(o, warnings, host, src.radius !== undefined);
    if (transport === 'l2tp') {
      // xl2tpd's options file sets the MPPE policy of L2TP sessions only.
      p.mppe = { ...p.mppe, l2tpMode: p.mppe!.mode! };
      if (ppp) {
        ppp.mppe = { ...ppp.mppe, l2tpMode: p.mppe.mode! };
        p.mppe = { ...ppp.mppe };
      }
    }
    // pppd sends the last two ms-dns/ms-wins values of the file; tunppp has one list for both transports.
    for (const [list, values, what] of [[dns, o.msDns, 'ms-dns'], [wins, o.msWins, 'ms-wins']] as const) {
      const pair = lastTwo(values.map((v) => v.value));
      if (!pair.length) continue;
      if (list.length === 0) list.push(...pair);
      else if (differ(pair, list)) {
        warnings.push({ file: o.file, line: values[values.length - 1]!.line, message: `${what} here (${pair.join(', ')}) differs from the other options file (${list.join(', ')}); tunppp gives every client the first`, hint: 'make the two options files agree' });
      }
    }
    if (o.auth) {
      if (authRequired === undefined) authRequired = o.auth.value;
      if (!o.auth.value) warnings.push({ file: o.auth.file, line: o.auth.line, message: 'noauth: clients connect without a password', hint: o.auth.file === o.file ? 'replace noauth with auth' : 'set require authentication = yes' });
    }
    if (!ppp) {
      ppp = p;
      pppFrom = o.file;
    } else {
      for (const key of ['name', 'authProtocols', 'mppe', 'mtu', 'mru'] as const) {
        if (p[key] !== undefined && differ(p[key], ppp[key])) {
          warnings.push({ file: o.file, message: `PPP ${key} here (${JSON.stringify(p[key])}) differs from ${pppFrom} (${JSON.stringify(ppp[key])}); tunppp has one PPP policy and keeps the first`, hint: 'make the two options files agree' });
        }
      }
    }
  };

  if (src.pptpd) {
    const c = src.pptpd.conf;
    warnings.push(...c.warnings);
    if (c.listen && isIP(c.listen.value) === 0) {
      throw new ConfigError('CONFIG_VALUE', `listen '${c.listen.value}' is not an IP address`, { file: c.file, line: c.listen.line }, 'give the address to bind to, e.g. listen 203.0.113.5 (tunppp does not resolve host names here)');
    }
    input.listen!.pptp = { enabled: true, port: 1723, addresses: [c.listen?.value ?? '0.0.0.0'], startTimeoutS: c.stimeout?.value ?? 10 };
    if (c.logwtmp) warnings.push({ file: c.file, message: 'logwtmp: tunppp logs sessions to its own log, not wtmp' });
    if (c.delegate) {
      warnings.push({ file: c.file, message: 'delegate: addresses come from chap-secrets only (fixed addresses per user); no pool is built from localip/remoteip', hint: 'give each user an address in chap-secrets, or remove delegate' });
    } else {
      if (!c.remoteip) {
        throw new ConfigError('CONFIG_MISSING', 'no remoteip: PPTP clients would get no address', { file: c.file }, 'add e.g. remoteip 192.168.0.234-238,192.168.0.245 (and localip 192.168.0.1)');
      }
      if (!c.localip) {
        throw new ConfigError('CONFIG_MISSING', 'no localip: the server needs its own tunnel address', { file: c.file, line: c.remoteip.line }, 'add e.g. localip 192.168.0.1');
      }
      const local = c.localip.value[0]!.start;
      if (c.localip.value.length > 1 || rangeSize(c.localip.value[0]!) > 1) {
        warnings.push({ file: c.file, line: c.localip.line, message: `several localip addresses: tunppp uses ${formatIpv4(local)} for every session on its TUN device`, hint: `write localip ${formatIpv4(local)}` });
      }
      const ranges = c.remoteip.value.filter((r) => !(r.start <= local && local <= r.end) || rangeSize(r) > 1);
      const limit = c.connections?.value ?? 100;
      const total = c.remoteip.value.reduce((s, r) => s + rangeSize(r), 0) - (c.remoteip.value.some((r) => r.start <= local && local <= r.end) ? 1 : 0);
      if (c.remoteip.value.some((r) => r.start <= local && local <= r.end)) {
        warnings.push({ file: c.file, line: c.remoteip.line, message: `remoteip includes the server's localip ${formatIpv4(local)}; it is never handed out` });
      }
      if (total < limit && c.connections) {
        warnings.push({ file: c.file, line: c.connections.line, message: `connections ${limit} but remoteip has ${total} addresses; at most ${total} clients can connect`, hint: 'widen remoteip or lower connections' });
      }
      input.pools!.push({ name: 'pptp', local: formatIpv4(local), ranges: ranges.map(formatRange), protocols: ['pptp'] });
    }
    input.connections = { max: c.connections?.value ?? 100 };
    takeOptions(src.pptpd.options, 'pptp');
    if (!src.pptpd.options && c.option) {
      warnings.push({ file: c.file, line: c.option.line, message: `options file ${c.option.value} was not read`, hint: 'pass it to the loader' });
    }
  }

  if (src.xl2tpd) {
    const c = src.xl2tpd.conf;
    warnings.push(...c.warnings);
    const l2tp: NonNullable<NonNullable<ConfigInput['listen']>['l2tp']> = { enabled: true, port: c.global.port?.value ?? 1701 };
    l2tp.addresses = [c.global.listenAddr?.value ?? '0.0.0.0'];
    input.listen!.l2tp = l2tp;
    const lns = c.lns.find((l) => l.name.toLowerCase() === 'default') ?? c.lns[0];
    if (!lns) {
      throw new ConfigError('CONFIG_MISSING', 'no [lns ...] section: xl2tpd.conf defines no server', { file: c.file }, 'add [lns default] with ip range, local ip and pppoptfile');
    }
    for (const other of c.lns) {
      if (other !== lns) warnings.push({ file: c.file, line: other.line, message: `[lns ${other.name}] is ignored; tunppp serves one LNS (${lns.name})`, hint: 'merge its settings into [lns default]' });
    }
    // Tunnel authentication as xl2tpd does it (aaa.c get_secret, control.c SCCRQ):
    // `auth file` holds "us them secret" lines (default /etc/xl2tpd/l2tp-secrets),
    // `challenge = yes` makes the LNS challenge every LAC, `hostname` is "us".
    const authFile = c.global.authFile?.value ?? (lns.challenge?.value ? XL2TPD_AUTH_FILE : undefined);
    if (authFile !== undefined) {
      l2tp.secretsFile = authFile;
      // xl2tpd's "us" without `hostname` is the system host name, which it also sends as Host Name.
      l2tp.hostName = lns.hostname?.value ?? host;
      if (c.global.authFile && /chap-secrets$/.test(authFile)) {
        warnings.push({ file: c.file, line: c.global.authFile.line, message: `auth file ${authFile} is read as L2TP tunnel secrets ("us them secret" lines), not as PPP users: a chap-secrets line gives the secret "password plus the address column"`, hint: 'point auth file at /etc/xl2tpd/l2tp-secrets' });
      }
    } else if (lns.hostname) {
      l2tp.hostName = lns.hostname.value;
    }
    if (lns.challenge?.value) l2tp.challenge = true;
    const access = lnsAccess(c, lns, warnings);
    if (access) l2tp.access = access;
    if (c.lac.length) warnings.push({ file: c.file, line: c.lac[0]!.line, message: '[lac] sections (client side) are not used by tunppp serve', hint: 'use tunppp connect for client connections' });
    if (c.global.ipsecSaref?.value) warnings.push({ file: c.file, line: c.global.ipsecSaref.line, message: 'ipsec saref has no meaning for tunppp' });
    if (lns.assignIp?.value !== false) {
      const ranges: Ipv4Range[] = lnsRanges(lns);
      if (ranges.length === 0) {
        throw new ConfigError('CONFIG_MISSING', `[lns ${lns.name}] has no usable ip range`, { file: c.file, line: lns.line }, 'add ip range = 192.168.1.128-192.168.1.254');
      }
      if (!lns.localIp) {
        throw new ConfigError('CONFIG_MISSING', `[lns ${lns.name}] has no local ip: the server needs its own tunnel address`, { file: c.file, line: lns.line }, 'add local ip = 192.168.1.99');
      }
      input.pools!.push({ name: 'l2tp', local: lns.localIp.value, ranges: ranges.map(formatRange), protocols: ['l2tp'] });
    }
    // The LNS's auth, name and debug keys arrive as the pppd arguments xl2tpd passes before its pppoptfile (xl2tpdPppArguments, read by the loader).
    takeOptions(src.xl2tpd.options, 'l2tp');
  }

  if (!src.pptpd && !src.xl2tpd) {
    throw new ConfigError('CONFIG_MISSING', 'nothing to merge: neither pptpd.conf nor xl2tpd.conf given', { file: src.chapSecretsPath ?? 'tunppp' }, 'pass --pptpd-conf or --xl2tpd-conf, or write tunppp.json');
  }

  if (dns.length) input.dns = dns;
  if (wins.length) input.wins = wins;
  // pppd's name without `name`: the host name.
  ppp ??= {};
  ppp.name ??= host;
  input.ppp = ppp;
  input.auth = { required: authRequired ?? true };
  if (src.chapSecretsPath) input.auth.chapSecrets = src.chapSecretsPath;
  if (src.radius) {
    input.radius = src.radius.radius;
    input.auth.backends = ['radius'];
  }
  let config: Config;
  if (src.overlay) {
    const merged = overlay(input as Record<string, unknown>, src.overlay.value, [], (path) => {
      warnings.push({ file: src.overlay!.file, message: `${path} replaces what the pptpd/xl2tpd files give`, hint: 'remove it from one of the two places' });
    });
    config = validateConfig(merged, src.overlay.file, src.overlay.text);
  } else {
    config = validateConfig(input, src.pptpd?.conf.file ?? src.xl2tpd!.conf.file);
  }

  if (src.secrets) {
    warnings.push(...src.secrets.warnings);
    checkSecrets(config, src.secrets, warnings);
  }
  return { config, warnings };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * `top` laid over `base`: objects merge key by key, anything else (arrays
 * included) replaces; `replaced` hears each path where a value from `base`
 * gave way to a different one.
 */
function overlay(base: Record<string, unknown>, top: Record<string, unknown>, path: string[], replaced: (path: string) => void): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(top)) {
    const b = Object.hasOwn(base, k) ? base[k] : undefined;
    if (isObject(b) && isObject(v)) out[k] = overlay(b, v, [...path, k], replaced);
    else {
      if (b !== undefined && differ(b, v)) replaced([...path, k].join('.'));
      out[k] = v;
    }
  }
  return out;
}

/** Cross-checks chap-secrets against the merged Config. */
function checkSecrets(config: Config, secrets: ChapSecrets, warnings: ConfigWarning[]): void {
  const name = config.ppp.name;
  const usable = secrets.entries.filter((e) => e.server === '*' || e.server === name);
  if (secrets.entries.length > 0 && usable.length === 0) {
    const servers = [...new Set(secrets.entries.map((e) => e.server))].join(', ');
    warnings.push({ file: secrets.file, message: `no entry is for server '${name}' (entries name: ${servers}); nobody can log in`, hint: `set the second column to ${name} or *, or set "name" in the options file` });
  }
  if (secrets.entries.length === 0) {
    warnings.push({ file: secrets.file, message: 'no users: nobody can log in', hint: 'add a line: USER * "PASSWORD" *' });
  }
  for (const e of usable) {
    for (const r of e.addresses) {
      if (r.kind !== 'range' || !r.permit || r.range.start !== r.range.end) continue;
      const addr = r.range.start;
      const inPool = config.pools.some((p) => p.ranges.some((spec) => {
        const pr = parseRangeSpec(spec);
        return typeof pr !== 'string' && pr.start <= addr && addr <= pr.end;
      }));
      if (!inPool && config.pools.length > 0) {
        warnings.push({ file: e.file, line: e.line, message: `${e.client}'s fixed address ${formatIpv4(r.range.start)} is outside every pool`, hint: 'tunppp assigns it anyway; make sure it is routed to the TUN device' });
      }
    }
    if (e.addresses.length > 0 && e.addresses.every((r) => r.kind === 'none')) {
      warnings.push({ file: e.file, line: e.line, message: `${e.client} may use no address ("-"), so IPCP will fail for this user`, hint: 'use * to accept the pool address' });
    }
  }
}
