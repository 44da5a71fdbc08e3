/**
 * pppd options files (`/etc/ppp/pptpd-options`, `options.pptpd`,
 * `options.xl2tpd`): words as pppd reads them (words.ts), each option taking
 * the number of arguments pppd's own table gives it. Later settings override
 * earlier ones, as in pppd.
 *
 * What each of pppd's options does in tunppp is decided in one table,
 * pppd-option-table.ts: applied (a handler here), not applicable (accepted,
 * with a note saying why), or refused (a ConfigError with the reason). Like
 * pppd, an option that is in no table stops loading, with the nearest known
 * name; only the options of known pppd plugins are warnings.
 *
 * Note on `refuse-*`: in pppd these control how pppd authenticates *itself* to
 * the peer, which a server never does; people write them meaning "do not let
 * clients use X". tunppp reads them that way (it removes X from what the
 * server accepts), which is never less strict than pppd.
 */
import { ConfigError } from '../core/errors.js';
import { isIpv4 } from './ipv4.js';
import { lookupPppdOption, PLUGIN_OPTIONS, PPPD_OPTIONS, PATCHED_PPPD_OPTIONS, type PppdOption } from './pppd-option-table.js';
import type { Located } from './pptpd-conf.js';
import type { ConfigWarning } from './warnings.js';
import { readWords, type Word } from './words.js';

/** PPP authentication protocols, weakest last. */
export type AuthProto = 'mschap-v2' | 'mschap' | 'chap' | 'pap' | 'eap';

/** What happened to one option of the file, for `tunppp check --explain` and the corpus goldens. */
export interface OptionNote {
  file: string;
  line: number;
  /** The option as written, with its arguments. */
  text: string;
  verdict: 'applied' | 'not applicable' | 'plugin option (not used)';
  /** How it is applied, or why it does not apply. */
  detail: string;
}

/** MPPE settings as pppd keeps them. */
export interface MppeOptions {
  /**
   * pppd's `ccp_wantoptions.mppe` key lengths: MPPE is required with these
   * when non-empty and refused when empty (pppd's default is nomppe).
   */
  want: Set<40 | 128>;
  /** Line of the last option that changed `want`. */
  line?: number;
  /** Line of the last require-mppe* option, to name it when later options undo it. */
  requireLine?: number;
  /** The MPPE-MPPC patch's `mppe FLAGS`, which has an "allow" mode and 56-bit keys; it wins over `want`. */
  patch?: Located<{ required: boolean; bits: Set<40 | 56 | 128> }>;
  /** mppe-stateful → true; nomppe-stateful / `mppe stateless` → false. */
  stateful?: Located<boolean>;
  /** Line of `noccp`: no CCP, so no MPPE. */
  noccp?: number;
}

/** The MPPE policy these options give, in Config terms. */
export interface MppePolicy {
  mode: 'require' | 'allow' | 'refuse';
  keyBits: (40 | 56 | 128)[];
  stateful: boolean;
  line?: number;
}

/** Where an option was given: the options file, or the line of xl2tpd.conf that made xl2tpd pass it. */
export interface Place {
  file: string;
  line: number;
}

/**
 * Words a daemon puts on pppd's command line before the options file (xl2tpd:
 * `require chap = yes` → `require-chap`), each with the line that made it and
 * that line's own words (`via`), read before the file as pppd reads them.
 */
export interface LeadArguments {
  file: string;
  words: (Word & { via: string })[];
}

/** A parsed pppd options file. */
export interface PppOptions {
  file: string;
  /** `name NAME`: our name, the server column of chap-secrets. */
  name?: Located<string>;
  /** `domain D`: appended to the host name when it is our name. */
  domain?: Located<string>;
  /** `usehostname`: our name is the host name even with `name`. */
  usehostname?: number;
  /** `auth` / require-* → true, `noauth` → false; the last one wins. */
  auth?: Place & { value: boolean };
  /** require-X options, by protocol, with where they were given. */
  require: Map<AuthProto, Place>;
  /** refuse-X options, by protocol, with where they were given. */
  refuse: Map<AuthProto, Place>;
  mppe: MppeOptions;
  /** Every ms-dns / ms-wins value in order; `lastTwo` gives what pppd sends. */
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
  /** `+ipv6` / `ipv6 ,` → enabled; `-ipv6`/`noipv6` → disabled. */
  ipv6?: Located<boolean>;
  /** `LOCAL:REMOTE` address pair. */
  addresses?: Located<{ local?: string; remote?: string }>;
  /** `chap-secrets FILE`. */
  chapSecrets?: Located<string>;
  debug: boolean;
  plugins: Located<string>[];
  /** Options of pppd plugins, with their arguments (`radius-config-file` is read for RADIUS). */
  pluginOptions: { option: string; plugin: string; args: string[]; line: number }[];
  /** One note per option read. */
  notes: OptionNote[];
  warnings: ConfigWarning[];
}

interface At {
  file: string;
  line: number;
  option: string;
}

type Handler = (o: PppOptions, args: Word[], at: At) => void;

function num(w: Word, at: At, min: number, max: number, example: number): number {
  const t = w.text;
  const v = /^0x[0-9a-f]+$/i.test(t) ? parseInt(t, 16) : /^\d+$/.test(t) ? Number(t) : NaN;
  if (!Number.isFinite(v) || v < min || v > max) {
    throw new ConfigError('CONFIG_VALUE', `invalid numeric parameter '${t}' for '${at.option}' (${min}..${max})`, { file: at.file, line: w.line },
      `write e.g. ${at.option} ${example}`);
  }
  return v;
}

/** ms-dns / ms-wins: pppd takes a dotted quad or resolves a host name once at start; tunppp takes addresses only. */
function serverAddress(w: Word, at: At): string {
  if (isIpv4(w.text)) return w.text;
  const example = at.option === 'ms-wins' ? '192.168.0.2' : '1.1.1.1';
  if (/^[0-9.x]+$/i.test(w.text)) {
    throw new ConfigError('CONFIG_VALUE', `'${at.option}' needs an IPv4 address, got '${w.text}'`, { file: at.file, line: w.line },
      `write it as a dotted quad, e.g. ${at.option} ${example}`);
  }
  throw new ConfigError('CONFIG_VALUE', `'${at.option}' needs an IPv4 address, got '${w.text}': pppd would resolve the host name once at start (gethostbyname), tunppp does not`,
    { file: at.file, line: w.line }, `write the address it resolves to, e.g. ${at.option} ${example}`);
}

const requireProto = (proto: AuthProto): Handler => (o, _a, at) => {
  o.require.set(proto, { file: at.file, line: at.line });
  // pppd: every require-* also sets auth_required.
  o.auth = { value: true, file: at.file, line: at.line };
};
const refuseProto = (proto: AuthProto): Handler => (o, _a, at) => {
  o.refuse.set(proto, { file: at.file, line: at.line });
};
const mppeWant = (change: (want: Set<40 | 128>) => void, require: boolean): Handler => (o, _a, at) => {
  change(o.mppe.want);
  o.mppe.line = at.line;
  if (require) o.mppe.requireLine = at.line;
};

/** The options tunppp applies, by the canonical name in pppd-option-table.ts (aliases use the same handler). */
export const HANDLERS: Readonly<Record<string, Handler>> = {
  debug: (o) => { o.debug = true; },
  idle: (o, [a], at) => { o.idle = { value: num(a!, at, 0, 31536000, 600), line: at.line }; },
  domain: (o, [a], at) => { o.domain = { value: a!.text, line: at.line }; },
  plugin: (o, [a], at) => { o.plugins.push({ value: a!.text, line: at.line }); },
  auth: (o, _a, at) => { o.auth = { value: true, file: at.file, line: at.line }; },
  noauth: (o, _a, at) => { o.auth = { value: false, file: at.file, line: at.line }; },
  'require-pap': requireProto('pap'),
  'require-chap': requireProto('chap'),
  'require-mschap': requireProto('mschap'),
  'require-mschap-v2': requireProto('mschap-v2'),
  'require-eap': requireProto('eap'),
  'refuse-pap': refuseProto('pap'),
  'refuse-chap': refuseProto('chap'),
  'refuse-mschap': refuseProto('mschap'),
  'refuse-mschap-v2': refuseProto('mschap-v2'),
  'refuse-eap': refuseProto('eap'),
  name: (o, [a], at) => { o.name = { value: a!.text, line: at.line }; },
  usehostname: (o, _a, at) => { o.usehostname = at.line; },
  'chap-secrets': (o, [a], at) => { o.chapSecrets = { value: a!.text, line: at.line }; },
  noccp: (o, _a, at) => { o.mppe.noccp = at.line; },
  'require-mppe': mppeWant((w) => { w.clear(); w.add(40); w.add(128); }, true),
  nomppe: (o, _a, at) => {
    o.mppe.want.clear();
    o.mppe.line = at.line;
    delete o.mppe.requireLine;
  },
  'require-mppe-40': mppeWant((w) => { w.add(40); }, true),
  'nomppe-40': mppeWant((w) => { w.delete(40); }, false),
  'require-mppe-128': mppeWant((w) => { w.add(128); }, true),
  'nomppe-128': mppeWant((w) => { w.delete(128); }, false),
  'mppe-stateful': (o, _a, at) => { o.mppe.stateful = { value: true, line: at.line }; },
  'nomppe-stateful': (o, _a, at) => { o.mppe.stateful = { value: false, line: at.line }; },
  mppe: (o, [a], at) => {
    // The MPPE-MPPC patch syntax: mppe required,no40,no56,stateless
    const bits = new Set<40 | 56 | 128>([40, 128]);
    let required = false;
    for (const tok of a!.text.split(',')) {
      switch (tok.trim().toLowerCase()) {
        case 'required': case 'require': required = true; break;
        case 'no40': bits.delete(40); break;
        case 'no56': bits.delete(56); break;
        case 'no128': bits.delete(128); break;
        case '40': bits.add(40); break;
        case '56': bits.add(56); break;
        case '128': bits.add(128); break;
        case 'stateless': o.mppe.stateful = { value: false, line: at.line }; break;
        case 'stateful': o.mppe.stateful = { value: true, line: at.line }; break;
        default:
          throw new ConfigError('CONFIG_VALUE', `unknown mppe flag '${tok}' in '${a!.text}'`, { file: at.file, line: a!.line },
            'use required, stateless, stateful, no40, no56, no128, e.g. mppe required,no40,no56,stateless');
      }
    }
    if (bits.size === 0) {
      throw new ConfigError('CONFIG_CONFLICT', `'mppe ${a!.text}' leaves no MPPE key length`, { file: at.file, line: at.line }, 'keep 128-bit keys: mppe required,no40,no56,stateless');
    }
    o.mppe.patch = { value: { required, bits }, line: at.line };
  },
  'ms-dns': (o, [a], at) => { o.msDns.push({ value: serverAddress(a!, at), line: at.line }); },
  'ms-wins': (o, [a], at) => { o.msWins.push({ value: serverAddress(a!, at), line: at.line }); },
  proxyarp: (o, _a, at) => { o.proxyarp = { value: true, line: at.line }; },
  noproxyarp: (o, _a, at) => { o.proxyarp = { value: false, line: at.line }; },
  ipv6: (o, [a], at) => {
    // ipv6 <local_interface_identifier>,<remote_interface_identifier>; either may be empty.
    const t = a!.text;
    if (!t.includes(',')) {
      throw new ConfigError('CONFIG_VALUE', `'ipv6' takes LOCAL,REMOTE interface identifiers, got '${t}'`, { file: at.file, line: a!.line },
        'write "ipv6 ," for default identifiers, or "+ipv6"');
    }
    if (t !== ',') {
      throw new ConfigError('CONFIG_UNSUPPORTED', `'ipv6 ${t}' sets fixed IPv6 interface identifiers; tunppp chooses them itself (random, non-zero)`, { file: at.file, line: a!.line },
        'write "+ipv6" (or "ipv6 ,")');
    }
    o.ipv6 = { value: true, line: at.line };
  },
  '+ipv6': (o, _a, at) => { o.ipv6 = { value: true, line: at.line }; },
  noipv6: (o, _a, at) => { o.ipv6 = { value: false, line: at.line }; },
  mru: (o, [a], at) => { o.mru = { value: num(a!, at, 128, 16384, 1400), line: at.line }; },
  mtu: (o, [a], at) => { o.mtu = { value: num(a!, at, 128, 16384, 1400), line: at.line }; },
  'lcp-echo-failure': (o, [a], at) => { o.lcpEchoFailure = { value: num(a!, at, 0, 1000, 4), line: at.line }; },
  'lcp-echo-interval': (o, [a], at) => { o.lcpEchoInterval = { value: num(a!, at, 0, 86400, 30), line: at.line }; },
};

/** pppd's "take the last two values" (ipcp.c setdnsaddr/setwinsaddr): one value is both primary and secondary. */
export function lastTwo(values: readonly string[]): string[] {
  let primary: string | undefined;
  let secondary: string | undefined;
  for (const v of values) {
    // An address of 0.0.0.0 is pppd's "unset".
    const value = v === '0.0.0.0' ? undefined : v;
    primary = secondary === undefined ? value : secondary;
    secondary = value;
  }
  return primary === undefined ? [] : secondary === undefined ? [primary] : [primary, secondary];
}

/** Every option name tunppp knows, for "did you mean". */
function knownNames(): string[] {
  return [...Object.keys(PPPD_OPTIONS), ...Object.keys(PATCHED_PPPD_OPTIONS), ...Object.keys(PLUGIN_OPTIONS)];
}

/**
 * Parses a pppd options file; unknown and refused options and bad values throw
 * `ConfigError` with file:line. `lead`: the arguments a daemon gives pppd
 * before the file (they are read first, so the file's options override them).
 */
export function parsePppOptions(text: string, optionsFile: string, lead?: LeadArguments): PppOptions {
  const o: PppOptions = {
    file: optionsFile, require: new Map(), refuse: new Map(), mppe: { want: new Set() }, msDns: [], msWins: [],
    debug: false, plugins: [], pluginOptions: [], notes: [], warnings: [],
  };
  const words: (Word & { file: string; via?: string })[] = [
    ...(lead?.words ?? []).map((w) => ({ ...w, file: lead!.file })),
    ...readWords(text, optionsFile).map((w) => ({ ...w, file: optionsFile })),
  ];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const option = w.text;
    const file = w.file;
    const at: At = { file, line: w.line, option };
    const take = (n: number): Word[] => {
      const args = words.slice(i + 1, i + 1 + n);
      if (args.length < n || args.some((a) => a.file !== file)) {
        throw new ConfigError('CONFIG_SYNTAX', `option '${option}' requires an argument`, { file, line: w.line },
          `write the value after it on the same line, e.g. ${option} VALUE`);
      }
      i += n;
      return args;
    };
    const note = (verdict: OptionNote['verdict'], detail: string, args: Word[]) => {
      const passed = [option, ...args.map((a) => a.text)].join(' ');
      o.notes.push({ file, line: w.line, text: w.via !== undefined ? `${w.via} (xl2tpd passes pppd: ${passed})` : passed, verdict, detail });
    };
    const row: PppdOption | undefined = lookupPppdOption(option);
    if (row) {
      const args = take(row.args);
      const v = row.verdict;
      if (v.kind === 'refused') {
        throw new ConfigError('CONFIG_UNSUPPORTED', `pppd option '${[option, ...args.map((a) => a.text)].join(' ')}' cannot be honoured: ${v.why}`, { file, line: w.line }, v.fix);
      }
      if (v.kind === 'not-applicable') {
        note('not applicable', v.why, args);
        continue;
      }
      const handler = HANDLERS[row.aliasOf ?? option];
      if (!handler) throw new Error(`pppd-option-table: '${option}' is applied but has no handler`);
      handler(o, args, at);
      note('applied', v.how, args);
      continue;
    }
    const plugin = Object.hasOwn(PLUGIN_OPTIONS, option) ? PLUGIN_OPTIONS[option]! : undefined;
    if (plugin) {
      const args = take(plugin.args);
      o.pluginOptions.push({ option, plugin: plugin.plugin, args: args.map((a) => a.text), line: w.line });
      note('plugin option (not used)', `an option of pppd's ${plugin.plugin}, which tunppp does not load`, args);
      if (option !== 'radius-config-file') {
        o.warnings.push({ file, line: w.line, message: `'${option}' is an option of pppd's ${plugin.plugin}, which tunppp does not load; it has no effect`, hint: 'remove it' });
      }
      continue;
    }
    // pppd's o_wild entries: LOCAL:REMOTE (ipcp.c), a device name and a tty speed (tty.c).
    if (/^[^:\s]*:[^:\s]*$/.test(option) && option.length > 1 && !option.startsWith('/')) {
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
      note('not applicable', 'pptpd and xl2tpd pass their own LOCAL:REMOTE after the options file, which overrides this one; addresses come from localip/remoteip or ip range', []);
      continue;
    }
    if (option.startsWith('/dev/') || /^\d+$/.test(option)) {
      note('not applicable', option.startsWith('/dev/') ? 'a serial device; the link is the PPTP/L2TP tunnel' : 'a serial line speed; the link is the PPTP/L2TP tunnel', []);
      continue;
    }
    const close = knownNames().map((k) => ({ k, d: editDistance(k, option) })).filter((x) => x.d <= 2).sort((a, b) => a.d - b.d).slice(0, 3).map((x) => x.k);
    throw new ConfigError('CONFIG_UNKNOWN', `unrecognized pppd option '${option}' (pppd would refuse to start)`, { file, line: w.line },
      close.length ? `did you mean ${close.join(' or ')}?` : 'remove it, or check the spelling in pppd(8)');
  }
  const rcf = o.pluginOptions.find((p) => p.option === 'radius-config-file');
  if (rcf && !o.plugins.some((p) => /(^|\/)radius\.so$/.test(p.value))) {
    // pppd knows this option only once radius.so is loaded; without it pppd refuses it.
    o.warnings.push({ file: optionsFile, line: rcf.line, message: "'radius-config-file' without 'plugin radius.so': pppd would not know the option, and RADIUS is not used", hint: 'add "plugin radius.so" before it, or remove it' });
  }
  checkConflicts(o);
  return o;
}

function checkConflicts(o: PppOptions): void {
  const file = o.file;
  for (const [proto, at] of o.require) {
    const refused = o.refuse.get(proto);
    if (refused) {
      // In pppd refuse-X only stops pppd authenticating *itself* with X; tunppp reads it as "clients may not use X" (see the top of this file).
      throw new ConfigError('CONFIG_CONFLICT', `require-${proto} and refuse-${proto} both given: pppd would require ${proto} from clients and only refuse to authenticate itself with it; tunppp reads refuse-${proto} as "clients may not use ${proto}", so nothing is left to mean`,
        at, `keep one of them (refuse-${proto} is at ${refused.file === at.file ? 'line ' : `${refused.file}:`}${refused.line})`);
    }
  }
  const m = o.mppe;
  if (m.requireLine !== undefined && m.want.size === 0 && !m.patch && m.line !== undefined && m.line !== m.requireLine) {
    // require-mppe-128 … nomppe-128: pppd would then run without MPPE at all; say so instead of dropping encryption.
    throw new ConfigError('CONFIG_CONFLICT', `MPPE is required on line ${m.requireLine} but every key length is refused later (line ${m.line}); pppd would run without encryption`,
      { file, line: m.requireLine }, 'allow 128-bit keys: require-mppe-128 and no nomppe-128');
  }
  if (m.noccp !== undefined && (m.want.size > 0 || m.patch?.value.required)) {
    throw new ConfigError('CONFIG_CONFLICT', 'noccp turns CCP off, so the MPPE required in this file can never be negotiated', { file, line: m.noccp },
      'remove noccp (or the require-mppe options, to run without encryption)');
  }
}

/** The MPPE policy the options give (pppd: required with the wanted key lengths, else refused). */
export function mppePolicy(o: PppOptions): MppePolicy {
  const m = o.mppe;
  const stateful = m.stateful?.value ?? false;
  if (m.noccp !== undefined) return { mode: 'refuse', keyBits: [128], stateful, line: m.noccp };
  if (m.patch) {
    const keyBits = ([128, 56, 40] as const).filter((b) => m.patch!.value.bits.has(b));
    return { mode: m.patch.value.required ? 'require' : 'allow', keyBits, stateful, line: m.patch.line };
  }
  const keyBits = ([128, 40] as const).filter((b) => m.want.has(b));
  const policy: MppePolicy = keyBits.length ? { mode: 'require', keyBits, stateful } : { mode: 'refuse', keyBits: [128], stateful };
  if (m.line !== undefined) policy.line = m.line;
  return policy;
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
