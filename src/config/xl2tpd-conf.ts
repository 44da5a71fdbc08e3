/**
 * `/etc/xl2tpd/xl2tpd.conf` as xl2tpd reads it (file.c `parse_config`):
 * sections `[global]`, `[lns NAME]`, `[lac NAME]` (`[lns default]` holds the
 * defaults for later LNS sections); `key = value` lines; `;` starts a comment
 * anywhere. Keys are case-insensitive and may contain spaces (`ip range`).
 * Booleans are yes/no/y/n/true/false. `ip range` and `no ip range` may repeat;
 * ranges are `a.b.c.d - e.f.g.h`, the short `a.b.c.d-h`, or one address.
 *
 * xl2tpd stops on an unknown key or section, and so do we (with a hint). A
 * line starting with `#` is accepted as a comment with a warning (xl2tpd itself
 * rejects it as "no '=' in data").
 */
import { ConfigError } from '../core/errors.js';
import { formatRange, isIpv4, parseRangeSpec, type Ipv4Range } from './ipv4.js';
import type { LeadArguments, OptionNote } from './ppp-options.js';
import type { Located } from './pptpd-conf.js';
import type { ConfigWarning } from './warnings.js';

/** An `ip range` (allow) or `no ip range` (deny) line. */
export interface Xl2tpdRange {
  range: Ipv4Range;
  allow: boolean;
  line: number;
}

/** `[global]`. */
export interface Xl2tpdGlobal {
  listenAddr?: Located<string>;
  port?: Located<number>;
  authFile?: Located<string>;
  ipsecSaref?: Located<boolean>;
  accessControl?: Located<boolean>;
  /** Other known keys, raw. */
  other: Record<string, Located<string>>;
}

/** `[lns NAME]`. */
export interface Xl2tpdLns {
  name: string;
  line: number;
  ipRanges: Xl2tpdRange[];
  localIp?: Located<string>;
  localIpRange?: Xl2tpdRange[];
  assignIp?: Located<boolean>;
  requireChap?: Located<boolean>;
  refuseChap?: Located<boolean>;
  requirePap?: Located<boolean>;
  refusePap?: Located<boolean>;
  requireAuthentication?: Located<boolean>;
  refuseAuthentication?: Located<boolean>;
  /** `name`: the PPP auth name (server column of chap-secrets). */
  authName?: Located<string>;
  hostname?: Located<string>;
  pppDebug?: Located<boolean>;
  pppoptfile?: Located<string>;
  lengthBit?: Located<boolean>;
  hiddenBit?: Located<boolean>;
  flowBit?: Located<boolean>;
  exclusive?: Located<boolean>;
  challenge?: Located<boolean>;
  lacs: Xl2tpdRange[];
  other: Record<string, Located<string>>;
}

/** `[lac NAME]`. */
export interface Xl2tpdLac {
  name: string;
  line: number;
  lns: { host: string; port: number; line: number }[];
  redial?: Located<boolean>;
  redialTimeout?: Located<number>;
  maxRedials?: Located<number>;
  pppoptfile?: Located<string>;
  lengthBit?: Located<boolean>;
  autodial?: Located<boolean>;
  other: Record<string, Located<string>>;
}

/** The parsed file. */
export interface Xl2tpdConf {
  file: string;
  global: Xl2tpdGlobal;
  lns: Xl2tpdLns[];
  lac: Xl2tpdLac[];
  warnings: ConfigWarning[];
}

type Section = 'global' | 'lns' | 'lac';

/** Every key xl2tpd knows, with the sections it is valid in and its type. */
const KEYS: Readonly<Record<string, { in: Section[]; type: 'bool' | 'int' | 'ip' | 'string' | 'range' | 'lns' }>> = {
  'listen-addr': { in: ['global'], type: 'ip' },
  port: { in: ['global'], type: 'int' },
  'saref refinfo': { in: ['global'], type: 'int' },
  'rand source': { in: ['global'], type: 'string' },
  'auth file': { in: ['global'], type: 'string' },
  'access control': { in: ['global'], type: 'bool' },
  'force userspace': { in: ['global'], type: 'bool' },
  'debug avp': { in: ['global'], type: 'bool' },
  'debug network': { in: ['global'], type: 'bool' },
  'debug packet': { in: ['global'], type: 'bool' },
  'debug tunnel': { in: ['global'], type: 'bool' },
  'debug state': { in: ['global'], type: 'bool' },
  'ipsec saref': { in: ['global'], type: 'bool' },
  'max retries': { in: ['global'], type: 'int' },
  exclusive: { in: ['lns'], type: 'bool' },
  autodial: { in: ['lac'], type: 'bool' },
  redial: { in: ['lac'], type: 'bool' },
  'redial timeout': { in: ['lac'], type: 'int' },
  lns: { in: ['lac'], type: 'lns' },
  'max redials': { in: ['lac'], type: 'int' },
  'ip range': { in: ['lns'], type: 'range' },
  'no ip range': { in: ['lns'], type: 'range' },
  lac: { in: ['lns'], type: 'range' },
  'no lac': { in: ['lns'], type: 'range' },
  'assign ip': { in: ['lns'], type: 'bool' },
  'local ip': { in: ['lns', 'lac'], type: 'ip' },
  'local ip range': { in: ['lns'], type: 'range' },
  'remote ip': { in: ['lac'], type: 'ip' },
  defaultroute: { in: ['lac'], type: 'bool' },
  'length bit': { in: ['lns', 'lac'], type: 'bool' },
  'hidden bit': { in: ['lns', 'lac'], type: 'bool' },
  'require pap': { in: ['lns', 'lac'], type: 'bool' },
  'require chap': { in: ['lns', 'lac'], type: 'bool' },
  'require authentication': { in: ['lns', 'lac'], type: 'bool' },
  'require auth': { in: ['lns', 'lac'], type: 'bool' },
  'refuse pap': { in: ['lns', 'lac'], type: 'bool' },
  'refuse chap': { in: ['lns', 'lac'], type: 'bool' },
  'refuse authentication': { in: ['lns', 'lac'], type: 'bool' },
  'refuse auth': { in: ['lns', 'lac'], type: 'bool' },
  'unix authentication': { in: ['lns'], type: 'bool' },
  'unix auth': { in: ['lns'], type: 'bool' },
  name: { in: ['lns', 'lac'], type: 'string' },
  hostname: { in: ['lns', 'lac'], type: 'string' },
  'ppp debug': { in: ['lns', 'lac'], type: 'bool' },
  'pass peer': { in: ['lns', 'lac'], type: 'bool' },
  pppoptfile: { in: ['lns', 'lac'], type: 'string' },
  'call rws': { in: ['lns', 'lac'], type: 'int' },
  'tunnel rws': { in: ['lns', 'lac'], type: 'int' },
  'flow bit': { in: ['lns', 'lac'], type: 'bool' },
  challenge: { in: ['lns', 'lac'], type: 'bool' },
  'tx bps': { in: ['lns', 'lac'], type: 'int' },
  'rx bps': { in: ['lns', 'lac'], type: 'int' },
  bps: { in: ['lns', 'lac'], type: 'int' },
};

function yesno(v: string): boolean | undefined {
  const t = v.toLowerCase();
  if (t === 'yes' || t === 'y' || t === 'true') return true;
  if (t === 'no' || t === 'n' || t === 'false') return false;
  return undefined;
}

function closest(key: string, section: Section): string {
  const valid = Object.entries(KEYS).filter(([, k]) => k.in.includes(section)).map(([n]) => n);
  const near = valid.filter((k) => k.replace(/[\s-]/g, '') === key.replace(/[\s-]/g, '') || k.startsWith(key) || key.startsWith(k));
  return near.length ? `did you mean '${near[0]}'?` : `valid keys in [${section}]: ${valid.join(', ')}`;
}

/** Parses xl2tpd.conf. Throws `ConfigError` with file:line and a fix. */
export function parseXl2tpdConf(text: string, file: string): Xl2tpdConf {
  const conf: Xl2tpdConf = { file, global: { other: Object.create(null) as Record<string, Located<string>> }, lns: [], lac: [], warnings: [] };
  let section: Section | undefined;
  let lns: Xl2tpdLns | undefined;
  let lac: Xl2tpdLac | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    let s = lines[i]!;
    const semi = s.indexOf(';');
    if (semi >= 0) s = s.slice(0, semi);
    s = s.trim();
    if (s === '') continue;
    if (s.startsWith('#')) {
      conf.warnings.push({ file, line, message: "'#' comment: xl2tpd only knows ';' comments and rejects this line", hint: 'start comments with ;' });
      continue;
    }
    if (s.startsWith('[')) {
      const close = s.indexOf(']');
      if (close < 0) throw new ConfigError('CONFIG_SYNTAX', 'no closing bracket', { file, line }, 'write the section as [lns default] or [global]');
      const inner = s.slice(1, close).trim();
      const sp = inner.indexOf(' ');
      const kind = (sp < 0 ? inner : inner.slice(0, sp)).toLowerCase();
      const name = sp < 0 ? '' : inner.slice(sp + 1).trim();
      if (kind === 'global') {
        section = 'global';
      } else if (kind === 'lns' || kind === 'lac') {
        section = kind;
        const list = kind === 'lns' ? conf.lns : conf.lac;
        const existing = (list as { name: string }[]).find((x) => x.name.toLowerCase() === name.toLowerCase());
        if (kind === 'lns') {
          lns = (existing as Xl2tpdLns | undefined) ?? { name, line, ipRanges: [], lacs: [], other: Object.create(null) as Record<string, Located<string>> };
          if (!existing) conf.lns.push(lns);
        } else {
          lac = (existing as Xl2tpdLac | undefined) ?? { name, line, lns: [], other: Object.create(null) as Record<string, Located<string>> };
          if (!existing) conf.lac.push(lac);
        }
      } else {
        throw new ConfigError('CONFIG_SYNTAX', `unknown section '[${inner}]'`, { file, line }, 'sections are [global], [lns NAME] and [lac NAME]');
      }
      continue;
    }
    if (!section) throw new ConfigError('CONFIG_SYNTAX', `'${s}' is outside any section`, { file, line }, 'put it under [global] or [lns default]');
    const eq = s.indexOf('=');
    if (eq < 0) throw new ConfigError('CONFIG_SYNTAX', `no '=' in '${s}'`, { file, line }, 'write key = value, e.g. ip range = 192.168.1.128-192.168.1.254');
    const key = s.slice(0, eq).trim().toLowerCase().replace(/\s+/g, ' ');
    const value = s.slice(eq + 1).trim();
    const spec = Object.hasOwn(KEYS, key) ? KEYS[key] : undefined;
    if (!spec) throw new ConfigError('CONFIG_SYNTAX', `unknown key '${key}' in [${section}]`, { file, line }, closest(key, section));
    if (!spec.in.includes(section)) {
      throw new ConfigError('CONFIG_SYNTAX', `'${key}' is not valid in [${section}]`, { file, line }, `move it to [${spec.in.join('] or [')}]`);
    }
    let b: boolean | undefined;
    let n: number | undefined;
    let range: Ipv4Range | undefined;
    switch (spec.type) {
      case 'bool':
        b = yesno(value);
        if (b === undefined) throw new ConfigError('CONFIG_VALUE', `${key} must be 'yes' or 'no', got '${value}'`, { file, line }, `write ${key} = yes`);
        break;
      case 'int':
        if (!/^\d+$/.test(value)) throw new ConfigError('CONFIG_VALUE', `${key} must be a number, got '${value}'`, { file, line }, `write e.g. ${key} = ${key === 'port' ? 1701 : 1}`);
        n = Number(value);
        if (key === 'port' && (n < 1 || n > 65535)) throw new ConfigError('CONFIG_VALUE', `port ${n} is out of range 1..65535`, { file, line }, 'L2TP uses port = 1701');
        break;
      case 'ip':
        if (!isIpv4(value)) throw new ConfigError('CONFIG_VALUE', `${key} must be an IPv4 address, got '${value}'`, { file, line }, `write e.g. ${key} = 192.168.1.99 (tunppp does not resolve host names here)`);
        break;
      case 'range': {
        const r = parseRangeSpec(value);
        // xl2tpd resolves host names here (gethostbyname, once at start); tunppp reads addresses only.
        const named = /[a-z]/i.test(value) ? ' (xl2tpd looks host names up once at start; tunppp takes addresses only: write the address the name has)' : '';
        if (typeof r === 'string') throw new ConfigError('CONFIG_VALUE', `${key}: ${r}`, { file, line }, `write ${key} = 192.168.1.128-192.168.1.254${named}`);
        range = r;
        break;
      }
      default:
        if (value === '') throw new ConfigError('CONFIG_VALUE', `${key} needs a value`, { file, line }, `write ${key} = VALUE`);
    }
    const loc = <T>(v: T): Located<T> => ({ value: v, line });
    if (section === 'global') {
      const g = conf.global;
      if (key === 'listen-addr') g.listenAddr = loc(value);
      else if (key === 'port') g.port = loc(n!);
      else if (key === 'auth file') g.authFile = loc(value);
      else if (key === 'ipsec saref') g.ipsecSaref = loc(b!);
      else if (key === 'access control') g.accessControl = loc(b!);
      else g.other[key] = loc(value);
    } else if (section === 'lns') {
      const l = lns!;
      switch (key) {
        case 'ip range': l.ipRanges.push({ range: range!, allow: true, line }); break;
        case 'no ip range': l.ipRanges.push({ range: range!, allow: false, line }); break;
        case 'lac': l.lacs.push({ range: range!, allow: true, line }); break;
        case 'no lac': l.lacs.push({ range: range!, allow: false, line }); break;
        case 'local ip':
          if (l.localIpRange) throw new ConfigError('CONFIG_CONFLICT', "'local ip range' and 'local ip' are mutually exclusive", { file, line }, 'keep one of them');
          l.localIp = loc(value);
          break;
        case 'local ip range':
          if (l.localIp) throw new ConfigError('CONFIG_CONFLICT', "'local ip range' and 'local ip' are mutually exclusive", { file, line }, 'keep one of them');
          (l.localIpRange ??= []).push({ range: range!, allow: true, line });
          break;
        case 'assign ip': l.assignIp = loc(b!); break;
        case 'require chap': l.requireChap = loc(b!); break;
        case 'refuse chap': l.refuseChap = loc(b!); break;
        case 'require pap': l.requirePap = loc(b!); break;
        case 'refuse pap': l.refusePap = loc(b!); break;
        case 'require authentication': case 'require auth': l.requireAuthentication = loc(b!); break;
        case 'refuse authentication': case 'refuse auth': l.refuseAuthentication = loc(b!); break;
        case 'name': l.authName = loc(value); break;
        case 'hostname': l.hostname = loc(value); break;
        case 'ppp debug': l.pppDebug = loc(b!); break;
        case 'pppoptfile': l.pppoptfile = loc(value); break;
        case 'length bit': l.lengthBit = loc(b!); break;
        case 'hidden bit': l.hiddenBit = loc(b!); break;
        case 'flow bit': l.flowBit = loc(b!); break;
        case 'exclusive': l.exclusive = loc(b!); break;
        case 'challenge': l.challenge = loc(b!); break;
        case 'unix authentication': case 'unix auth':
          // xl2tpd passes `login` to pppd: PAP checked against /etc/passwd. MS-CHAP needs the cleartext password, which /etc/passwd does not hold.
          if (b) throw new ConfigError('CONFIG_UNSUPPORTED', `${key} = yes (PPP users from /etc/passwd, pppd's login option) is not supported: tunppp authenticates with MS-CHAPv2, which needs each user's password in cleartext, and /etc/passwd holds only hashes`, { file, line }, `remove the line and put the users in chap-secrets (user * password *)`);
          l.other[key] = loc(value);
          break;
        default: l.other[key] = loc(value);
      }
    } else {
      const c = lac!;
      switch (key) {
        case 'lns': {
          const [host, port] = value.split(':');
          const p = port === undefined ? 1701 : Number(port);
          if (!host || !Number.isInteger(p) || p < 1 || p > 65535) throw new ConfigError('CONFIG_VALUE', `lns '${value}' is not HOST[:PORT]`, { file, line }, 'write lns = vpn.example.com or lns = 203.0.113.5:1701');
          c.lns.push({ host, port: p, line });
          break;
        }
        case 'redial': c.redial = loc(b!); break;
        case 'redial timeout': c.redialTimeout = loc(n!); break;
        case 'max redials': c.maxRedials = loc(n!); break;
        case 'pppoptfile': c.pppoptfile = loc(value); break;
        case 'length bit': c.lengthBit = loc(b!); break;
        case 'autodial': c.autodial = loc(b!); break;
        default: c.other[key] = loc(value);
      }
    }
  }
  const defaultHasRange = conf.lns.some((l) => l.name.toLowerCase() === 'default' && l.ipRanges.some((r) => r.allow));
  for (const l of conf.lns) {
    const assign = l.assignIp?.value ?? true;
    if (assign && !l.ipRanges.some((r) => r.allow) && !defaultHasRange) {
      throw new ConfigError('CONFIG_MISSING', `[lns ${l.name}] assigns addresses but has no 'ip range'`, { file, line: l.line },
        "add ip range = 192.168.1.128-192.168.1.254, or assign ip = no");
    }
  }
  return conf;
}

/**
 * listen.l2tp.access for the LNS tunppp serves: its `lac`/`no lac` rules,
 * `access control` from [global], and `exclusive` (config/lac-access.ts).
 * A named LNS without [lns default] only takes LACs its rules allow (xl2tpd
 * falls back to the default LNS, and there is none). Undefined when nothing
 * restricts access. Differences from xl2tpd go into `warnings`.
 */
export function lnsAccess(conf: Xl2tpdConf, l: Xl2tpdLns, warnings: ConfigWarning[]): { control: boolean; lacs: { range: string; allow: boolean }[]; exclusive: boolean } | undefined {
  const named = l.name.toLowerCase() !== 'default';
  const control = conf.global.accessControl?.value === true || named;
  const exclusive = l.exclusive?.value === true;
  const lacs = l.lacs.map((r) => ({ range: formatRange(r.range), allow: r.allow }));
  if (named && !conf.global.accessControl?.value) {
    warnings.push({ file: conf.file, line: l.line, message: `[lns ${l.name}] is not [lns default]: xl2tpd hands it only to LACs its 'lac =' lines allow, so tunppp refuses the others too`, hint: lacs.some((r) => r.allow) ? 'rename it [lns default] to take every LAC' : "add lac = 0.0.0.0-255.255.255.255, or rename it [lns default], or no LAC can connect" });
  }
  if (exclusive) {
    warnings.push({ file: conf.file, line: l.exclusive!.line, message: 'exclusive = yes: tunppp allows one tunnel per LAC address, as xl2tpd.conf(5) says (xl2tpd 1.3 reads the option but never checks it): clients behind one NAT address cannot connect at the same time', hint: 'write exclusive = no if several clients share an address' });
  }
  if (!control && lacs.length) {
    warnings.push({ file: conf.file, line: l.lacs[0]!.line, message: "'lac'/'no lac' lines without access control = yes only choose among LNS sections in xl2tpd; with one LNS every LAC is taken", hint: 'add access control = yes to [global] to refuse the others' });
  }
  return control || exclusive ? { control, lacs, exclusive } : undefined;
}

/** The allowed addresses of an LNS: `ip range` lines minus `no ip range` lines. */
export function lnsRanges(l: Xl2tpdLns): Ipv4Range[] {
  let out: Ipv4Range[] = [];
  for (const r of l.ipRanges) {
    if (r.allow) out.push({ ...r.range });
    else out = subtract(out, r.range);
  }
  return out;
}

function subtract(ranges: Ipv4Range[], cut: Ipv4Range): Ipv4Range[] {
  const out: Ipv4Range[] = [];
  for (const r of ranges) {
    if (cut.end < r.start || cut.start > r.end) {
      out.push(r);
      continue;
    }
    if (cut.start > r.start) out.push({ start: r.start, end: cut.start - 1 });
    if (cut.end < r.end) out.push({ start: cut.end + 1, end: r.end });
  }
  return out;
}

/**
 * The pppd arguments xl2tpd builds for a call to this LNS (control.c, the
 * ICCN case), in its order, each with the xl2tpd.conf line that made it:
 * `refuse pap`/`refuse chap` → refuse-pap/refuse-chap (both when `refuse
 * authentication = yes`); with `require authentication = yes`, auth and then
 * require-pap/require-chap; `name` → name; `ppp debug` → debug; `pass peer`
 * → ipparam. pppd reads them before the `file` (pppoptfile) that follows, so
 * the options file overrides them. `notes`: the keys that pass nothing (and
 * why), for --explain and the serve log.
 */
export function xl2tpdPppArguments(conf: Xl2tpdConf, l: Xl2tpdLns): { lead: LeadArguments; notes: OptionNote[] } {
  const words: LeadArguments['words'] = [];
  const notes: OptionNote[] = [];
  const pass = (key: string, at: Located<unknown>, ...texts: string[]): void => {
    const via = `${key} = ${String(at.value === true ? 'yes' : at.value === false ? 'no' : at.value)}`;
    for (const text of texts) words.push({ text, line: at.line, startsLine: false, quoted: false, via });
  };
  const none = (key: string, at: Located<boolean> | undefined, detail: string): void => {
    if (at) notes.push({ file: conf.file, line: at.line, text: `${key} = ${at.value ? 'yes' : 'no'}`, verdict: 'not applicable', detail });
  };
  // authself: `refuse authentication = yes` passes both refusals, whatever refuse pap/chap say.
  if (l.refuseAuthentication?.value) {
    pass('refuse authentication', l.refuseAuthentication, 'refuse-pap', 'refuse-chap');
    none('refuse pap', l.refusePap, 'refuse authentication = yes already makes xl2tpd pass refuse-pap');
    none('refuse chap', l.refuseChap, 'refuse authentication = yes already makes xl2tpd pass refuse-chap');
  } else {
    if (l.refusePap?.value) pass('refuse pap', l.refusePap, 'refuse-pap');
    if (l.refuseChap?.value) pass('refuse chap', l.refuseChap, 'refuse-chap');
  }
  // authpeer: require pap/chap reach pppd only with require authentication = yes.
  if (l.requireAuthentication?.value) {
    pass('require authentication', l.requireAuthentication, 'auth');
    if (l.requirePap?.value) pass('require pap', l.requirePap, 'require-pap');
    if (l.requireChap?.value) pass('require chap', l.requireChap, 'require-chap');
  } else {
    if (l.requireAuthentication) {
      // xl2tpd passes no `auth`; pppd, started as root by xl2tpd, then requires none unless the options file asks for it.
      pass('require authentication', l.requireAuthentication, 'noauth');
    }
    const why = 'xl2tpd passes require-pap/require-chap to pppd only with require authentication = yes, so pppd never sees this line';
    if (l.requirePap?.value) none('require pap', l.requirePap, why);
    if (l.requireChap?.value) none('require chap', l.requireChap, why);
  }
  if (l.authName) pass('name', l.authName, 'name', l.authName.value);
  if (l.pppDebug?.value) pass('ppp debug', l.pppDebug, 'debug');
  const passPeer = l.other['pass peer'];
  if (passPeer && yesno(passPeer.value)) pass('pass peer', passPeer, 'ipparam', '<LAC address>');
  if (l.lengthBit?.value) {
    none('length bit', l.lengthBit, "tunppp sends L2TP data messages without the optional Length field (RFC 2661 §3.1 leaves it to the sender, and every LAC reads both forms); only the header's size differs from xl2tpd's, by 2 bytes");
  }
  return { lead: { file: conf.file, words }, notes };
}
