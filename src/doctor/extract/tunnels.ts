/**
 * Tunnel daemons → events: pptpd (poptop: ctrlpacket.c, pptpctrl.c,
 * pptpgre.c, pptpmanager.c), the pptp client (pptp-linux: "anon log[...]"
 * lines from pptp_ctrl.c, pptp_gre.c, pptp_callmgr.c) and xl2tpd
 * (control.c, network.c, avp.c, xl2tpd.c).
 */
import type { EvFields } from '../types.js';

interface Entry {
  lit: string;
  re: RegExp;
  ev: (m: RegExpExecArray) => EvFields;
}

/** Stands in for the match of a builder that reads none. */
const NO_MATCH = Object.assign([''], { index: 0, input: '' }) as RegExpExecArray;

function run(table: readonly Entry[], msg: string): EvFields | null {
  for (const e of table) {
    if (!msg.includes(e.lit)) continue;
    // A builder that reads no capture: test() allocates no match array.
    if (e.ev.length === 0) {
      if (e.re.test(msg)) return e.ev(NO_MATCH);
      continue;
    }
    const m = e.re.exec(msg);
    if (m) return e.ev(m);
  }
  return null;
}

const PPTPD: Entry[] = [
  { lit: 'control connection started', re: /Client (\S+) control connection started/, ev: (m) => ({ kind: 'ctrl-start', peer: m[1], transport: 'pptp' }) },
  { lit: 'control connection finished', re: /Client (\S+) control connection finished/, ev: (m) => ({ kind: 'ctrl-end', peer: m[1] }) },
  { lit: 'Starting call', re: /Starting call \(launching pppd/, ev: () => ({ kind: 'call-start', transport: 'pptp' }) },
  { lit: 'Reaping child', re: /Reaping child PPP\[(\d+)\]/, ev: (m) => ({ kind: 'child-reaped', pid: Number(m[1]) }) },
  // pptpgre.c: a failed read of the raw GRE socket. EMSGSIZE there is the
  // kernel reporting an ICMP fragmentation-needed for a GRE packet we sent.
  { lit: 'from network failed', re: /GRE: read\(.*\) from network failed: status = -?\d+ error = (.*)/, ev: (m) => ({ kind: /Message too long/.test(m[1]!) ? 'emsgsize' : 'gre-read-fail', reason: m[1]!.trim(), dir: 'read' }) },
  { lit: 'GRE', re: /GRE: (?:xmit|write|sendto)[^\n]*?failed[^\n]*?(?:error = |: )(.*)/, ev: (m) => ({ kind: /Message too long/.test(m[1]!) ? 'emsgsize' : 'gre-write-fail', reason: m[1]!.trim(), dir: 'write' }) },
  { lit: 'failed (', re: /(GRE read or PTY write|PTY read or GRE write) failed/, ev: (m) => ({ kind: 'gre-pty-fail', reason: m[1] }) },
  { lit: 'Message too long', re: /Message too long|EMSGSIZE/, ev: () => ({ kind: 'emsgsize' }) },
  { lit: 'CALL CLR', re: /Received CALL CLR request/, ev: () => ({ kind: 'call-clear', dir: 'rcvd' }) },
  // pptpctrl.c (debug): the client ends the control connection properly.
  { lit: 'STOP CTRL CONN', re: /Received STOP CTRL CONN request/, ev: () => ({ kind: 'ctrl-stop', dir: 'rcvd' }) },
  { lit: 'ctrl packet', re: /EOF or bad error reading ctrl packet|couldn't read packet header/, ev: () => ({ kind: 'ctrl-eof' }) },
  { lit: 'timed out', re: /Session timed out|[Ee]cho.*timed? ?out/, ev: () => ({ kind: 'pptp-echo-timeout' }) },
  { lit: 'onnections', re: /Maximum of (\d+) connections reached|connections? limit (?:\(\d+\) )?reached(?!, extra IP)/, ev: (m) => ({ kind: 'pool-empty', reason: m[0] }) },
  { lit: 'ddress', re: /no (?:more )?(?:free|available) (?:IP )?address/i, ev: (m) => ({ kind: 'pool-empty', reason: m[0] }) },
];

/** pptpd / pptpctrl message → event. */
export function extractPptpd(msg: string): EvFields | null {
  return run(PPTPD, msg);
}

const PPTP_CLIENT: Entry[] = [
  { lit: 'control connection to', re: /Could not open control connection to (\S+)/, ev: (m) => ({ kind: 'ctrl-connect-fail', peer: m[1], transport: 'pptp' }) },
  { lit: 'connect:', re: /connect: (Connection refused|Connection timed out|No route to host|Network is unreachable)/, ev: (m) => ({ kind: 'ctrl-connect-fail', reason: m[1], transport: 'pptp' }) },
  { lit: 'Outgoing call established', re: /Outgoing call established \(call ID (\d+), peer's call ID (\d+)\)/, ev: () => ({ kind: 'call-up', transport: 'pptp' }) },
  { lit: 'Message too long', re: /Message too long|EMSGSIZE/, ev: () => ({ kind: 'emsgsize' }) },
  { lit: 'read returned zero', re: /read returned zero, peer has closed/, ev: () => ({ kind: 'ctrl-eof' }) },
  { lit: 'Call-Disconnect-Notify', re: /Call-Disconnect-Notify|Call Disconnect Notify/i, ev: () => ({ kind: 'call-clear', dir: 'rcvd', transport: 'pptp' }) },
  { lit: 'Call-Clear-Request', re: /Call-Clear-Request/, ev: () => ({ kind: 'call-clear', dir: 'sent', transport: 'pptp' }) },
  { lit: 'cho', re: /[Ee]cho [Rr]eply (?:timeout|timed out)|no reply to echo|[Ee]cho [Rr]equest timed out/, ev: () => ({ kind: 'pptp-echo-timeout' }) },
];

/** pptp (client) message → event. */
export function extractPptpClient(msg: string): EvFields | null {
  // pptp-linux prefixes: `anon log[ctrlp_disp:pptp_ctrl.c:754]: `, or with NetworkManager
  // `nm-pptp-service-1234 log[...]: `
  const m = /^\S+ (?:log|warn|fatal)\[[^\]]*\]: /.exec(msg);
  return run(PPTP_CLIENT, m ? msg.slice(m[0].length) : msg);
}

const L2TP_MSG: Record<number, string> = {
  1: 'SCCRQ', 2: 'SCCRP', 3: 'SCCCN', 4: 'StopCCN', 6: 'HELLO', 7: 'OCRQ', 8: 'OCRP', 9: 'OCCN',
  10: 'ICRQ', 11: 'ICRP', 12: 'ICCN', 14: 'CDN', 15: 'WEN', 16: 'SLI',
};

const XL2TPD: Entry[] = [
  { lit: 'Connection established to', re: /Connection established to (\S+?),? (\d+)\.\s+Local: (\d+), Remote: (\d+)/, ev: (m) => ({ kind: 'l2tp-tunnel-up', peer: m[1], tunnel: Number(m[3]), transport: 'l2tp' }) },
  { lit: 'Call established with', re: /Call established with (\S+?),(?: PID: (\d+),)? Local: (\d+), Remote: (\d+)/, ev: (m) => ({ kind: 'l2tp-call-up', peer: m[1], pid: m[2] ? Number(m[2]) : undefined, transport: 'l2tp' }) },
  { lit: 'Maximum retries exceeded', re: /Maximum retries exceeded for tunnel (\d+)/, ev: (m) => ({ kind: 'l2tp-retries', tunnel: Number(m[1]) }) },
  // call.c: we closed the tunnel, with our reason; control.c control_finish: the peer's StopCCN, with its reason.
  { lit: 'closed to', re: /Connection (\d+) closed to (\S+?),? port (\d+) \((.*)\)/, ev: (m) => ({ kind: 'l2tp-tunnel-closed', tunnel: Number(m[1]), peer: m[2], reason: m[4], dir: 'local' }) },
  { lit: 'Connection closed to', re: /Connection closed to (\S+?),? port (\d+) \(([^)]*)\)(?:, Local: (\d+))?/, ev: (m) => ({ kind: 'l2tp-tunnel-closed', peer: m[1], reason: m[3], tunnel: m[4] ? Number(m[4]) : undefined, dir: 'peer' }) },
  { lit: 'disconnected', re: /call_close: Call (\d+) to (\S+) disconnected/, ev: (m) => ({ kind: 'l2tp-call-closed', peer: m[2] }) },
  { lit: 'pppd exited', re: /pppd exited for call (\d+) with code (\d+)/, ev: (m) => ({ kind: 'exit-code', n: Number(m[2]) }) },
  { lit: 'signal to pid', re: /erminating pppd: sending (?:TERM|KILL) signal to pid (\d+)/, ev: (m) => ({ kind: 'l2tp-kill-ppp', pid: Number(m[1]) }) },
  // avp.c: a received AVP that xl2tpd cannot parse; on a mandatory AVP it drops the message.
  { lit: 'avp', re: /avp is incorrect size|Bad exit status handling attribute|wrong size for|[Uu]nknown (?:mandatory )?AVP|handle_avps: Bad/, ev: (m) => ({ kind: 'l2tp-avp-error', reason: m[0] }) },
  { lit: 'peer closing for reason', re: /peer closing for reason (\d+) \(([^)]*)\), error = (\d+) \(([^)]*)\)/, ev: (m) => ({ kind: 'l2tp-result', n: Number(m[1]), n2: Number(m[3]), reason: `${m[2]}; ${m[4]}` }) },
  { lit: 'result code', re: /[Rr]esult code (\d+)(?!\d)(?:(?![Rr]esult code )[^\n])*?error code (\d+)/, ev: (m) => ({ kind: 'l2tp-result', n: Number(m[1]), n2: Number(m[2]) }) },
  { lit: 'message type', re: /message_type_avp: message type (\d+) \(([^)]+)\)/, ev: (m) => ({ kind: 'l2tp-msg', n: Number(m[1]), reason: L2TP_MSG[Number(m[1])] ?? m[2] }) },
  { lit: 'IP address', re: /Out of IP addresses|No available IP address/, ev: (m) => ({ kind: 'pool-empty', reason: m[0] }) },
  { lit: 'Denied connection', re: /Denied connection to unauthorized peer (\S+)/, ev: (m) => ({ kind: 'l2tp-denied', peer: m[1] }) },
  // Tunnel authentication (control.c control_finish, aaa.c handle_challenge, avp.c chalresp_avp):
  // the Challenge Response did not match (a different secret), or one side has no secret for the other.
  { lit: 'Invalid authentication for host', re: /Invalid authentication for host/, ev: (m) => ({ kind: 'l2tp-tunnel-auth-fail', reason: m[0] }) },
  { lit: 'o secret', re: /No secret (?:key )?for (?:authenticating )?(?:to )?'|no secret found for us='/, ev: (m) => ({ kind: 'l2tp-tunnel-secret-missing', dir: 'local', reason: m[0] }) },
  { lit: 'Challenge is not the right length', re: /Challenge is not the right length/, ev: (m) => ({ kind: 'l2tp-tunnel-auth-fail', reason: m[0] }) },
  { lit: 'hallenge', re: /(?:challenge|Challenge)[^\n]*(?:fail|invalid|mismatch|bad|wrong)|(?:fail|invalid|bad)[^\n]*challenge/i, ev: (m) => ({ kind: 'l2tp-tunnel-auth-fail', reason: m[0] }) },
  { lit: 'uthentication', re: /[Tt]unnel authentication failed|Invalid authentication info|[Aa]uthentication failed for tunnel/, ev: (m) => ({ kind: 'l2tp-tunnel-auth-fail', reason: m[0] }) },
  { lit: 'ello', re: /[Hh]ello timeout|[Nn]o response to [Hh]ello|HELLO.*timed? ?out/, ev: (m) => ({ kind: 'l2tp-hello-timeout', reason: m[0] }) },
];

/** xl2tpd message → event. */
export function extractXl2tpd(msg: string): EvFields | null {
  return run(XL2TPD, msg);
}
