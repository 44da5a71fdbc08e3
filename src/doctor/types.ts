/**
 * Data shapes shared by the doctor pipeline:
 *
 *   bytes → lines (lines.ts) → line head (line-head.ts: timestamp, host, program[pid])
 *         → typed events (extract/*.ts) → sessions (sessions.ts) → findings (rules/*.ts)
 *         → Report (analyze.ts) → text / JSON / HTML (report-*.ts)
 *
 * The JSON report (`tunppp doctor --json`) is `Report` verbatim; docs/doctor.md
 * documents it field by field. Changing a field name is a schema change: bump
 * `REPORT_SCHEMA`.
 */

/** Version tag of the `--json` output. */
export const REPORT_SCHEMA = 'tunppp-doctor/1';

/** Which daemon family wrote a line; decides which extractor reads the message. */
export type Family = 'pppd' | 'pptpd' | 'pptp' | 'xl2tpd' | 'ipsec' | 'tunppp';

/** Log line formats the head parser recognises. */
export type LineFormat =
  | 'rfc3164'
  | 'rfc5424'
  | 'iso'
  | 'ctime'
  | 'macos-ppp'
  | 'tabbed'
  | 'json'
  | 'console'
  | 'macos-log'
  | 'bare';

/**
 * Typed events. One kind per mechanism-relevant message, whatever daemon or
 * wording produced it; the extractors map wording variants onto these.
 */
export type EvKind =
  // session lifecycle
  | 'ctrl-start' // PPTP control connection from a client (pptpd)
  | 'ctrl-end' // PPTP control connection finished (pptpd)
  | 'call-start' // pptpd launches pppd for a call
  | 'child-reaped' // pptpd reaped its pppd child (pid)
  | 'call-up' // PPTP client: outgoing call established
  | 'call-clear' // PPTP Call-Clear-Request / Call-Disconnect-Notify (dir)
  | 'ctrl-eof' // PPTP control TCP closed by the other side
  | 'ctrl-stop' // PPTP Stop-Control-Connection-Request received (a proper end)
  | 'ctrl-connect-fail' // client could not reach the server's control port
  | 'connecting' // client starts connecting (macOS "L2TP connecting to server")
  | 'tunnel-up' // macOS plugin: L2TP/PPTP connection established
  | 'transport-hangup' // macOS plugin: L2TP/PPTP hangup
  | 'ppp-start' // pppd started (version)
  | 'iface' // pppd: Using interface pppN
  | 'connect' // pppd: Connect: pppN <--> device
  | 'plugin' // pppd: Plugin X loaded
  | 'peer' // peer address learnt (calling number, ip-up script)
  | 'user' // authenticated user name learnt
  | 'ip-local'
  | 'ip-remote'
  | 'connect-time'
  | 'bytes'
  | 'hangup' // pppd: Modem hangup
  | 'terminated' // pppd: Connection terminated.
  | 'exit' // pppd: Exit.
  | 'signal' // pppd killed by a signal (local hang-up)
  | 'user-request' // LCP closed on local request
  | 'lcp-down'
  | 'exit-code' // pppd exit status reported by its parent (xl2tpd)
  | 'link-down' // tunppp: link ended (reason, connect minutes, bytes)
  // LCP / control protocols
  | 'cp-timeout' // <proto>: timeout sending Config-Requests
  | 'rcvd-lcp' // any LCP packet from the peer (the peer is reachable)
  | 'lcp-confreq' // LCP Configure-Request carrying an auth option (dir, method)
  | 'auth-rejected' // LCP Configure-Reject/Nak of the auth option (dir)
  | 'termreq' // LCP Terminate-Request (dir, reason)
  | 'termack' // LCP Terminate-Ack (dir)
  | 'term-by-peer' // "<proto> terminated by peer (reason)"
  | 'echo-timeout' // No response to N echo-requests
  | 'link-dead' // Serial link appears to be disconnected
  | 'ccp-protrej' // the peer Protocol-Rejected CCP
  // authentication
  | 'auth-ok' // side: 'local' (we authenticated to the peer) | 'peer'
  | 'auth-fail' // side, method, code (MS-CHAP E=nnn)
  | 'no-secret' // no secret for a user (side)
  | 'peer-refused-auth' // the peer refused to authenticate
  | 'auth-required-nosecret' // we require peer auth but have no secrets for it
  // encryption
  | 'mppe-up'
  | 'mppe-no-kernel'
  | 'mppe-peer-failed'
  | 'mppe-no-mschap'
  // kernel / devices
  | 'dev-ppp-open' // Couldn't open /dev/ppp (reason)
  | 'no-kernel-ppp'
  // addressing
  | 'ip-not-authorized'
  | 'ip-set-fail'
  | 'no-remote-ip'
  | 'ip-refused'
  | 'pool-empty'
  // RADIUS policy refusals carried in a rejection (Reply-Message)
  | 'simultaneous-use' // FreeRADIUS Simultaneous-Use: "You are already logged in", "Multiple logins (max N)"
  // PPTP data plane
  | 'gre-read-fail'
  | 'gre-write-fail'
  | 'gre-pty-fail'
  | 'emsgsize'
  | 'pptp-echo-timeout'
  // L2TP
  | 'l2tp-tunnel-up'
  | 'l2tp-call-up'
  | 'l2tp-retries'
  | 'l2tp-tunnel-closed'
  | 'l2tp-call-closed'
  | 'l2tp-kill-ppp'
  | 'l2tp-avp-error'
  | 'l2tp-result'
  | 'l2tp-msg'
  | 'l2tp-denied'
  | 'l2tp-tunnel-auth-fail'
  | 'l2tp-tunnel-secret-missing' // no tunnel secret for the peer (dir 'local': ours; 'peer': the peer's StopCCN says it has none)
  | 'l2tp-hello-timeout'
  | 'l2tp-ipsec-secret-missing'
  // IPsec
  | 'ipsec-start'
  | 'ike-up'
  | 'child-up'
  | 'ike-psk-missing'
  | 'ike-auth-fail'
  | 'ike-no-proposal'
  | 'ike-no-conn'
  | 'ike-timeout'
  | 'nat-detected'
  | 'ike-deleted'
  // clients
  | 'ras-error' // Windows RAS error code (n)
  | 'ras-dial' // Windows RasClient: dialling with a tunnel type (transport; reason: pptp l2tp ikev2 sstp)
  | 'options-error' // pppd refused its options or a plugin
  | 'ipsec-kernel-fail' // the IKE daemon could not install SAs/policies in the kernel
  | 'ike-cert-fail' // certificate or identity constraint rejected
  | 'dpd-timeout'; // IKE dead peer detection declared the peer dead

/** What an extractor returns: the kind plus the fields it could read. */
export interface EvFields {
  kind: EvKind;
  /** 'sent' / 'rcvd' for packets; 'local' / 'peer' for authentication. */
  dir?: string;
  peer?: string;
  reason?: string;
  method?: string;
  user?: string;
  iface?: string;
  ip?: string;
  proto?: string;
  n?: number;
  n2?: number;
  pid?: number;
  tunnel?: number;
  /** IPsec phase (1 or 2) when the message says. */
  phase?: number;
  /** Transport named by the message ('pptp' | 'l2tp'). */
  transport?: string;
  /** A second address (remote IP when a line names both). */
  ip2?: string;
  n3?: number;
}

/** An event: extracted fields plus where it came from. */
export interface Ev extends EvFields {
  /** Index into Report.inputs. */
  file: number;
  /** 1-based line number in that input. */
  line: number;
  /** Epoch ms (local time read as UTC), NaN when the line has no timestamp. */
  tsMs: number;
  /** The whole log line, for evidence. */
  text: string;
}

/** A log line as evidence: `file:line` and its text. */
export interface EvidenceLine {
  file: string;
  line: number;
  text: string;
}

/** Severity of a cause, worst first. */
export type Severity = 'critical' | 'error' | 'warning' | 'info';

/** How sure a rule is that this cause is the one. */
export type Confidence = 'high' | 'medium' | 'low';

/** One concrete change, for one place (pptpd options, Windows, ...). */
export interface FixStep {
  /** Where the change goes, e.g. 'pptpd options (/etc/ppp/pptpd-options)', 'Windows', 'tunppp'. */
  target: string;
  /** Exact lines or commands. */
  lines: string[];
  /** Optional remark. */
  note?: string;
}

/** How a session ended. */
export interface SessionEnd {
  /** Who hung up: 'local' (this side), 'peer', 'network' (timeout, lost link), 'system' (no kernel support etc.), 'unknown'. */
  by: 'local' | 'peer' | 'network' | 'system' | 'unknown';
  /** Short reason in words. */
  reason: string;
}

/** One rebuilt VPN session in the report. */
export interface SessionReport {
  /** 1-based, in order of first line. */
  id: number;
  /** 'pptp' | 'l2tp' | 'ppp' (transport unknown) | 'ipsec'. */
  kind: 'pptp' | 'l2tp' | 'ppp' | 'ipsec';
  /** 'server' | 'client' | 'unknown'. */
  role: 'server' | 'client' | 'unknown';
  host: string | null;
  /** The other end's public address (client address on a server). */
  client: string | null;
  /** Controlling daemon pid (pptpd / xl2tpd / charon...). */
  controlPid: number | null;
  /** The pppd pid the controller launched. */
  pppdPid: number | null;
  interface: string | null;
  user: string | null;
  /** Authentication method seen ('MS-CHAP-v2', 'CHAP', 'PAP'...). */
  auth: string | null;
  /** e.g. 'MPPE 128-bit stateless'. */
  mppe: string | null;
  localIp: string | null;
  remoteIp: string | null;
  /** Timestamps as ISO 8601 local time without zone, as the log prints them. */
  start: string | null;
  end: string | null;
  /** Seconds between first and last line, or pppd's "Connect time". */
  connectSeconds: number | null;
  bytesSent: number | null;
  bytesReceived: number | null;
  /**
   * 'ok' (up, no failure), 'dropped' (was up, then failed), 'failed' (never came up),
   * 'open' (no end in the log), 'partial' (the log holds only the tail of it, nothing wrong seen).
   */
  outcome: 'ok' | 'dropped' | 'failed' | 'open' | 'partial';
  ended: SessionEnd | null;
  /** Cause ids found in this session, most important first. */
  causes: string[];
  /** `file:line` of the first and last line of the session. */
  firstLine: string;
  lastLine: string;
}

/** A diagnosis, aggregated over the sessions where it was found. */
export interface Finding {
  /** Stable id from docs/doctor.md (e.g. 'gre-path-mtu'). */
  cause: string;
  /** Coarse group of the cause ('path-mtu', 'kernel-support'...). */
  category: string;
  severity: Severity;
  confidence: Confidence;
  title: string;
  /** Sessions where the rule fired (ids; capped, see `sessionCount`). */
  sessions: number[];
  sessionCount: number;
  /** The lines that show it (capped). */
  evidence: EvidenceLine[];
  /** What the daemons did and why that breaks the session. */
  explanation: string;
  /** What this log in particular shows (e.g. how a low-confidence cause was inferred), or null. */
  detail: string | null;
  /** Concrete changes, one per place. */
  fix: FixStep[];
}

/** A harmless line that looks alarming. */
export interface BenignReport {
  id: string;
  title: string;
  /** Why it is harmless. */
  why: string;
  count: number;
  examples: EvidenceLine[];
}

/** One input file (or stdin). */
export interface InputReport {
  name: string;
  bytes: number;
  lines: number;
  /** Set when the input could not be read to the end (binary, truncated, missing). */
  error: string | null;
}

/** Counters over all inputs. */
export interface ReportStats {
  lines: number;
  /** Lines per recognised format. */
  formats: Partial<Record<LineFormat, number>>;
  /** Lines per daemon family (lines whose program is not a VPN daemon are not counted here). */
  daemons: Partial<Record<Family, number>>;
  /** Lines that became events. */
  eventLines: number;
  /** Benign lines. */
  benignLines: number;
  /** Lines from VPN daemons (or without a program) that no extractor understood; kept and counted, never fatal. */
  unknownLines: number;
  /** Lines from other programs (kernel, sshd, cron...). */
  otherLines: number;
}

/**
 * How much of the input doctor understood. `verdict`: 'ok'; 'not-understood'
 * when more than half of the lines from VPN daemons or without a program
 * name were not understood (a format doctor does not read, or a daemon's
 * wording it does not know); 'no-vpn-lines' when no line was from a VPN
 * daemon at all. Any verdict but 'ok' makes a report without findings exit 3.
 */
export interface Coverage {
  verdict: 'ok' | 'not-understood' | 'no-vpn-lines';
  /** Lines not understood (= stats.unknownLines). */
  notUnderstood: number;
  /** Lines from VPN daemons or without a program name (events + benign + not understood). */
  of: number;
  /** The first line not understood. */
  example: EvidenceLine | null;
  /** The sentence the text report prints, or null when 'ok'. */
  message: string | null;
}

/** The whole `--json` document. */
export interface Report {
  schema: typeof REPORT_SCHEMA;
  inputs: InputReport[];
  stats: ReportStats;
  summary: {
    sessions: number;
    ok: number;
    dropped: number;
    failed: number;
    open: number;
    partial: number;
    /** Sessions counted but not listed in `sessions` (the list is capped). */
    sessionsOmitted: number;
    findings: number;
    /** The first finding's cause, or null. */
    topCause: string | null;
    /** Whether doctor could read these logs at all (a report of no findings means nothing otherwise). */
    coverage: Coverage;
  };
  /** Most important first. */
  findings: Finding[];
  benign: BenignReport[];
  sessions: SessionReport[];
}
