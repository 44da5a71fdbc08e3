/**
 * The files of pppd's RADIUS plugin (radius.so, pppd/plugins/radius/config.c):
 * `radiusclient.conf` (default /etc/radiusclient/radiusclient.conf, or the
 * `radius-config-file` option) — one `keyword value` per line, `#` comment
 * lines, each keyword at most once — and the `servers` file it names, with
 * `server secret` lines. They become tunppp's own `radius` settings, so a
 * pptpd/xl2tpd site that authenticates through RADIUS migrates as it is.
 *
 * What pppd's plugin does and tunppp matches: every user is checked by RADIUS
 * (chap-secrets is not consulted), servers are tried in the order of
 * `authserver`, each `radius_retries` times with `radius_timeout` seconds per
 * try (radiusclient's count includes the first send), and accounting goes
 * to `acctserver`. Keywords for radiusclient's own
 * login program and files tunppp does not need are accepted with a note;
 * what tunppp cannot honour is refused.
 */
import { ConfigError } from '../core/errors.js';
import type { ConfigInput } from './schema.js';
import type { ConfigWarning } from './warnings.js';

/** A parsed radiusclient.conf: keyword → value and line. */
export interface RadiusclientConf {
  file: string;
  values: Map<string, { value: string; line: number }>;
  warnings: ConfigWarning[];
}

/** radiusclient.conf keywords (config.c config_options) and what tunppp does with them. */
const KEYWORDS: Readonly<Record<string, 'used' | 'not-applicable' | 'refused-if-set'>> = {
  authserver: 'used',
  acctserver: 'used',
  servers: 'used',
  radius_timeout: 'used',
  radius_retries: 'used',
  nas_identifier: 'used',
  auth_order: 'used',
  default_realm: 'refused-if-set',
  bindaddr: 'refused-if-set',
  // radiusclient's login program (radlogin), its files, and files tunppp has built in:
  config_file: 'not-applicable',
  login_tries: 'not-applicable',
  login_timeout: 'not-applicable',
  nologin: 'not-applicable',
  issue: 'not-applicable',
  login_radius: 'not-applicable',
  login_local: 'not-applicable',
  dictionary: 'not-applicable',
  seqfile: 'not-applicable',
  mapfile: 'not-applicable',
};

/** Parses radiusclient.conf as rc_read_config does. */
export function parseRadiusclientConf(text: string, file: string): RadiusclientConf {
  const values = new Map<string, { value: string; line: number }>();
  const warnings: ConfigWarning[] = [];
  text.split('\n').forEach((raw, k) => {
    const line = k + 1;
    if (raw === '' || raw.startsWith('#')) return;
    const m = ((t: string) => { const k = /^\S+/.exec(t)?.[0]; return k === undefined ? null : [t, k, t.slice(k.length).replace(/^[ \t]+/, '')]; })(raw.replace(/\r$/, ''));
    if (!m) {
      throw new ConfigError('CONFIG_SYNTAX', `bogus format: '${raw.trim()}' (a line must start with a keyword)`, { file, line }, 'write "keyword value", e.g. authserver 10.0.0.5:1812');
    }
    const [, key, value] = m as unknown as [string, string, string];
    if (!Object.hasOwn(KEYWORDS, key)) {
      // radiusclient warns and goes on; so does tunppp.
      warnings.push({ file, line, message: `unrecognized radiusclient keyword '${key}' (radiusclient ignores it too)`, hint: 'remove it' });
      return;
    }
    if (values.has(key)) {
      throw new ConfigError('CONFIG_SYNTAX', `duplicate option line: ${key} (first on line ${values.get(key)!.line})`, { file, line }, 'keep one of them (radiusclient refuses duplicates)');
    }
    values.set(key, { value: value.trim(), line });
  });
  return { file, values, warnings };
}

/** `server secret` lines of the servers file (rc_find_server): first matching name wins. */
export function parseRadiusServers(text: string, file: string): Map<string, string> {
  const secrets = new Map<string, string>();
  text.split('\n').forEach((raw, k) => {
    if (raw.startsWith('#')) return;
    const [host, secret] = raw.split(/[ \t\r]+/).filter((w) => w !== '');
    if (host === undefined || secret === undefined) return;
    if (host.includes('/')) {
      throw new ConfigError('CONFIG_UNSUPPORTED', `'${host}': the "client/server" pair form of the servers file is not supported`, { file, line: k + 1 },
        'write one line per RADIUS server: SERVER SECRET');
    }
    if (!secrets.has(host)) secrets.set(host, secret);
  });
  return secrets;
}

function serverList(v: { value: string; line: number }, defaultPort: number, conf: RadiusclientConf, key: string): { host: string; port: number }[] {
  const out: { host: string; port: number }[] = [];
  for (const item of v.value.split(/[, \t]+/).filter((s) => s !== '')) {
    const [host, portText] = item.split(':') as [string, string | undefined];
    const port = portText === undefined ? defaultPort : Number(portText);
    if (!host || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new ConfigError('CONFIG_VALUE', `bad ${key} '${item}'`, { file: conf.file, line: v.line }, `write HOST[:PORT], e.g. ${key} 10.0.0.5:${defaultPort}`);
    }
    out.push({ host, port });
  }
  return out;
}

/** The RADIUS part of a Config from radiusclient.conf and its servers file text. */
export function radiusFromRadiusclient(conf: RadiusclientConf, serversText: string, serversFile: string): { radius: NonNullable<ConfigInput['radius']>; backends: ['radius']; warnings: ConfigWarning[] } {
  const warnings = [...conf.warnings];
  const get = (k: string) => conf.values.get(k);
  for (const [key, v] of conf.values) {
    if (KEYWORDS[key] === 'refused-if-set' && v.value !== '') {
      const why = key === 'default_realm'
        ? 'radiusclient appends @REALM to user names without one; tunppp sends the name as the client gave it'
        : 'radiusclient sends from this address; tunppp sends from the address the routing table picks';
      throw new ConfigError('CONFIG_UNSUPPORTED', `${key} ${v.value}: ${why}`, { file: conf.file, line: v.line },
        key === 'default_realm' ? 'remove it (or strip/add realms on the RADIUS server)' : 'remove it (set radius.nasIpAddress in tunppp.json for NAS-IP-Address)');
    }
  }
  const auth = get('authserver');
  if (!auth || auth.value === '') {
    throw new ConfigError('CONFIG_MISSING', 'no authserver: pppd\'s radius plugin would not start', { file: conf.file }, 'add e.g. authserver 10.0.0.5:1812');
  }
  const order = get('auth_order');
  if (order && !/^radius\s*(,\s*local)?$/.test(order.value)) {
    throw new ConfigError('CONFIG_UNSUPPORTED', `auth_order ${order.value}: radiusclient's "local" is the system password file, which tunppp cannot check`, { file: conf.file, line: order.line },
      'write auth_order radius');
  }
  const secrets = parseRadiusServers(serversText, serversFile);
  const acct = get('acctserver');
  const acctServers = acct && acct.value !== '' ? serverList(acct, 1813, conf, 'acctserver') : [];
  const servers = serverList(auth, 1812, conf, 'authserver').map(({ host, port }, k) => {
    const secret = secrets.get(host);
    if (secret === undefined) {
      throw new ConfigError('CONFIG_MISSING', `no secret for RADIUS server '${host}' in ${serversFile}`, { file: conf.file, line: auth.line },
        `add a line "${host} SECRET" to ${serversFile}`);
    }
    const a = acctServers.find((s) => s.host === host) ?? acctServers[k];
    if (a && a.host !== host) {
      throw new ConfigError('CONFIG_UNSUPPORTED', `acctserver ${a.host} is not an authserver; tunppp sends accounting to the authentication servers (with their secrets)`, { file: conf.file, line: acct!.line },
        `list the same hosts in authserver and acctserver (ports may differ), e.g. acctserver ${host}:1813`);
    }
    return { address: host, port, acctPort: a?.port ?? 1813, secret };
  });
  const radius: NonNullable<ConfigInput['radius']> = { servers, accounting: acctServers.length > 0 };
  const timeout = get('radius_timeout');
  if (timeout) {
    const s = Number(timeout.value);
    if (!Number.isInteger(s) || s < 1 || s > 60) throw new ConfigError('CONFIG_VALUE', `radius_timeout '${timeout.value}'`, { file: conf.file, line: timeout.line }, 'write seconds, 1..60, e.g. radius_timeout 10');
    radius.timeoutMs = s * 1000;
  }
  const retries = get('radius_retries');
  if (retries) {
    const n = Number(retries.value);
    if (!Number.isInteger(n) || n < 0 || n > 11) throw new ConfigError('CONFIG_VALUE', `radius_retries '${retries.value}'`, { file: conf.file, line: retries.line }, 'write 0..11, e.g. radius_retries 3');
    // radiusclient sends at most radius_retries times (0 = once); tunppp counts retransmissions after the first.
    radius.retries = Math.max(0, n - 1);
  }
  const nas = get('nas_identifier');
  if (nas && nas.value !== '') radius.nasIdentifier = nas.value;
  return { radius, backends: ['radius'], warnings };
}
