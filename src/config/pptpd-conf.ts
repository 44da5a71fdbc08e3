/**
 * `/etc/pptpd.conf` as pptpd reads it (configfile.c `read_config_file`,
 * pptpd.c): one `keyword [value]` per line; `#` only at the start of a line
 * is a comment (a `#` later on is part of the value); a line starting with a
 * space or tab is ignored with an error in pptpd's log; the first occurrence
 * of a keyword wins. Keywords are case-sensitive.
 *
 * Address lists (`localip`, `remoteip`): comma-separated addresses and
 * one-octet ranges, no spaces (`192.168.0.234-238,192.168.0.245`). pptpd
 * accepts no CIDR form; host names are looked up by pptpd, but a pure reader
 * cannot, so they are rejected with a hint.
 */
import { ConfigError } from '../core/errors.js';
import { parsePptpdRange, type Ipv4Range } from './ipv4.js';
import type { ConfigWarning } from './warnings.js';

/** A value with the line it came from. */
export interface Located<T> {
  value: T;
  line: number;
}

/** The parsed pptpd.conf. */
export interface PptpdConf {
  file: string;
  /** `option FILE`: the pppd options file. */
  option?: Located<string>;
  /** `ppp PATH`: the pppd binary (unused by tunppp). */
  ppp?: Located<string>;
  localip?: Located<Ipv4Range[]>;
  remoteip?: Located<Ipv4Range[]>;
  /** `listen ADDR`: the address to bind TCP 1723 to. */
  listen?: Located<string>;
  /** `connections N` (pptpd default 100). */
  connections?: Located<number>;
  /** `speed N` (only passed to pppd; unused). */
  speed?: Located<string>;
  /** `stimeout N`: seconds to wait for the control connection to start (default 10). */
  stimeout?: Located<number>;
  noipparam: boolean;
  logwtmp: boolean;
  delegate: boolean;
  debug: boolean;
  /** `bcrelay IF`: broadcast relay (not supported by tunppp). */
  bcrelay?: Located<string>;
  pidfile?: Located<string>;
  vrf?: Located<string>;
  warnings: ConfigWarning[];
}

/** Keywords pptpd knows, with whether they take a value. */
const KEYWORDS: Readonly<Record<string, 'value' | 'flag'>> = {
  option: 'value', ppp: 'value', localip: 'value', remoteip: 'value', listen: 'value', connections: 'value',
  speed: 'value', stimeout: 'value', noipparam: 'flag', logwtmp: 'flag', delegate: 'flag', debug: 'flag',
  bcrelay: 'value', pidfile: 'value', vrf: 'value',
};

function addressList(value: string, file: string, line: number, key: string): Ipv4Range[] {
  if (/\s/.test(value)) {
    throw new ConfigError('CONFIG_VALUE', `${key}: spaces are not allowed in an address list ('${value}')`, { file, line },
      `remove the spaces: ${key} ${value.replace(/\s+/g, '')}`);
  }
  if (value.includes('/')) {
    throw new ConfigError('CONFIG_VALUE', `${key}: pptpd does not accept CIDR ('${value}')`, { file, line },
      `write the addresses as a range in the last octet, e.g. ${key} 192.168.0.10-250`);
  }
  const out: Ipv4Range[] = [];
  for (const item of value.split(',')) {
    if (item === '') {
      throw new ConfigError('CONFIG_VALUE', `${key}: empty item in '${value}'`, { file, line }, 'remove the doubled or trailing comma');
    }
    const r = parsePptpdRange(item);
    if (typeof r === 'string') {
      const hint = /[a-z]/i.test(item)
        ? 'give an IPv4 address; tunppp does not resolve host names in pptpd.conf'
        : `write single addresses and last-octet ranges separated by commas, e.g. ${key} 192.168.0.234-238,192.168.0.245`;
      throw new ConfigError('CONFIG_VALUE', `${key}: ${r}`, { file, line }, hint);
    }
    out.push(...r);
  }
  return out;
}

function integer(value: string, file: string, line: number, key: string, min: number, max: number): number {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new ConfigError('CONFIG_VALUE', `${key}: '${value}' is not a number ${min}..${max}`, { file, line }, `write e.g. ${key} ${key === 'connections' ? 100 : 10}`);
  }
  return Number(value);
}

/** Parses pptpd.conf text. Throws `ConfigError` with file:line and a fix. */
export function parsePptpdConf(text: string, file: string): PptpdConf {
  const conf: PptpdConf = { file, noipparam: false, logwtmp: false, delegate: false, debug: false, warnings: [] };
  const seen = new Map<string, number>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const raw = lines[i]!.replace(/\r$/, '').replace(/(?<![ \t])[ \t]+$/, '');
    if (raw === '' || raw.startsWith('#')) continue;
    // Any leading white space (also \v, \f, U+00A0 from copy-paste): the keyword regex below needs \S first.
    if (/^\s/.test(raw)) {
      conf.warnings.push({ file, line, message: 'line starts with white space; pptpd ignores it', hint: 'remove the leading spaces' });
      continue;
    }
    // \s and [\s\S]: a stray \f, \v or U+2028 inside the line must not make the match fail.
    const m = /^(\S+)(?:\s+(\S[\s\S]*|))?$/.exec(raw);
    if (!m) continue;
    const key = m[1]!;
    const value = m[2] ?? '';
    const kind = Object.hasOwn(KEYWORDS, key) ? KEYWORDS[key] : undefined;
    if (kind === undefined) {
      const lower = Object.hasOwn(KEYWORDS, key.toLowerCase()) ? ` (keywords are lower case: ${key.toLowerCase()})` : '';
      conf.warnings.push({ file, line, message: `unknown keyword '${key}'; pptpd ignores it${lower}`, hint: `known keywords: ${Object.keys(KEYWORDS).join(', ')}` });
      continue;
    }
    const first = seen.get(key);
    if (first !== undefined) {
      conf.warnings.push({ file, line, message: `'${key}' already set on line ${first}; pptpd uses the first, this line is ignored`, hint: 'remove one of them' });
      continue;
    }
    seen.set(key, line);
    if (kind === 'flag') {
      if (value !== '') conf.warnings.push({ file, line, message: `'${key}' takes no value; '${value}' is ignored` });
      (conf as unknown as Record<string, boolean>)[key] = true;
      continue;
    }
    if (value === '') {
      throw new ConfigError('CONFIG_SYNTAX', `'${key}' needs a value`, { file, line }, `write e.g. ${exampleFor(key)}`);
    }
    if (value.includes('#') && key !== 'option' && key !== 'ppp') {
      throw new ConfigError('CONFIG_SYNTAX', `'${key}' value contains '#': pptpd has no comments after a value`, { file, line },
        'move the comment to its own line starting with #');
    }
    switch (key) {
      case 'localip': conf.localip = { value: addressList(value, file, line, key), line }; break;
      case 'remoteip': conf.remoteip = { value: addressList(value, file, line, key), line }; break;
      case 'connections': conf.connections = { value: integer(value, file, line, key, 1, 65535), line }; break;
      case 'stimeout': conf.stimeout = { value: integer(value, file, line, key, 1, 3600), line }; break;
      case 'option': conf.option = { value, line }; break;
      case 'ppp': conf.ppp = { value, line }; break;
      case 'listen': conf.listen = { value, line }; break;
      case 'speed': conf.speed = { value, line }; break;
      case 'bcrelay':
        conf.bcrelay = { value, line };
        conf.warnings.push({ file, line, message: 'bcrelay (broadcast relay) is not supported by tunppp', hint: 'NetBIOS browsing over the VPN needs WINS (ms-wins) instead' });
        break;
      case 'pidfile':
        conf.pidfile = { value, line };
        conf.warnings.push({ file, line, message: `pidfile ${value}: tunppp writes no pid file`, hint: 'run it under systemd (docs/operations.md), which tracks the process itself' });
        break;
      case 'vrf':
        // pptpd binds its TCP and GRE sockets to the VRF device; tunppp's sockets take no device, so the line cannot be honoured here.
        throw new ConfigError('CONFIG_UNSUPPORTED', `vrf ${value}: tunppp does not bind its sockets to a VRF itself`, { file, line }, `remove the line and start tunppp inside the VRF: ip vrf exec ${value} tunppp serve … (every socket then belongs to ${value}, as with pptpd's vrf)`);
    }
  }
  return conf;
}

function exampleFor(key: string): string {
  switch (key) {
    case 'localip': return 'localip 192.168.0.1';
    case 'remoteip': return 'remoteip 192.168.0.234-238,192.168.0.245';
    case 'option': return 'option /etc/ppp/pptpd-options';
    case 'listen': return 'listen 203.0.113.5';
    case 'connections': return 'connections 100';
    default: return `${key} VALUE`;
  }
}
