/**
 * pppd messages → events. Wordings come from ppp-project/ppp (main.c, auth.c,
 * lcp.c, fsm.c, ccp.c, chap-new.c, chap_ms.c, upap.c, sys-linux.c) across
 * 2.4.x and 2.5.x, the pptpd-logwtmp plugin, accel-ppp's similar messages,
 * and Apple's pppd with its L2TP/PPTP plugins (macOS ppp.log).
 *
 * The table is tried in order; each entry has a literal that must occur
 * before its regex runs, so a message costs a few `includes` at most.
 */
import type { EvFields } from '../types.js';

type Build = (m: RegExpExecArray, msg: string) => EvFields | null;
interface Entry {
  lit: string;
  re: RegExp;
  ev: Build;
  /** The literal starts the message (regex anchored on it): test with startsWith. */
  at0?: boolean;
}

const authMethod = (s: string | undefined): string | undefined => {
  if (!s) return undefined;
  const u = s.toUpperCase();
  if (u.includes('MS') && (u.includes('V2') || u.includes('-2'))) return 'MS-CHAP-v2';
  if (u.includes('MS')) return 'MS-CHAP';
  if (u.includes('CHAP')) return 'CHAP';
  if (u.includes('PAP')) return 'PAP';
  if (u.includes('EAP')) return 'EAP';
  return s;
};

const unquote = (s: string | undefined): string | undefined => (s === undefined ? undefined : s.replace(/^"(.*)"$/, '$1'));

/** `[LCP ConfReq id=0x1 <auth chap MS-v2> ...]` → the auth option text, if any. */
function authOption(body: string): string | undefined {
  const m = /<auth ([^>]*)>/.exec(body);
  return m ? m[1] : undefined;
}

/** Packet dumps (`debug`): `sent [LCP TermReq id=0x2 "reason"]`. */
function packet(m: RegExpExecArray): EvFields | null {
  const dir = m[1]!;
  const proto = m[2]!;
  const code = m[3]!;
  const body = m[4] ?? '';
  if (proto === 'LCP') {
    if (code === 'EchoReq' || code === 'EchoRep') return dir === 'rcvd' ? { kind: 'rcvd-lcp' } : null;
    if (code === 'ConfReq') {
      const a = authOption(body);
      if (a) return { kind: 'lcp-confreq', dir, method: authMethod(a) ?? a };
      return dir === 'rcvd' ? { kind: 'rcvd-lcp' } : null;
    }
    if (code === 'TermReq') return { kind: 'termreq', dir, reason: /"([^"]*)"/.exec(body)?.[1] ?? '' };
    if (code === 'TermAck') return { kind: 'termack', dir };
    if ((code === 'ConfRej' || code === 'ConfNak') && body.includes('<auth')) return { kind: 'auth-rejected', dir, method: authMethod(authOption(body)) };
    if (code === 'ProtRej' && dir === 'rcvd' && /\b80 fd\b/.test(body)) return { kind: 'ccp-protrej' };
    return dir === 'rcvd' ? { kind: 'rcvd-lcp' } : null;
  }
  if (proto === 'CHAP' && code === 'Failure' && dir === 'rcvd') {
    const e = /E=(\d+)/.exec(body);
    return { kind: 'auth-fail', dir: 'local', method: 'CHAP', n: e ? Number(e[1]) : undefined, reason: /"([^"]*)"/.exec(body)?.[1] };
  }
  if (proto === 'PAP' && code === 'AuthNak' && dir === 'rcvd') return { kind: 'auth-fail', dir: 'local', method: 'PAP', reason: /"([^"]*)"/.exec(body)?.[1] };
  return null;
}

/** pppd message table, in match order (exported for tests). */
export const TABLE: Entry[] = [
  // A RADIUS refusal for a policy, not the password, carried in the rejection's Reply-Message
  // ("E=691 (rejected): pool exhausted"): first, before the auth-fail entries take the line.
  { lit: 'already logged in', re: /You are already logged in[^\n]*/, ev: (m) => ({ kind: 'simultaneous-use', reason: m[0] }) },
  { lit: 'Multiple logins', re: /Multiple logins \(max (\d+)\)/, ev: (m) => ({ kind: 'simultaneous-use', n: Number(m[1]), reason: m[0] }) },
  { lit: 'pool exhausted', re: /(?:IP |address )?pool (?:is )?exhausted/i, ev: (m) => ({ kind: 'pool-empty', reason: m[0] }) },
  { lit: 'pppd ', re: /^pppd ([\d.]\S*) started by (\S+), uid (\d+)/, ev: (m) => ({ kind: 'ppp-start', reason: m[1] }) },
  { lit: 'Using interface', re: /^Using interface (\S+)/, ev: (m) => ({ kind: 'iface', iface: m[1] }) },
  { lit: 'Connect:', re: /^Connect: (\S+) <--> (\S+)/, ev: (m) => ({ kind: 'connect', iface: m[1], reason: m[2] }) },
  { lit: 'Plugin', re: /^Plugin (\S+?)\.? loaded/, ev: (m) => ({ kind: 'plugin', reason: m[1], transport: /l2tp/i.test(m[1]!) ? 'l2tp' : /pptp/i.test(m[1]!) && !/logwtmp/i.test(m[1]!) ? 'pptp' : undefined }) },
  { lit: 'calling number', re: /peer from calling number (\S+) authorized/, ev: (m) => ({ kind: 'peer', peer: m[1] }) },
  { lit: 'ip-up', re: /ip-up ((?:ppp|tun|l2tp|pptp|ipsec)\w*) (?:(\S*) )?([\d.:a-fA-Fx]+)\s*$/, ev: (m) => ({ kind: 'peer', iface: m[1], user: m[2] || undefined, peer: m[3] }) },
  { lit: 'local ', re: /^local {1,2}IP address ([^\s,]+),?(?: remote IP address ([^\s,]+))?/, ev: (m) => ({ kind: 'ip-local', ip: m[1], ip2: m[2] }) },
  { lit: 'remote IP address', re: /^remote IP address (\S+)/, ev: (m) => ({ kind: 'ip-remote', ip: m[1] }) },
  { lit: 'Connect time', re: /^Connect time ([\d.]+) minutes/, ev: (m) => ({ kind: 'connect-time', n: Number(m[1]) }) },
  { lit: 'Sent ', re: /^Sent (\d+) bytes, received (\d+) bytes/, ev: (m) => ({ kind: 'bytes', n: Number(m[1]), n2: Number(m[2]) }) },
  { lit: 'MPPE', re: /^MPPE (\d+)-bit (?:(stateless|stateful) )?compression enabled/, ev: (m) => ({ kind: 'mppe-up', reason: `MPPE ${m[1]}-bit${m[2] ? ` ${m[2]}` : ''}` }) },
  { lit: 'MPPE required, but kernel', re: /MPPE required, but kernel has no support/, ev: () => ({ kind: 'mppe-no-kernel' }) },
  { lit: 'MPPE required but peer', re: /MPPE required but peer negotiation failed/, ev: () => ({ kind: 'mppe-peer-failed' }) },
  { lit: 'MPPE required, but', re: /MPPE required, but (?:MS-CHAP\S* auth not performed|auth done in both directions)/, ev: (m) => ({ kind: 'mppe-no-mschap', reason: m[0] }) },
  { lit: 'Modem hangup', re: /^Modem hangup/, ev: () => ({ kind: 'hangup' }) },
  { lit: 'Connection terminated', re: /^Connection terminated/, ev: () => ({ kind: 'terminated' }) },
  { lit: 'Exit', re: /^Exit\.?\s*$/, ev: () => ({ kind: 'exit' }) },
  { lit: 'Terminating on signal', re: /^Terminating on signal (\d+)/, ev: (m) => ({ kind: 'signal', n: Number(m[1]) }) },
  { lit: 'Hangup (SIGHUP)', re: /^Hangup \(SIGHUP\)/, ev: () => ({ kind: 'signal', n: 1 }) },
  { lit: 'timeout sending', re: /^(\w+): timeout sending Config-Requests/, ev: (m) => ({ kind: 'cp-timeout', proto: m[1] }) },
  { lit: 'echo-requests', re: /No response to (\d+) echo-requests/, ev: (m) => ({ kind: 'echo-timeout', n: Number(m[1]) }) },
  { lit: 'appears to be disconnected', re: /Serial link appears to be disconnected/, ev: () => ({ kind: 'link-dead' }) },
  { lit: 'terminated by peer', re: /^(\w+) terminated by peer(?: \((.*)\))?/, ev: (m) => ({ kind: 'term-by-peer', proto: m[1], reason: m[2] ?? '' }) },
  { lit: 'Protocol-Reject', re: /Protocol-Reject for (?:'Compression Control Protocol' \()?0x80fd/i, ev: () => ({ kind: 'ccp-protrej' }) },
  // authentication, client side (we authenticate to the peer)
  { lit: 'authentication failed: E=', re: /(?<!\S)(?=\S*CHAP)(\S+) authentication failed: E=(\d+)\s*(.*)/, ev: (m) => ({ kind: 'auth-fail', dir: 'local', method: authMethod(m[1]), n: Number(m[2]), reason: m[3] }) },
  { lit: 'authentication failed', re: /^(CHAP|PAP|EAP|MS-CHAP\S*) authentication failed(?:: (.*))?/, ev: (m) => ({ kind: 'auth-fail', dir: 'local', method: authMethod(m[1]), reason: m[2] }) },
  { lit: 'authentication succeeded', re: /^(CHAP|PAP|EAP|MS-CHAP\S*) authentication succeeded/, ev: (m) => ({ kind: 'auth-ok', dir: 'local', method: authMethod(m[1]) }) },
  // pppd refuses to start on a bad options file or plugin (exit status 2/1)
  { lit: 'option', re: /(?:[Ii]n file (\S+): )?unrecognized option '([^']*)'|option '?([\w-]+)'? requires an argument|invalid (?:value|argument) for option '?([\w-]+)/, ev: (m) => ({ kind: 'options-error', reason: m[0], proto: m[2] ?? m[3] ?? m[4] }) },
  { lit: 'lugin', re: /Couldn't load plugin (\S+)|[Pp]lugin (\S+) is for pppd version (\S+)/, ev: (m) => ({ kind: 'options-error', reason: m[0] }) },
  { lit: 'EAP', re: /EAP: [Pp]eer reports authentication failure|EAP: authentication failed/, ev: () => ({ kind: 'auth-fail', dir: 'local', method: 'EAP' }) },
  { lit: 'L2TP received', re: /^L2TP received (StopCCN|CDN)/, ev: (m) => ({ kind: 'l2tp-msg', n: m[1] === 'StopCCN' ? 4 : 14, reason: m[1], transport: 'l2tp' }) },
  // accel-ppp (`mschap-v2: authentication failed`), RouterOS (`user alice authentication failed`)
  { lit: 'authentication failed', re: /(?:^|[\s:])(m?s?-?chap(?:-?v2)?|pap|eap)\S*:? authentication failed|user (\S+) authentication failed/i, ev: (m) => ({ kind: 'auth-fail', dir: 'peer', method: authMethod(m[1]), user: m[2] }) },
  { lit: 'echo', re: /no echo reply|lcp: echo timeout/i, ev: () => ({ kind: 'echo-timeout' }) },
  { lit: 'not responding', re: /peer is not responding/, ev: () => ({ kind: 'echo-timeout' }) },
  { lit: 'authenticate ourselves', re: /[Ff]ailed to authenticate ourselves to peer/, ev: () => ({ kind: 'auth-fail', dir: 'local' }) },
  // authentication, server side (the peer authenticates to us)
  { lit: 'authenticated', re: /^(\S+) peer (\S+) authenticated/, ev: (m) => ({ kind: 'auth-ok', dir: 'peer', method: authMethod(m[1]), user: unquote(m[2]) }) },
  { lit: 'peer authentication succeeded', re: /(?:(?<!\S)(\S+) )?peer authentication succeeded for (\S+)/, ev: (m) => ({ kind: 'auth-ok', dir: 'peer', method: authMethod(m[1]), user: unquote(m[2]) }) },
  { lit: 'peer authentication failed', re: /(?:(?<!\S)(\S+) )?peer authentication failed for (\S+)/, ev: (m) => ({ kind: 'auth-fail', dir: 'peer', method: authMethod(m[1]), user: unquote(m[2]) }) },
  { lit: 'Peer ', re: /^Peer (.+?) failed (\S+) authentication/, ev: (m) => ({ kind: 'auth-fail', dir: 'peer', method: authMethod(m[2]), user: unquote(m[1]) }) },
  { lit: 'user ', re: /^user (\S+) logged in/, ev: (m) => ({ kind: 'user', user: unquote(m[1]) }) },
  { lit: 'No ', re: /^No (\S+ )?secret found for (?:(authenticating us to )|authenticating )?(\S+)/, ev: (m) => ({ kind: 'no-secret', dir: m[2] ? 'local' : 'peer', user: unquote(m[3]), method: authMethod(m[1]?.trim()) }) },
  { lit: 'No ', re: /^No (?:CHAP|PAP|MS-CHAP\S*) secret found/, ev: () => ({ kind: 'no-secret', dir: 'peer' }) },
  { lit: 'refused to authenticate', re: /peer refused to authenticate/, ev: () => ({ kind: 'peer-refused-auth' }) },
  // auth.c auth_check_options: `auth` (Debian's stock /etc/ppp/options has it) and no secret to check the peer with.
  { lit: 'required to authenticate itself', re: /[Tt]he remote system (?:\([^)]{0,256}\) )?is required to authenticate itself/, ev: () => ({ kind: 'auth-required-nosecret' }) },
  { lit: "couldn't find any suitable secret", re: /^but I couldn't find any suitable secret/, ev: () => ({ kind: 'auth-required-nosecret' }) },
  { lit: 'None of the available passwords', re: /None of the available passwords would let it use an IP address/, ev: () => ({ kind: 'auth-required-nosecret', reason: 'ip' }) },
  // kernel and devices
  { lit: '/dev/ppp', re: /Couldn't open the \/dev\/ppp device: (.*)/, ev: (m) => ({ kind: 'dev-ppp-open', reason: m[1]!.trim() }) },
  { lit: 'create the /dev/ppp', re: /create the \/dev\/ppp device node/, ev: () => ({ kind: 'dev-ppp-open', reason: 'No such file or directory' }) },
  // ppp_async (pty-based PPTP/L2TP) or ppp_generic unit creation missing from the kernel.
  { lit: "Couldn't", re: /Couldn't set tty to PPP discipline|Couldn't attach to (?:channel|PPP unit)|Couldn't create new ppp unit/, ev: (m) => ({ kind: 'dev-ppp-open', reason: m[0] }) },
  { lit: 'PPPIOC', re: /ioctl\(PPPIOC(?:NEWUNIT|ATTCHAN|CONNECT)\)/, ev: (m) => ({ kind: 'dev-ppp-open', reason: m[0] }) },
  // sys-linux.c ppp_available: /dev/ppp exists but no driver behind it (ENODEV/ENXIO).
  { lit: 'load the ppp_generic', re: /Please load the ppp_generic kernel module/, ev: () => ({ kind: 'no-kernel-ppp', reason: 'ppp_generic not loaded' }) },
  { lit: 'support', re: /lacks (?:PPP )?kernel support|kernel support for PPP|kernel does not support PPP(?! filtering)|kernel lacks PPP/i, ev: () => ({ kind: 'no-kernel-ppp' }) },
  // addressing
  { lit: 'not authorized to use remote address', re: /not authorized to use remote address (\S+)/, ev: (m) => ({ kind: 'ip-not-authorized', ip: m[1] }) },
  { lit: 'determine remote IP', re: /Could not determine remote IP address/, ev: () => ({ kind: 'no-remote-ip' }) },
  { lit: 'refused to agree', re: /Peer refused to agree to (?:our|his) IP address/, ev: () => ({ kind: 'ip-refused' }) },
  { lit: 'address', re: /(?:SIOCSIFADDR|SIOCSIFDSTADDR|sifaddr|Couldn't set (?:interface )?(?:IP )?address|Could not set interface IP address)[^\n]*?(?:File exists|in use|Cannot assign|exists|failed)?/, ev: (m) => ({ kind: 'ip-set-fail', reason: m[0] }) },
  { lit: 'ddress', re: /no (?:more )?(?:free|available) (?:IPv4 |IP )?address|out of IP addresses|(?:IP |address )?pool (?:is )?(?:empty|exhausted)|unable to (?:get|allocate) (?:a |an )?(?:IP|lease|address)/i, ev: (m) => ({ kind: 'pool-empty', reason: m[0] }) },
  // PPTP driven through pppd (pptp plugin, router firmwares)
  { lit: 'limit', re: /connection limit \d+ reached|Maximum of \d+ connections reached/, ev: (m) => ({ kind: 'pool-empty', reason: m[0] }) },
  { lit: 'control connection to', re: /control connection to (\S+?):\d+: .*(?:ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|refused|timed out)/, ev: (m) => ({ kind: 'ctrl-connect-fail', peer: m[1], transport: 'pptp' }) },
  { lit: 'Call-Clear-Request', re: /(sent|rcvd|received|Received)? ?Call-Clear-Request/, ev: (m) => ({ kind: 'call-clear', dir: m[1] && m[1].startsWith('s') ? 'sent' : 'rcvd', transport: 'pptp' }) },
  { lit: 'Call-Disconnect-Notify', re: /Call-Disconnect-Notify/, ev: () => ({ kind: 'call-clear', dir: 'rcvd', transport: 'pptp' }) },
  { lit: 'Message too long', re: /Message too long|EMSGSIZE/, ev: () => ({ kind: 'emsgsize' }) },
  { lit: 'LCP down', re: /^LCP down/, ev: () => ({ kind: 'lcp-down' }) },
  { lit: 'User request', re: /^User request/, ev: () => ({ kind: 'user-request' }) },
  // Apple pppd plugins (macOS ppp.log)
  { lit: 'connecting to server', re: /^(L2TP|PPTP) connecting to server '([^']*)' \(([^)]*)\)/, ev: (m) => ({ kind: 'connecting', transport: m[1]!.toLowerCase(), peer: m[3] }) },
  { lit: 'connection established', re: /^(L2TP|PPTP) connection established/, ev: (m) => ({ kind: 'tunnel-up', transport: m[1]!.toLowerCase() }) },
  { lit: 'hangup', re: /^(L2TP|PPTP) hangup/, ev: (m) => ({ kind: 'transport-hangup', transport: m[1]!.toLowerCase() }) },
  { lit: 'shared secret', re: /no user shared secret found|IPSec shared secret (?:is )?missing|incorrect user shared secret|shared secret (?:is )?missing/i, ev: () => ({ kind: 'l2tp-ipsec-secret-missing', transport: 'l2tp' }) },
  { lit: 'IPSec connection started', re: /^IPSec connection started/, ev: () => ({ kind: 'ipsec-start', transport: 'l2tp' }) },
  { lit: 'IPSec connection established', re: /^IPSec connection established/, ev: () => ({ kind: 'child-up' }) },
  { lit: 'IPSec phase 1 established', re: /^IPSec phase 1 established/, ev: () => ({ kind: 'ike-up' }) },
  { lit: 'IPSec connection failed', re: /^IPSec connection failed(?: <IKE Error (\d+) \(0x[0-9a-f]+\) ([^>]*)>)?/i, ev: ikeErrorEvent },
  { lit: 'cannot connect', re: /(?:L2TP|PPTP) cannot connect to (?:the )?server|cannot connect to the server/i, ev: (m, msg) => ({ kind: 'ctrl-connect-fail', transport: msg.startsWith('L2TP') ? 'l2tp' : msg.startsWith('PPTP') ? 'pptp' : undefined, reason: m[0] }) },
];

/** macOS: `IPSec connection failed <IKE Error 14 (0xe) No proposal chosen>`; without a code racoon never answered. */
function ikeErrorEvent(m: RegExpExecArray): EvFields {
  const code = m[1] ? Number(m[1]) : undefined;
  const text = m[2] ?? '';
  // RFC 2408 §3.14.1 notify message types
  if (code === 14 || code === 13 || code === 12) return { kind: 'ike-no-proposal', n: code, reason: text, transport: 'l2tp' };
  if (code === 23 || code === 24 || code === 25) return { kind: 'ike-auth-fail', n: code, reason: text, transport: 'l2tp' };
  if (code === 18) return { kind: 'ike-no-conn', n: code, reason: text, transport: 'l2tp' };
  if (code === undefined) return { kind: 'ike-timeout', reason: 'no answer from the IKE daemon', transport: 'l2tp' };
  return { kind: 'ike-auth-fail', n: code, reason: text, transport: 'l2tp' };
}

const PACKET = /^(sent|rcvd) \[(\w+) (\w+)\b(?: id=0x[0-9a-f]+\b)?(.*)\]\s*$/;

const escapeRe = (x: string): string => x.replace(/[.*+?^${}()|[\]\\/]/g, (c) => `\\${c}`);
for (const e of TABLE) {
  const src = e.re.source;
  e.at0 = src.startsWith('^') && src.slice(1).startsWith(escapeRe(e.lit));
}
/** One pass over the message for all literals that may occur anywhere. */
const FLOATING = new RegExp(TABLE.filter((e) => !e.at0).map((e) => escapeRe(e.lit)).join('|'));
/** Anchored entries by the first character of their literal (table order kept within each). */
const AT0_BY_CHAR = new Map<number, Entry[]>();
for (const e of TABLE) {
  if (!e.at0) continue;
  const c = e.lit.charCodeAt(0);
  let l = AT0_BY_CHAR.get(c);
  if (!l) AT0_BY_CHAR.set(c, (l = []));
  l.push(e);
}
const FLOAT = TABLE.filter((e) => !e.at0);

/** Stands in for the match of a builder that reads none. */
const NO_MATCH = Object.assign([''], { index: 0, input: '' }) as RegExpExecArray;

/** The event for a pppd message, or null when the message is not one doctor uses. */
export function extractPppd(msg: string): EvFields | null {
  // debug packet dumps first: with `debug` they are most of pppd's lines.
  if (msg.startsWith('sent [') || msg.startsWith('rcvd [')) {
    const m = PACKET.exec(msg);
    return m ? packet(m) : null;
  }
  // Entries keep their table order within each group; the anchored ones and
  // the floating ones never match the same message shape.
  const at0 = AT0_BY_CHAR.get(msg.charCodeAt(0));
  if (at0) for (const e of at0) {
    if (!msg.startsWith(e.lit)) continue;
    // A builder that reads no capture: test() allocates no match array.
    if (e.ev.length === 0) {
      if (e.re.test(msg)) return e.ev(NO_MATCH, msg);
      continue;
    }
    const m = e.re.exec(msg);
    if (m) {
      const ev = e.ev(m, msg);
      if (ev) return ev;
    }
  }
  if (!FLOATING.test(msg)) return null;
  for (const e of FLOAT) {
    if (!msg.includes(e.lit)) continue;
    if (e.ev.length === 0) {
      if (e.re.test(msg)) return e.ev(NO_MATCH, msg);
      continue;
    }
    const m = e.re.exec(msg);
    if (m) {
      const ev = e.ev(m, msg);
      if (ev) return ev;
    }
  }
  return null;
}
