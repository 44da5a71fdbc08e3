/**
 * pppd options files (`/etc/ppp/pptpd-options`, `options.pptpd`,
 * `options.xl2tpd`): words as pppd reads them (words.ts), each option taking a
 * fixed number of arguments. Later settings override earlier ones, as in pppd;
 * `ms-dns` and `ms-wins` accumulate (the first two are used).
 *
 * Three kinds of options:
 *  - applied: the ones that map onto tunppp's Config (auth protocols, MPPE,
 *    DNS/WINS, MTU/MRU, LCP echo, idle, proxyarp, IPv6, name, debug);
 *  - known but ignored: pppd/tty/kernel settings that mean nothing on a TUN
 *    device (`lock`, `nobsdcomp`, `novj`, `nologfd`, ...) — listed, not warned;
 *  - unknown: kept with their same-line arguments and warned about, never fatal
 *    (plugin options such as `radius-config-file` land here).
 *
 * Note on `refuse-*`: in pppd these control how pppd authenticates *itself* to
 * the peer, which a server never does; people write them meaning "do not let
 * clients use X". tunppp reads them that way (it removes X from what the
 * server accepts), which is never less strict than pppd.
 */
import { ConfigError } from '../core/errors.js';
import { isIpv4 } from './ipv4.js';
import type { Located } from './pptpd-conf.js';
import type { ConfigWarning } from './warnings.js';
import { readWords, type Word } from './words.js';

/** PPP authentication protocols, weakest last. */
export type AuthProto = 'mschap-v2' | 'mschap' | 'chap' | 'pap' | 'eap';

/** An option tunppp read but does not use. */
export interface OtherOption {
  option: string;
  args: string[];
  line: number;
}

/** MPPE settings as written. */
export interface MppeOptions {
  /** require-mppe*, `mppe required` → require; nomppe / noccp → refuse. */
  mode?: Located<'require' | 'refuse'>;
  /** Key lengths explicitly allowed (true) or refused (false); unset = default. */
  bits40?: boolean;
  bits56?: boolean;
  bits128?: boolean;
  /** mppe-stateful → true; nomppe-stateful / `mppe stateless` → false. */
  stateful?: Located<boolean>;
}

/** A parsed pppd options file. */
export interface PppOptions {
  file: string;
  /** `name NAME`: our name, the server column of chap-secrets. */
  name?: Located<string>;
  /** `auth` → true, `noauth` → false. */
  auth?: Located<boolean>;
  /** require-X options, by protocol, with their line. */
  require: Map<AuthProto, number>;
  /** refuse-X options, by protocol, with their line. */
  refuse: Map<AuthProto, number>;
  mppe: MppeOptions;
  msDns: Located<string>[];
  msWins: Located<string>[];
  proxyarp?: Located<boolean>;
  /** `mtu N` / `mru N`: LCP values. */
  mtu?: Located<number>;
  mru?: Located<number>;
  lcpEchoInterval?: Located<number>;
  lcpEchoFailure?: Located<number>;
  /** `idle N` seconds. */
  idle?: Located<number>;
  maxfail?: Located<number>;
  /** `+ipv6` / `ipv6 LOCAL,REMOTE` → enabled; `-ipv6`/`noipv6` → disabled. */
  ipv6?: Located<{ enabled: boolean; localId?: string; remoteId?: string }>;
  /** `LOCAL:REMOTE` address pair. */
  addresses?: Located<{ local?: string; remote?: string }>;
  /** noaccomp / nopcomp seen. */
  noAccomp: boolean;
  noPcomp: boolean;
  debug: boolean;
  dump: boolean;
  plugins: Located<string>[];
  logfile?: Located<string>;
  /** Known pppd options that do nothing in tunppp. */
  ignored: OtherOption[];
  /** Options tunppp does not know (kept with their same-line arguments). */
  unknown: OtherOption[];
  warnings: ConfigWarning[];
}

type Handler = (o: PppOptions, args: Word[], at: { file: string; line: number; option: string }) => void;

const AUTH_OPTS: Readonly<Record<string, AuthProto>> = {
  pap: 'pap', chap: 'chap', mschap: 'mschap', 'mschap-v2': 'mschap-v2', eap: 'eap',
};

function num(w: Word, at: { file: string; line: number; option: string }, min: number, max: number, example: number): number {
  const t = w.text;
  const v = /^0x[0-9a-f]+$/i.test(t) ? parseInt(t, 16) : /^\d+$/.test(t) ? Number(t) : NaN;
  if (!Number.isFinite(v) || v < min || v > max) {
    throw new ConfigError('CONFIG_VALUE', `invalid numeric parameter '${t}' for '${at.option}' (${min}..${max})`, { file: at.file, line: w.line },
      `write e.g. ${at.option} ${example}`);
  }
  return v;
}

function ipArg(w: Word, at: { file: string; option: string }): string {
  if (!isIpv4(w.text)) {
    throw new ConfigError('CONFIG_VALUE', `'${at.option}' needs an IPv4 address, got '${w.text}'`, { file: at.file, line: w.line },
      `write e.g. ${at.option} ${at.option === 'ms-wins' ? '192.168.0.2' : '1.1.1.1'}`);
  }
  return w.text;
}

/** Options that take arguments and that tunppp applies. */
const APPLIED: Readonly<Record<string, { args: number; run: Handler }>> = {
  name: { args: 1, run: (o, [a], at) => { o.name = { value: a!.text, line: at.line }; } },
  auth: { args: 0, run: (o, _a, at) => { o.auth = { value: true, line: at.line }; } },
  noauth: { args: 0, run: (o, _a, at) => { o.auth = { value: false, line: at.line }; } },
  'ms-dns': { args: 1, run: (o, [a], at) => { o.msDns.push({ value: ipArg(a!, at), line: at.line }); } },
  'ms-wins': { args: 1, run: (o, [a], at) => { o.msWins.push({ value: ipArg(a!, at), line: at.line }); } },
  proxyarp: { args: 0, run: (o, _a, at) => { o.proxyarp = { value: true, line: at.line }; } },
  noproxyarp: { args: 0, run: (o, _a, at) => { o.proxyarp = { value: false, line: at.line }; } },
  mtu: { args: 1, run: (o, [a], at) => { o.mtu = { value: num(a!, at, 128, 16384, 1400), line: at.line }; } },
  mru: { args: 1, run: (o, [a], at) => { o.mru = { value: num(a!, at, 128, 16384, 1400), line: at.line }; } },
  'lcp-echo-interval': { args: 1, run: (o, [a], at) => { o.lcpEchoInterval = { value: num(a!, at, 0, 86400, 30), line: at.line }; } },
  'lcp-echo-failure': { args: 1, run: (o, [a], at) => { o.lcpEchoFailure = { value: num(a!, at, 0, 1000, 4), line: at.line }; } },
  idle: { args: 1, run: (o, [a], at) => { o.idle = { value: num(a!, at, 0, 31536000, 600), line: at.line }; } },
  maxfail: { args: 1, run: (o, [a], at) => { o.maxfail = { value: num(a!, at, 0, 1000, 10), line: at.line }; } },
  debug: { args: 0, run: (o) => { o.debug = true; } },
  dump: { args: 0, run: (o) => { o.dump = true; } },
  plugin: { args: 1, run: (o, [a], at) => { o.plugins.push({ value: a!.text, line: at.line }); } },
  logfile: { args: 1, run: (o, [a], at) => { o.logfile = { value: a!.text, line: at.line }; } },
  noaccomp: { args: 0, run: (o) => { o.noAccomp = true; } },
  nopcomp: { args: 0, run: (o) => { o.noPcomp = true; } },
  '+ipv6': { args: 0, run: (o, _a, at) => { o.ipv6 = { value: { enabled: true }, line: at.line }; } },
  '-ipv6': { args: 0, run: (o, _a, at) => { o.ipv6 = { value: { enabled: false }, line: at.line }; } },
  noipv6: { args: 0, run: (o, _a, at) => { o.ipv6 = { value: { enabled: false }, line: at.line }; } },
  ipv6: {
    args: 1,
    run: (o, [a], at) => {
      // ipv6 <local_interface_identifier>,<remote_interface_identifier>; either may be empty.
      const t = a!.text;
      if (!t.includes(',')) {
        throw new ConfigError('CONFIG_VALUE', `'ipv6' takes LOCAL,REMOTE interface identifiers, got '${t}'`, { file: at.file, line: a!.line },
          'write "ipv6 ," for default identifiers, or "+ipv6"');
      }
      const [l, r] = t.split(',');
      const v: { enabled: boolean; localId?: string; remoteId?: string } = { enabled: true };
      if (l) v.localId = l;
      if (r) v.remoteId = r;
      o.ipv6 = { value: v, line: at.line };
    },
  },
  'require-mppe': { args: 0, run: (o, _a, at) => { o.mppe.mode = { value: 'require', line: at.line }; } },
  'require-mppe-40': { args: 0, run: (o, _a, at) => { o.mppe.mode = { value: 'require', line: at.line }; o.mppe.bits40 = true; o.mppe.bits128 ??= false; } },
  'require-mppe-128': { args: 0, run: (o, _a, at) => { o.mppe.mode = { value: 'require', line: at.line }; o.mppe.bits128 = true; o.mppe.bits40 ??= false; } },
  nomppe: { args: 0, run: (o, _a, at) => { o.mppe.mode = { value: 'refuse', line: at.line }; } },
  noccp: { args: 0, run: (o, _a, at) => { o.mppe.mode = { value: 'refuse', line: at.line }; } },
  'nomppe-40': { args: 0, run: (o) => { o.mppe.bits40 = false; } },
  'nomppe-56': { args: 0, run: (o) => { o.mppe.bits56 = false; } },
  'nomppe-128': { args: 0, run: (o) => { o.mppe.bits128 = false; } },
  'nomppe-stateful': { args: 0, run: (o, _a, at) => { o.mppe.stateful = { value: false, line: at.line }; } },
  'mppe-stateful': { args: 0, run: (o, _a, at) => { o.mppe.stateful = { value: true, line: at.line }; } },
  mppe: {
    args: 1,
    run: (o, [a], at) => {
      // The MPPE-MPPC patch syntax: mppe required,no40,no56,stateless
      for (const tok of a!.text.split(',')) {
        switch (tok.trim().toLowerCase()) {
          case 'required': case 'require': o.mppe.mode = { value: 'require', line: at.line }; break;
          case 'no40': o.mppe.bits40 = false; break;
          case 'no56': o.mppe.bits56 = false; break;
          case 'no128': o.mppe.bits128 = false; break;
          case '40': o.mppe.bits40 = true; break;
          case '56': o.mppe.bits56 = true; break;
          case '128': o.mppe.bits128 = true; break;
          case 'stateless': o.mppe.stateful = { value: false, line: at.line }; break;
          case 'stateful': o.mppe.stateful = { value: true, line: at.line }; break;
          default:
            throw new ConfigError('CONFIG_VALUE', `unknown mppe flag '${tok}' in '${a!.text}'`, { file: at.file, line: a!.line },
              'use required, stateless, stateful, no40, no56, no128, e.g. mppe required,no40,no56,stateless');
        }
      }
    },
  },
};

for (const [word, proto] of Object.entries(AUTH_OPTS)) {
  (APPLIED as Record<string, { args: number; run: Handler }>)[`require-${word}`] = { args: 0, run: (o, _a, at) => { o.require.set(proto, at.line); } };
  (APPLIED as Record<string, { args: number; run: Handler }>)[`refuse-${word}`] = { args: 0, run: (o, _a, at) => { o.refuse.set(proto, at.line); } };
}
Object.assign(APPLIED, {
  '+pap': APPLIED['require-pap'], '-pap': APPLIED['refuse-pap'],
  '+chap': APPLIED['require-chap'], '-chap': APPLIED['refuse-chap'],
});

/** pppd options that have no meaning for tunppp on a TUN device, with their argument count. */
export const IGNORED_PPP_OPTIONS: Readonly<Record<string, number>> = {
  lock: 0, nolock: 0, nobsdcomp: 0, bsdcomp: 1, nodeflate: 0, deflate: 1, novj: 0, novjccomp: 0, vj: 0,
  'vj-max-slots': 1, nologfd: 0, logfd: 1, nodefaultroute: 0, defaultroute: 0, replacedefaultroute: 0,
  noipdefault: 0, 'hide-password': 0, 'show-password': 0, crtscts: 0, nocrtscts: 0, local: 0, modem: 0,
  asyncmap: 1, 'default-asyncmap': 0, 'default-mru': 0, passive: 0, silent: 0, persist: 0, nopersist: 0,
  holdoff: 1, 'connect-delay': 1, 'lcp-restart': 1, 'lcp-max-terminate': 1, 'lcp-max-configure': 1,
  'lcp-max-failure': 1, 'ipcp-accept-local': 0, 'ipcp-accept-remote': 0, 'ipcp-restart': 1,
  'ipcp-max-configure': 1, 'ipcp-max-failure': 1, 'ipcp-max-terminate': 1, 'chap-restart': 1,
  'chap-max-challenge': 1, 'chap-interval': 1, 'pap-restart': 1, 'pap-max-authreq': 1, 'pap-timeout': 1,
  usepeerdns: 0, multilink: 0, nomultilink: 0, mp: 0, nomp: 0, ktune: 0, noktune: 0, kdebug: 1,
  linkname: 1, ipparam: 1, remotename: 1, user: 1, password: 1, updetach: 0, nodetach: 0, detach: 0,
  noipx: 0, netmask: 1, 'lcp-echo-adaptive': 0, 'receive-all': 0, 'noendpoint': 0, 'nomagic': 0,
  unit: 1, ifname: 1, noip: 0,
};

/** Parses a pppd options file. Unknown options are warnings; bad values throw `ConfigError`. */
export function parsePppOptions(text: string, file: string): PppOptions {
  const o: PppOptions = {
    file, require: new Map(), refuse: new Map(), mppe: {}, msDns: [], msWins: [], noAccomp: false, noPcomp: false,
    debug: false, dump: false, plugins: [], ignored: [], unknown: [], warnings: [],
  };
  const words = readWords(text, file);
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const option = w.text;
    const at = { file, line: w.line, option };
    // Own keys only: an option word like 'toString' must not find Object.prototype members.
    const applied = Object.hasOwn(APPLIED, option) ? APPLIED[option] : undefined;
    const take = (n: number): Word[] => {
      const args = words.slice(i + 1, i + 1 + n);
      if (args.length < n) {
        throw new ConfigError('CONFIG_SYNTAX', `option '${option}' requires ${n === 1 ? 'an argument' : `${n} arguments`}`, { file, line: w.line },
          `write the value after it on the same line, e.g. ${option} VALUE`);
      }
      i += n;
      return args;
    };
    if (applied) {
      applied.run(o, take(applied.args), at);
      continue;
    }
    const ignoredArgs = Object.hasOwn(IGNORED_PPP_OPTIONS, option) ? IGNORED_PPP_OPTIONS[option] : undefined;
    if (ignoredArgs !== undefined) {
      o.ignored.push({ option, args: take(ignoredArgs).map((a) => a.text), line: w.line });
      continue;
    }
    if (/^[^:\s]*:[^:\s]*$/.test(option) && option.length > 1 && !option.startsWith('/')) {
      // LOCAL:REMOTE address pair.
      const [l, r] = option.split(':');
      for (const part of [l, r]) {
        if (part && !isIpv4(part)) {
          throw new ConfigError('CONFIG_VALUE', `bad address '${part}' in '${option}'`, { file, line: w.line }, 'write LOCAL:REMOTE as dotted quads, e.g. 192.168.0.1:192.168.0.10');
        }
      }
      const v: { local?: string; remote?: string } = {};
      if (l) v.local = l;
      if (r) v.remote = r;
      o.addresses = { value: v, line: w.line };
      continue;
    }
    // Unknown: keep it with the rest of its line as arguments.
    const args: string[] = [];
    while (i + 1 < words.length && !words[i + 1]!.startsLine) args.push(words[++i]!.text);
    o.unknown.push({ option, args, line: w.line });
    o.warnings.push({ file, line: w.line, message: `unknown pppd option '${option}' kept but not used`, hint: suggest(option) });
  }
  if (o.msDns.length > 2) o.warnings.push({ file, line: o.msDns[2]!.line, message: `${o.msDns.length} ms-dns lines; clients get the first two`, hint: 'keep two ms-dns lines' });
  if (o.msWins.length > 2) o.warnings.push({ file, line: o.msWins[2]!.line, message: `${o.msWins.length} ms-wins lines; clients get the first two`, hint: 'keep two ms-wins lines' });
  for (const [proto, line] of o.require) {
    if (o.refuse.has(proto)) {
      throw new ConfigError('CONFIG_CONFLICT', `require-${proto} and refuse-${proto} both given`, { file, line },
        `keep one of them (refuse-${proto} is on line ${o.refuse.get(proto)})`);
    }
  }
  if (o.mppe.mode?.value === 'require' && o.mppe.bits40 === false && o.mppe.bits56 !== true && o.mppe.bits128 === false) {
    throw new ConfigError('CONFIG_CONFLICT', 'MPPE is required but every key length is refused', { file, line: o.mppe.mode.line }, 'allow 128-bit keys: require-mppe-128');
  }
  if (o.mppe.mode?.value === 'require' && o.require.size > 0 && !o.require.has('mschap-v2') && !o.require.has('mschap') && !o.require.has('eap')) {
    o.warnings.push({ file, line: o.mppe.mode.line, message: 'MPPE is required but no MS-CHAP protocol is allowed; MPPE keys come from MS-CHAP', hint: 'add require-mschap-v2' });
  }
  return o;
}

function suggest(option: string): string {
  const all = [...Object.keys(APPLIED), ...Object.keys(IGNORED_PPP_OPTIONS)];
  const close = all.filter((k) => editDistance(k, option) <= 2).slice(0, 3);
  return close.length ? `did you mean ${close.join(' or ')}?` : 'plugin options are passed to pppd plugins, which tunppp does not load';
}

function editDistance(a: string, b: string): number {
  const d: number[] = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length]!;
}

/** The auth protocols a server with these options accepts, strongest first. */
export function acceptedAuthProtocols(o: PppOptions): Exclude<AuthProto, 'eap'>[] {
  const order: Exclude<AuthProto, 'eap'>[] = ['mschap-v2', 'mschap', 'chap', 'pap'];
  const base = o.require.size > 0 ? order.filter((p) => o.require.has(p)) : order;
  return base.filter((p) => !o.refuse.has(p));
}
