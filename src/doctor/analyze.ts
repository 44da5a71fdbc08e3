/**
 * The doctor pipeline as one pure object: feed it lines (or byte chunks),
 * get a `Report`. No I/O; the CLI reads files through input.ts.
 *
 * Per line: parse the head (offsets only); lines from programs that are not
 * VPN daemons are counted and dropped without cutting any string. Daemon
 * lines are checked against the benign list, then turned into an event and
 * routed to a session. Finished sessions are diagnosed at once and reduced
 * to a summary, so memory does not grow with the input.
 */
import { BENIGN, matchBenign } from './benign.js';
import { cause } from './causes.js';
import { extractAny, extractFor, familyOf } from './extract/index.js';
import { headHost, headMessage, headTime, newHead, parseHead, syslogProgramSpan, type LineHead, type YearContext } from './line-head.js';
import { splitKvTail, unquoteValue } from '../log/kv-tail.js';
import { LineSplitter, utf8Text } from './lines.js';
import { stripAnsi } from './unwrap.js';
import { isInformational } from './informational.js';
import { diagnose, type RuleHit } from './rules/index.js';
import type { Session } from './session.js';
import { SessionBuilder } from './sessions.js';
import { TunpppRouter } from './tunppp.js';
import {
  REPORT_SCHEMA,
  type BenignReport,
  type Confidence,
  type Coverage,
  type Ev,
  type EvFields,
  type EvidenceLine,
  type Family,
  type Finding,
  type InputReport,
  type LineFormat,
  type Report,
  type SessionEnd,
  type SessionReport,
} from './types.js';

/** Options for an analysis. */
export interface AnalyzeOptions {
  /** Year for timestamps that carry none (RFC 3164). Default 1970 so output is reproducible; the CLI passes the current year. */
  year?: number;
  /** Sessions listed in the report (the rest are counted). Default 2000. */
  maxSessions?: number;
  /** Evidence lines kept per finding. Default 12. */
  maxEvidence?: number;
  /**
   * The hot-path shortcuts (default true; tests compare both): syslog lines of
   * other programs counted without cutting strings, and the message memo.
   * False runs the plain reference path.
   */
  fastPath?: boolean;
}

interface Aggregate {
  cause: string;
  confidence: Confidence;
  sessions: SessionReport[];
  sessionCount: number;
  evidence: Ev[];
  firstSeq: number;
  detail: string | null;
  /** Sessions where another cause led to this one (chain.ts), and those causes. */
  explained: number;
  explainers: Set<string>;
}

/**
 * `name[digits]: ` at the start of a message (daemons that prefix their own
 * name, within the first 40 characters): the offset after it, else 0.
 */
function dupPrefixEnd(msg: string): number {
  const n = Math.min(msg.length, 43);
  let i = 0;
  for (; i < n; i++) {
    const c = msg.charCodeAt(i);
    // [\w.-]
    if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 46 || c === 45)) break;
  }
  if (i === 0 || msg.charCodeAt(i) !== 91) return 0;
  const d0 = ++i;
  while (i < n && msg.charCodeAt(i) >= 48 && msg.charCodeAt(i) <= 57) i++;
  if (i === d0 || i >= 40 || msg.charCodeAt(i) !== 93 || msg.charCodeAt(i + 1) !== 58 || msg.charCodeAt(i + 2) !== 32) return 0;
  return i + 3;
}

/**
 * A sequential copy of a latin1 string (a slice of 13 or more characters is
 * a view into its parent): `sameAt` then reads one kind of string for the
 * host. Called only when the host changes.
 */
function flat(s: string): string {
  if (s.length < 13) return s;
  const c = Buffer.from(s, 'latin1').latin1Slice(0, s.length);
  return c === s ? c : s;
}

/** counts[family]++ with constant property names (a keyed increment by a variable name is a slow generic store). */
function countFamily(counts: Record<Family, number>, family: Family): void {
  switch (family) {
    case 'pppd': counts.pppd++; break;
    case 'pptpd': counts.pptpd++; break;
    case 'pptp': counts.pptp++; break;
    case 'xl2tpd': counts.xl2tpd++; break;
    case 'ipsec': counts.ipsec++; break;
    case 'tunppp': counts.tunppp++; break;
  }
}

/**
 * `Label:      value`, `Label:` alone, `Label   : value` (PowerShell
 * Format-List) or `Key = value`, with a label of at most 40 characters: the
 * field lines of a pasted Windows event (Event Viewer's "copy details",
 * wevtutil, Get-WinEvent), in any language. A daemon message with a colon
 * has one blank after it ("Connect: ppp0 <--> …"), so it is no field line
 * unless `loose` (the line follows another field line: Event Viewer pads
 * labels to a column, so a long label gets only one blank).
 */
export function isFieldLine(msg: string, loose = false): boolean {
  let i = 0;
  const n = Math.min(msg.length, 41);
  while (i < n && (msg.charCodeAt(i) === 32 || msg.charCodeAt(i) === 9)) i++;
  const start = i;
  // A label is a few words ("Log Name", "Task Category", "Dial-in User"), not a sentence.
  let words = 1;
  for (; i < n; i++) {
    const c = msg.charCodeAt(i);
    if (c === 32 && msg.charCodeAt(i + 1) !== 32 && msg.charCodeAt(i + 1) !== 58 && msg.charCodeAt(i + 1) !== 61 && ++words > 4) return false;
    if (c === 58 /* : */) {
      if (i === start) return false;
      const a = msg.charCodeAt(i + 1);
      const b = msg.charCodeAt(i + 2);
      if (i + 1 >= msg.length) return true;
      if (msg.charCodeAt(i - 1) === 32 && a === 32) return true;
      return (a === 32 || a === 9) && (loose || b === 32 || b === 9);
    }
    if (c === 61 /* = */) return i > start && msg.charCodeAt(i - 1) === 32 && (msg.charCodeAt(i + 1) === 32 || i + 1 >= msg.length);
    if (c === 91 || c === 60 || c === 123) return false;
  }
  return false;
}

/** True when `text` holds `s` at offset `at` (a plain loop: faster than startsWith for short s). */
function sameAt(text: string, at: number, s: string): boolean {
  const n = s.length;
  if (at + n > text.length) return false;
  for (let i = 0; i < n; i++) if (text.charCodeAt(at + i) !== s.charCodeAt(i)) return false;
  return true;
}
/** Event kinds whose wording overlaps a benign pattern. */
const BENIGN_OVERLAP = new Set<string>(['no-kernel-ppp', 'gre-read-fail', 'gre-write-fail', 'ccp-protrej', 'l2tp-avp-error', 'ip-set-fail']);

const CONF_RANK: Record<Confidence, number> = { high: 0, medium: 1, low: 2 };

/** Analyses log lines into a report. */
export class Analyzer {
  private readonly head = newHead();
  private readonly years: YearContext[] = [];
  private readonly inputs: InputReport[] = [];
  private readonly builder: SessionBuilder;
  private readonly formatCounts: Record<LineFormat, number> = { rfc3164: 0, rfc5424: 0, iso: 0, ctime: 0, 'macos-ppp': 0, tabbed: 0, json: 0, console: 0, 'macos-log': 0, bare: 0 };
  private readonly daemonCounts: Record<Family, number> = { pppd: 0, pptpd: 0, pptp: 0, xl2tpd: 0, ipsec: 0, tunppp: 0 };
  private lines = 0;
  private eventLines = 0;
  private benignLines = 0;
  private unknownLines = 0;
  private otherLines = 0;
  private readonly benign = BENIGN.map(() => ({ count: 0, examples: [] as EvidenceLine[] }));
  private readonly aggregates = new Map<string, Aggregate>();
  private readonly sessions: SessionReport[] = [];
  /** Sort key of each listed session: input, first line, creation order. */
  private readonly order = new WeakMap<SessionReport, [number, number, number]>();
  private readonly outcomes = { ok: 0, dropped: 0, failed: 0, open: 0, partial: 0 };
  private sessionTotal = 0;
  private readonly maxSessions: number;
  private readonly maxEvidence: number;
  private readonly year: number;
  private finished: Report | null = null;
  private lastStamp = '';
  private lastStampMs = NaN;
  private lastStampFile = -1;

  private readonly fast: boolean;

  constructor(opts: AnalyzeOptions = {}) {
    this.year = opts.year ?? 1970;
    this.fast = opts.fastPath ?? true;
    this.maxSessions = opts.maxSessions ?? 2000;
    this.maxEvidence = opts.maxEvidence ?? 12;
    this.builder = new SessionBuilder((s) => this.finalSession(s));
  }

  /** Registers an input; returns its index for `line()`. */
  beginInput(name: string): number {
    this.inputs.push({ name, bytes: 0, lines: 0, error: null });
    this.years.push({ year: this.year, lastMonth: -1 });
    return this.inputs.length - 1;
  }

  /** Records the size of an input and any read error. */
  endInput(file: number, bytes: number, lines: number, error: string | null = null): void {
    const i = this.inputs[file]!;
    i.bytes = bytes;
    i.lines = lines;
    i.error = error;
  }

  /** A line splitter feeding this analyzer for input `file`. */
  splitter(file: number): LineSplitter {
    return new LineSplitter(
      (text, n) => this.line(file, n, text, true),
      this.fast ? (bytes, start, end) => this.skipOther(bytes, start, end) : undefined,
    );
  }

  /** Offsets found by the fast path: [progStart, progEnd, tsEnd, hostStart, hostEnd, pid, msgStart]. */
  private readonly span = [0, 0, 0, 0, 0, 0, 0];
  /** The fast path parsed the next line's head already (a VPN daemon's syslog line). */
  private preKind = 0;
  private preStart = 0;
  private preFamily: Family = 'pppd';

  /**
   * The cheap path for syslog lines from programs doctor ignores (kernel,
   * sshd, cron...): counted from the input bytes without making a string.
   * Same counts as `line()` would make. For a VPN daemon's line the offsets
   * it found are handed to `line()`, which then skips the head parser.
   */
  private skipOther(bytes: Buffer, start: number, end: number): boolean {
    const span = this.span;
    const kind = syslogProgramSpan(bytes, start, end, span);
    if (kind === 0) return false;
    const family = this.programFamilyBytes(bytes, span[0]!, span[1]!);
    if (family !== null) {
      this.preKind = kind;
      this.preStart = start;
      this.preFamily = family;
      return false;
    }
    this.lines++;
    this.otherLines++;
    if (kind === 1) this.formatCounts.rfc3164++;
    else this.formatCounts.iso++;
    return true;
  }

  /** The family of a line parsed by parseHead; 'other' when counted as another program's line. */
  private headFamily(text: string, h: LineHead): Family | null | 'other' {
    let family: Family | null = null;
    if (h.json) {
      family = h.json.program ? familyOf(h.json.program) : null;
      if (h.json.program && !family) {
        this.otherLines++;
        return 'other';
      }
    } else if (h.progStart >= 0) {
      family = this.programFamily(text, h.progStart, h.progEnd);
      if (!family) {
        this.otherLines++;
        return 'other';
      }
    }
    return family;
  }

  /** Fills the head from the fast path's offsets (same values parseHead sets for these lines). */
  private headFromSpan(h: LineHead): void {
    const span = this.span;
    const o = this.preStart;
    h.format = this.preKind === 1 ? 'rfc3164' : 'iso';
    h.json = null;
    h.tsStart = 0;
    h.tsEnd = span[2]! - o;
    h.hostStart = span[3]! - o;
    h.hostEnd = span[4]! - o;
    h.progStart = span[0]! - o;
    h.progEnd = span[1]! - o;
    h.pid = span[5]!;
    h.msgStart = span[6]! - o;
  }

  /**
   * Analyses one line (without its newline). `owned`: the text is a string
   * of its own, not a slice of a larger one (the splitter's lines), so
   * strings cut from it keep nothing else alive.
   */
  line(file: number, lineNo: number, text: string, owned = false): void {
    if (this.pretty !== null) {
      if (this.preKind === 0 && this.prettyAdd(file, lineNo, text)) return;
      this.pretty = null;
    } else if (text.length === 1 && text.charCodeAt(0) === 123 && this.preKind === 0) {
      this.pretty = [text];
      this.prettyStart = lineNo;
      this.prettyFile = file;
      this.prettyLen = 1;
      this.countRecordLine();
      return;
    }
    this.lines++;
    const h = this.head;
    let family: Family | null = null;
    if (this.preKind !== 0) {
      // The fast path found the head and the family already.
      this.headFromSpan(h);
      if (this.preKind === 1) this.formatCounts.rfc3164++;
      else this.formatCounts.iso++;
      this.preKind = 0;
      family = this.preFamily;
    } else {
      // docker compose colours its prefix
      if (text.charCodeAt(0) === 27) text = stripAnsi(text);
      parseHead(text, h);
      this.formatCounts[h.format]++;
      const f = this.headFamily(text, h);
      if (f === 'other') return;
      family = f;
    }
    // From here on every string cut from the line (message, regex captures
    // kept in sessions, evidence) must not point into a larger string (a
    // caller's whole text), or that stays alive as long as the session or
    // report does. The splitter hands over lines decoded on their
    // own; any other caller's text is copied.
    if (!owned) text = (text + ' ').slice(0, -1);
    let msg = headMessage(text, h);
    if (!msg) {
      if (family) {
        this.unknownLines++;
        this.firstUnknown ??= { file, line: lineNo, text };
      } else this.otherLines++;
      return;
    }
    if (family) {
      countFamily(this.daemonCounts, family);
      // `xl2tpd[1]: xl2tpd[1]: msg` (daemons that prefix their own name)
      const k = dupPrefixEnd(msg);
      if (k > 0) msg = msg.slice(k);
    }
    // tunppp's own lines (src/log/logger.ts): `[level: ]message key=value… event=id`;
    // TunpppRouter keys the session, tunpppEvent reads the event id and fields.
    let sub: string | undefined;
    let kv: Record<string, string> | null = null;
    if (family === 'tunppp') {
      const t = tunpppFields(msg, h.json?.extra ?? null);
      msg = t.msg;
      kv = t.kv;
      sub = this.tunppp.route(h.pid, kv);
    }
    let fields: EvFields | null = null;
    /** matchBenign(msg) when already known, else -2. */
    let benign = -2;
    if (kv && matchBenign(msg) < 0) fields = tunpppEvent(kv, msg);
    else if (family && family !== 'tunppp') {
      const r = this.extracted(family, msg, h.json ? msg : text);
      fields = r.fields;
      benign = r.benign;
    } else {
      const any = extractAny(msg);
      if (any) {
        fields = any.ev;
        family ??= any.family;
      }
    }
    // Benign lines never become events. Only a few event kinds share wording
    // with a benign pattern, so the check runs for those and for lines
    // nothing understood (which is where benign lines land).
    if (!fields || BENIGN_OVERLAP.has(fields.kind)) {
      const b = benign !== -2 ? benign : matchBenign(msg);
      if (b >= 0) {
        this.benignLines++;
        const slot = this.benign[b]!;
        slot.count++;
        if (slot.examples.length < 5) slot.examples.push({ file: this.inputs[file]!.name, line: lineNo, text: utf8Text(text) });
        return;
      }
    }
    if (family && !fields && isInformational(family, msg)) {
      this.otherLines++;
      return;
    }
    if (!fields || !family) {
      // A pasted Windows event's fields (`Event ID:      20227`, `Device = WAN Miniport (PPTP)`) are no daemon lines.
      if (!family && h.progStart < 0 && !h.json && isFieldLine(msg, this.fieldRun)) {
        this.otherLines++;
        this.fieldRun = true;
      } else {
        this.unknownLines++;
        this.fieldRun = false;
        this.firstUnknown ??= { file, line: lineNo, text };
      }
      return;
    }
    this.eventLines++;
    const ev = makeEv(fields, file, lineNo);
    // Same stamp as the previous event line (common in bursts): reuse its value.
    const h2 = h;
    if (h2.tsStart >= 0 && !h2.json && this.lastStamp && h2.tsEnd - h2.tsStart === this.lastStamp.length && sameAt(text, h2.tsStart, this.lastStamp) && this.lastStampFile === file) ev.tsMs = this.lastStampMs;
    else {
      ev.tsMs = headTime(text, h, this.years[file]!);
      if (h2.tsStart >= 0 && !h2.json) {
        this.lastStamp = text.slice(h2.tsStart, h2.tsEnd);
        this.lastStampMs = ev.tsMs;
        this.lastStampFile = file;
      }
    }
    ev.text = text;
    this.builder.add(ev, family, this.host(text, h), h.pid, sub);
  }

  /**
   * Daemons repeat the same messages verbatim ("Exit.", "Connection
   * terminated.", "CTRL: Starting call ...", the benign ones) in every
   * session: the event fields and the benign verdict of a message are
   * remembered per family. Extractors are pure functions of the message and
   * the fields object is only read (makeEv copies it), so sharing is safe.
   * Bounded: short messages only, in a fixed table.
   */
  /** Slot i: the message, its family and its result at 3i, 3i+1, 3i+2 (one array: one cache line per probe). */
  private readonly memo: (string | MsgMemo | null)[] = new Array<string | MsgMemo | null>(MEMO_SLOTS * 3).fill(null);

  /** `line`: a string that ends with `msg` (the line, or msg itself). */
  private extracted(family: Family, msg: string, line: string): MsgMemo {
    const n = msg.length;
    if (n > MEMO_MAX_LEN || n === 0 || !this.fast) return extractMsg(family, msg);
    // Direct-mapped table indexed by a hash of every character, read from
    // the line (`msg` is its tail; the line is a sequential string, the
    // message a slice of it, slower to read); a slot is used only when the
    // text is equal. A hash of five sampled characters let variants that
    // differ in one digit ("Connect time 2.4 minutes." / "2.3 minutes.")
    // share a slot and evict each other on every line.
    let x = Math.imul(n, 0x9e3779b1) ^ FAMILY_SALT[family];
    for (let k = line.length - n; k < line.length; k++) x = Math.imul(x ^ line.charCodeAt(k), 0x01000193);
    x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
    const i = ((x ^ (x >>> 13)) & (MEMO_SLOTS - 1)) * 3;
    const memo = this.memo;
    if (memo[i] === msg && memo[i + 1] === family) return memo[i + 2] as MsgMemo;
    const fresh = extractMsg(family, msg);
    // Admission: a message enters the table on its second sighting. Most
    // misses are messages seen once (peer addresses, pids, byte counts);
    // stored, they lived until evicted thousands of lines later, long enough
    // to be promoted to the old generation with the line they point into
    // (108 MB promoted on the generated 200 MB log). The filter holds only
    // full-text hashes, so it keeps nothing alive.
    const y = x | 1;
    const seen = this.memoSeen;
    const j = (y >>> 12) & (MEMO_SEEN_SLOTS - 1);
    if (seen[j] !== y) {
      seen[j] = y;
      return fresh;
    }
    memo[i] = msg;
    memo[i + 1] = family;
    memo[i + 2] = fresh;
    return fresh;
  }

  /** Full-text hashes of recently missed messages (memo admission filter). */
  private readonly memoSeen = new Int32Array(MEMO_SEEN_SLOTS);

  private readonly tunppp = new TunpppRouter();
  private lastHost: string | null = null;

  /** The host; the previous line's string object when equal, so map keys built from it hash once. */
  private host(text: string, h: typeof this.head): string | null {
    if (h.json || h.hostStart < 0) return headHost(text, h);
    const last = this.lastHost;
    if (last !== null && last.length === h.hostEnd - h.hostStart && sameAt(text, h.hostStart, last)) return last;
    return (this.lastHost = flat(text.slice(h.hostStart, h.hostEnd)));
  }

  private progCache: { name: string; family: Family | null }[] = [];

  /**
   * familyOf for the program token at [ps, pe), without cutting a string for
   * names seen before (the per-line cost for the many non-VPN lines).
   */
  private programFamily(text: string, ps: number, pe: number): Family | null {
    const len = pe - ps;
    const cache = this.progCache;
    for (let i = 0; i < cache.length; i++) {
      const c = cache[i]!;
      if (c.name.length === len && sameAt(text, ps, c.name)) {
        // Keep hot names in front.
        if (i > 0) {
          cache[i] = cache[i - 1]!;
          cache[i - 1] = c;
        }
        return c.family;
      }
    }
    const name = text.slice(ps, pe);
    const family = familyOf(name);
    if (cache.length < 64) cache.push({ name, family });
    else cache[cache.length - 1] = { name, family };
    return family;
  }

  /** programFamily for the program token at bytes [ps, pe) (the same table; a string is cut only for a new name). */
  private programFamilyBytes(b: Buffer, ps: number, pe: number): Family | null {
    const len = pe - ps;
    const cache = this.progCache;
    for (let i = 0; i < cache.length; i++) {
      const c = cache[i]!;
      const name = c.name;
      if (name.length !== len) continue;
      let k = 0;
      while (k < len && name.charCodeAt(k) === b[ps + k]) k++;
      if (k === len) {
        if (i > 0) {
          cache[i] = cache[i - 1]!;
          cache[i - 1] = c;
        }
        return c.family;
      }
    }
    const name = b.latin1Slice(ps, pe);
    const family = familyOf(name);
    if (cache.length < 64) cache.push({ name, family });
    else cache[cache.length - 1] = { name, family };
    return family;
  }

  /**
   * `journalctl -o json-pretty`: one record over many lines, from a line
   * `{` to a line `}`. The record is read as one JSON line numbered by its
   * `{`; its other lines count as other lines. Bounded: a record over
   * PRETTY_MAX_LINES lines or PRETTY_MAX_CHARS characters is no journald
   * record, and its lines stay counted as other lines.
   */
  private pretty: string[] | null = null;
  private prettyStart = 0;
  private prettyFile = 0;
  private prettyLen = 0;

  private countRecordLine(): void {
    this.lines++;
    this.otherLines++;
    this.formatCounts.json++;
  }

  /** Adds a line to the pending record; false when the line is not part of one (the record is dropped). */
  private prettyAdd(file: number, lineNo: number, text: string): boolean {
    const buf = this.pretty!;
    if (file !== this.prettyFile) return false;
    if (text.length === 1 && text.charCodeAt(0) === 125 /* } */) {
      buf.push(text);
      this.pretty = null;
      this.line(file, this.prettyStart, buf.join(' '), true);
      return true;
    }
    const c = text.charCodeAt(0);
    // Members are indented (journalctl uses a tab); anything else ends the attempt.
    if ((c !== 9 && c !== 32) || buf.length >= PRETTY_MAX_LINES || this.prettyLen + text.length > PRETTY_MAX_CHARS) return false;
    buf.push(text);
    this.prettyLen += text.length;
    this.countRecordLine();
    return true;
  }

  /** The first line not understood (the coverage verdict's example). */
  private firstUnknown: { file: number; line: number; text: string } | null = null;

  /** The last program-less line was a field line of a pasted event (then `Task Category: None`, one blank, is one too). */
  private fieldRun = false;

  /** Feeds a whole text (tests, small inputs). */
  text(file: number, content: string): void {
    const sp = this.splitter(file);
    sp.push(Buffer.from(content, 'utf8'));
    sp.end();
    this.endInput(file, sp.bytes, sp.lines);
  }

  private finalSession(s: Session): void {
    const hits = diagnose(s);
    const outcome = sessionOutcome(s, hits);
    this.sessionTotal++;
    this.outcomes[outcome]++;
    // Only listed sessions are summarised in full (dates, end reason).
    const rep = this.sessions.length < this.maxSessions ? summarize(s, hits, outcome, this.inputs) : null;
    if (rep) {
      this.sessions.push(rep);
      this.order.set(rep, [s.firstFile, s.firstLine, s.seq]);
    }
    for (const h of hits) {
      let a = this.aggregates.get(h.cause);
      if (!a) {
        a = { cause: h.cause, confidence: h.confidence, sessions: [], sessionCount: 0, evidence: [], firstSeq: s.seq, detail: h.detail ?? null, explained: 0, explainers: new Set() };
        this.aggregates.set(h.cause, a);
      }
      a.sessionCount++;
      if (h.explainedBy) {
        a.explained++;
        if (a.explainers.size < 8) a.explainers.add(h.explainedBy);
      }
      a.detail ??= h.detail ?? null;
      if (CONF_RANK[h.confidence] < CONF_RANK[a.confidence]) a.confidence = h.confidence;
      if (a.sessions.length < 50 && rep) a.sessions.push(rep);
      for (const e of h.evidence) if (a.evidence.length < this.maxEvidence) a.evidence.push(e);
    }
  }

  /** The coverage verdict (types.ts `Coverage`). */
  private coverage(): Coverage {
    const of = this.eventLines + this.benignLines + this.unknownLines;
    const n = this.unknownLines;
    const u = this.firstUnknown;
    const example = u ? { file: this.inputs[u.file]!.name, line: u.line, text: utf8Text(u.text) } : null;
    if (of === 0 || this.eventLines + this.benignLines === 0 && n === 0) {
      return { verdict: 'no-vpn-lines', notUnderstood: n, of, example, message: `No line of these logs is from a VPN daemon doctor reads (pppd, pptpd, pptp, xl2tpd, IKE daemons, tunppp, Windows RAS events): ${this.lines} line${this.lines === 1 ? '' : 's'} from other programs. The logs may not hold the VPN's lines, or their format may not be supported.` };
    }
    if (n > 0 && n * 2 > of) {
      return { verdict: 'not-understood', notUnderstood: n, of, example, message: `${n} of ${of} lines were not understood — the format may not be supported, and what they hold is not in this report.` };
    }
    return { verdict: 'ok', notUnderstood: n, of, example: null, message: null };
  }

  /** Ends the analysis and returns the report (idempotent). */
  report(): Report {
    if (this.finished) return this.finished;
    this.builder.finish();
    // Session ids: order of first line.
    const key = (r: SessionReport): [number, number, number] => this.order.get(r) ?? [0, 0, r.id];
    this.sessions.sort((a, b) => {
      const x = key(a);
      const y = key(b);
      return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
    });
    this.sessions.forEach((s, i) => (s.id = i + 1));
    const findings: Finding[] = chainOrder(
      [...this.aggregates.values()].sort((a, b) => {
        const x = cause(a.cause);
        const y = cause(b.cause);
        const sev = ['critical', 'error', 'warning', 'info'];
        return sev.indexOf(x.severity) - sev.indexOf(y.severity) || CONF_RANK[a.confidence] - CONF_RANK[b.confidence] || y.priority - x.priority || b.sessionCount - a.sessionCount || a.firstSeq - b.firstSeq;
      }),
    ).map((a) => {
        const c = cause(a.cause);
        return {
          cause: c.id,
          category: c.category,
          severity: c.severity,
          confidence: a.confidence,
          title: c.title,
          sessions: a.sessions.map((s) => s.id),
          sessionCount: a.sessionCount,
          evidence: a.evidence.map((e) => ({ file: this.inputs[e.file]!.name, line: e.line, text: utf8Text(e.text) })),
          explanation: c.explanation,
          detail: a.detail ?? (a.explained === a.sessionCount && a.explainers.size ? `In ${a.explained === 1 ? 'its session' : `all ${a.explained} sessions`} this followed ${[...a.explainers].join(', ')} (listed before it): fix that first.` : null),
          fix: c.fix,
        };
      });
    const benign: BenignReport[] = [];
    BENIGN.forEach((b, i) => {
      const slot = this.benign[i]!;
      if (slot.count) benign.push({ id: b.id, title: b.title, why: b.why, count: slot.count, examples: slot.examples });
    });
    const formats: Report['stats']['formats'] = {};
    for (const [k, v] of Object.entries(this.formatCounts)) if (v) formats[k as LineFormat] = v;
    const daemons: Report['stats']['daemons'] = {};
    for (const [k, v] of Object.entries(this.daemonCounts)) if (v) daemons[k as Family] = v;
    this.finished = {
      schema: REPORT_SCHEMA,
      inputs: this.inputs,
      stats: { lines: this.lines, formats, daemons, eventLines: this.eventLines, benignLines: this.benignLines, unknownLines: this.unknownLines, otherLines: this.otherLines },
      summary: {
        sessions: this.sessionTotal,
        ok: this.outcomes.ok,
        dropped: this.outcomes.dropped,
        failed: this.outcomes.failed,
        open: this.outcomes.open,
        partial: this.outcomes.partial,
        sessionsOmitted: this.sessionTotal - this.sessions.length,
        findings: findings.length,
        topCause: findings[0]?.cause ?? null,
        coverage: this.coverage(),
      },
      findings,
      benign,
      sessions: this.sessions,
    };
    return this.finished;
  }
}

/**
 * Findings in report order: the sort above, except that a cause that only
 * ever followed another in its sessions (chain.ts: explained in every session
 * it was found in) moves right after the last of the causes that led to it.
 */
function chainOrder(list: Aggregate[]): Aggregate[] {
  const out = [...list];
  for (const a of list) {
    if (!a.explained || a.explained < a.sessionCount) continue;
    const from = out.indexOf(a);
    let last = -1;
    for (const e of a.explainers) last = Math.max(last, out.findIndex((x) => x.cause === e));
    if (last > from) {
      out.splice(from, 1);
      out.splice(last, 0, a);
    }
  }
  return out;
}

/** A message's event fields and benign pattern index (-1: none; -2: not checked, the event kind never overlaps). */
interface MsgMemo {
  fields: EvFields | null;
  benign: number;
}

const MEMO_MAX_LEN = 160;
const PRETTY_MAX_LINES = 400;
const PRETTY_MAX_CHARS = 1 << 20;
const MEMO_SLOTS = 4096;
const MEMO_SEEN_SLOTS = 16384;
const FAMILY_SALT: Record<Family, number> = { pppd: 0x1000193, pptpd: 0x2000327, pptp: 0x30004bb, xl2tpd: 0x400064f, ipsec: 0x50007e3, tunppp: 0x6000977 };

function extractMsg(family: Family, msg: string): MsgMemo {
  const fields = extractFor(family, msg);
  return { fields: fields && new EvData(fields), benign: !fields || BENIGN_OVERLAP.has(fields.kind) ? matchBenign(msg) : -2 };
}

/**
 * A message's event fields in one shape (every field, same order), made
 * once per distinct message (the memo keeps it), so the event accessors
 * below read one hidden class.
 */
class EvData implements EvFields {
  readonly kind: EvFields['kind'];
  readonly dir: string | undefined;
  readonly peer: string | undefined;
  readonly reason: string | undefined;
  readonly method: string | undefined;
  readonly user: string | undefined;
  readonly iface: string | undefined;
  readonly ip: string | undefined;
  readonly proto: string | undefined;
  readonly n: number | undefined;
  readonly n2: number | undefined;
  readonly pid: number | undefined;
  readonly tunnel: number | undefined;
  readonly phase: number | undefined;
  readonly transport: string | undefined;
  readonly ip2: string | undefined;
  readonly n3: number | undefined;
  constructor(f: EvFields) {
    this.kind = f.kind;
    this.dir = f.dir;
    this.peer = f.peer;
    this.reason = f.reason;
    this.method = f.method;
    this.user = f.user;
    this.iface = f.iface;
    this.ip = f.ip;
    this.proto = f.proto;
    this.n = f.n;
    this.n2 = f.n2;
    this.pid = f.pid;
    this.tunnel = f.tunnel;
    this.phase = f.phase;
    this.transport = f.transport;
    this.ip2 = f.ip2;
    this.n3 = f.n3;
  }
}

/**
 * One event: where and when, plus its message's fields, shared with every
 * line of the same message (read-only). Five own fields instead of a copy
 * of all twenty-one: the per-line allocation that sessions keep alive for
 * their grace period is a third of what it was.
 */
class LineEv implements Ev {
  tsMs = NaN;
  text = '';
  constructor(
    private readonly d: EvData,
    readonly file: number,
    readonly line: number,
  ) {}
  get kind(): EvFields['kind'] { return this.d.kind; }
  get dir(): string | undefined { return this.d.dir; }
  get peer(): string | undefined { return this.d.peer; }
  get reason(): string | undefined { return this.d.reason; }
  get method(): string | undefined { return this.d.method; }
  get user(): string | undefined { return this.d.user; }
  get iface(): string | undefined { return this.d.iface; }
  get ip(): string | undefined { return this.d.ip; }
  get proto(): string | undefined { return this.d.proto; }
  get n(): number | undefined { return this.d.n; }
  get n2(): number | undefined { return this.d.n2; }
  get pid(): number | undefined { return this.d.pid; }
  get tunnel(): number | undefined { return this.d.tunnel; }
  get phase(): number | undefined { return this.d.phase; }
  get transport(): string | undefined { return this.d.transport; }
  get ip2(): string | undefined { return this.d.ip2; }
  get n3(): number | undefined { return this.d.n3; }
}

function makeEv(f: EvFields, file: number, line: number): Ev {
  return new LineEv(f instanceof EvData ? f : new EvData(f), file, line);
}

/** Splits tunppp's text-format tail (`key=value… event=id`) off the message. */
function tunpppFields(msg: string, extra: Record<string, unknown> | null): { msg: string; kv: Record<string, string> } {
  let m = msg.replace(/^(?:debug|warn|error): /, '');
  const kv: Record<string, string> = {};
  if (extra) {
    // JSON format: the fields are the record's own; a `k=v` look-alike at the end of the
    // message is peer text (the JSON logger does not escape `=`) and must not override them.
    for (const [k, v] of Object.entries(extra)) if (typeof v === 'string' || typeof v === 'number') kv[k] = String(v);
    return { msg: m, kv };
  }
  // A linear scanner, not a regular expression: the line holds peer-chosen text (issue 12).
  const tail = splitKvTail(m);
  for (const f of tail.fields) kv[f.key] = f.quoted ? unquoteValue(f.value) : f.value;
  m = m.slice(0, tail.start);
  // The logger writes `=` as \x3d in a message that ends like fields (src/log/logger.ts fmtMessage).
  if (m.includes('\\x3d')) m = m.replace(/\\(?:\\|x3d)/g, (e) => (e === '\\x3d' ? '=' : e));
  return { msg: m, kv };
}

/**
 * tunppp's own lines: its stable event ids (src/log/logger.ts callers) say
 * what happened; the key=value fields carry peer, user and addresses. Other
 * lines go through the pppd-style extractors (its messages follow pppd's).
 */
function tunpppEvent(kv: Record<string, string>, msg: string): EvFields | null {
  const peer = kv.peer;
  switch (kv.event) {
    case 'control-start':
      return { kind: 'ctrl-start', peer, transport: kv.proto };
    case 'control-end':
    case 'tunnel-down':
      return { kind: 'ctrl-end', peer, reason: msg };
    case 'call-start':
      return { kind: 'call-start', peer, transport: kv.proto };
    case 'ipcp-up':
      return { kind: 'ip-local', ip: kv.local, ip2: kv.remote, user: kv.user };
    case 'link-down': {
      const m = /^link down: (.*?)\. Connect time ([\d.]+) minutes/.exec(msg);
      return { kind: 'link-down', reason: m?.[1] ?? msg, n: m ? Number(m[2]) : undefined, n2: kv.sent !== undefined ? Number(kv.sent) : undefined, n3: kv.received !== undefined ? Number(kv.received) : undefined };
    }
    case 'link-up':
      return { kind: 'ip-remote', ip: kv.ip, user: kv.user };
    case 'limit':
      return { kind: 'pool-empty', reason: msg };
    case 'tcp-error':
      return { kind: 'ctrl-connect-fail', peer, reason: msg, transport: 'pptp' };
  }
  const any = extractAny(msg);
  if (any) {
    any.ev.user ??= kv.user;
    if (any.ev.kind !== 'peer') any.ev.peer ??= peer;
  }
  return any?.ev ?? null;
}

function iso(ms: number): string | null {
  return Number.isFinite(ms) ? new Date(ms).toISOString().slice(0, 19) : null;
}

const START_KINDS = new Set(['ctrl-start', 'call-start', 'ppp-start', 'iface', 'connect', 'plugin', 'connecting', 'l2tp-tunnel-up', 'l2tp-call-up', 'ipsec-start', 'call-up']);
const END_KINDS = new Set(['ctrl-end', 'exit', 'terminated', 'hangup', 'l2tp-tunnel-closed', 'l2tp-call-closed', 'ike-deleted', 'transport-hangup', 'exit-code']);

/** How the session ended: who hung up and why, from its events. */
export function sessionEnd(s: Session): SessionEnd | null {
  const ev = s.events;
  const pick = (...kinds: string[]): Ev | undefined => ev.find((e) => kinds.includes(e.kind));
  let e: Ev | undefined;
  if ((e = pick('dev-ppp-open', 'no-kernel-ppp', 'mppe-no-kernel'))) return { by: 'system', reason: e.kind === 'mppe-no-kernel' ? 'kernel has no MPPE support' : `no kernel PPP support${e.reason ? ` (${e.reason})` : ''}` };
  if ((e = pick('emsgsize'))) return { by: 'network', reason: 'GRE socket error: Message too long (EMSGSIZE, path MTU)' };
  if ((e = pick('gre-read-fail', 'gre-write-fail'))) return { by: 'network', reason: `GRE socket error: ${e.reason ?? ''}`.trim() };
  if ((e = pick('echo-timeout'))) return { by: 'network', reason: `no response to ${e.n ?? '?'} LCP echo-requests` };
  if ((e = pick('link-dead', 'pptp-echo-timeout'))) return { by: 'network', reason: 'keepalive failed' };
  if ((e = pick('cp-timeout'))) return { by: 'network', reason: `${e.proto ?? 'LCP'}: no answer to Configure-Requests` };
  if ((e = pick('l2tp-retries', 'l2tp-hello-timeout', 'ike-timeout'))) return { by: 'network', reason: e.kind === 'ike-timeout' ? 'IKE: no answer from the peer' : 'L2TP control messages not acknowledged' };
  if ((e = ev.find((x) => x.kind === 'term-by-peer' || (x.kind === 'termreq' && x.dir === 'rcvd')))) return { by: 'peer', reason: e.reason ? `peer terminated LCP: ${e.reason}` : 'peer terminated LCP' };
  if ((e = ev.find((x) => x.kind === 'termreq' && x.dir === 'sent'))) return { by: 'local', reason: e.reason ? `terminated LCP: ${e.reason}` : 'terminated LCP' };
  if ((e = ev.find((x) => x.kind === 'termack' && x.dir === 'sent'))) return { by: 'peer', reason: 'peer terminated LCP (no reason logged)' };
  if ((e = pick('auth-fail', 'no-secret'))) return { by: e.dir === 'peer' ? 'local' : 'peer', reason: 'authentication failed' };
  if ((e = ev.find((x) => x.kind === 'call-clear' && x.dir === 'rcvd'))) return { by: 'peer', reason: 'peer cleared the PPTP call' };
  if ((e = pick('ctrl-eof'))) return { by: 'peer', reason: 'peer closed the control connection' };
  if ((e = pick('l2tp-result'))) return { by: 'peer', reason: `peer closed the tunnel/call: ${e.reason ?? `result ${e.n}`}` };
  if ((e = ev.find((x) => x.kind === 'l2tp-msg' && (x.n === 4 || x.n === 14)))) return { by: 'peer', reason: `peer sent ${e.reason}` };
  if ((e = pick('options-error'))) return { by: 'system', reason: 'pppd rejected its options' };
  if ((e = pick('ipsec-kernel-fail'))) return { by: 'system', reason: 'kernel refused the IPsec SAs' };
  if ((e = pick('l2tp-tunnel-closed'))) return { by: /goodbye|closing|request/i.test(e.reason ?? '') ? 'local' : 'unknown', reason: `tunnel closed (${e.reason ?? ''})` };
  if ((e = pick('link-down'))) {
    const r = e.reason ?? '';
    return { by: /peer/i.test(r) ? 'peer' : /echo|timeout|timed out|lost|unreachable/i.test(r) ? 'network' : 'local', reason: r || 'link down' };
  }
  if ((e = pick('signal', 'user-request'))) return { by: 'local', reason: e.kind === 'signal' ? `pppd terminated by signal ${e.n ?? ''}`.trim() : 'local request' };
  if ((e = ev.find((x) => x.kind === 'call-clear' && x.dir === 'sent'))) return { by: 'local', reason: 'cleared the PPTP call' };
  if ((e = pick('hangup', 'transport-hangup'))) return { by: 'unknown', reason: 'the tunnel below PPP closed (modem hangup)' };
  if ((e = pick('ctrl-end', 'exit', 'terminated', 'ike-deleted', 'l2tp-call-closed'))) return { by: 'unknown', reason: 'ended' };
  return null;
}

/** ok / dropped / failed / open / partial, from what came up and what the rules found. */
function sessionOutcome(s: Session, hits: RuleHit[]): SessionReport['outcome'] {
  const up = s.kind === 'ipsec' ? s.has('child-up') : s.has('ip-local') || s.has('ip-remote') || s.has('tunnel-up') && !s.has('cp-timeout');
  const ended = s.closed || s.events.some((e) => END_KINDS.has(e.kind));
  const failing = hits.some((h) => cause(h.cause).severity === 'critical' || cause(h.cause).severity === 'error');
  const started = s.events.some((e) => START_KINDS.has(e.kind));
  let outcome: SessionReport['outcome'];
  if (up) outcome = failing ? 'dropped' : ended ? 'ok' : 'open';
  else if (hits.length) outcome = 'failed';
  else if (!started) outcome = 'partial';
  else outcome = ended ? 'failed' : 'open';
  return outcome;
}

function summarize(s: Session, hits: RuleHit[], outcome: SessionReport['outcome'], inputs: InputReport[]): SessionReport {
  const ended = s.closed || s.events.some((e) => END_KINDS.has(e.kind));
  const name = inputs[s.file]?.name ?? '?';
  const connectSeconds = s.connectMinutes !== null ? Math.round(s.connectMinutes * 60) : Number.isFinite(s.firstTs) && Number.isFinite(s.lastTs) ? Math.round((s.lastTs - s.firstTs) / 1000) : null;
  return {
    id: s.seq,
    kind: s.kind,
    role: s.role,
    host: s.host,
    client: s.peer,
    controlPid: s.controlPid,
    pppdPid: s.pppdPid,
    interface: s.iface,
    user: s.user,
    auth: s.auth,
    mppe: s.mppe,
    localIp: s.localIp,
    remoteIp: s.remoteIp,
    start: iso(s.firstTs),
    end: iso(s.lastTs),
    connectSeconds,
    bytesSent: s.bytesSent,
    bytesReceived: s.bytesReceived,
    outcome,
    ended: ended || hits.length ? sessionEnd(s) : null,
    causes: hits.map((h) => h.cause),
    firstLine: `${inputs[s.firstFile]?.name ?? name}:${s.firstLine}`,
    lastLine: `${inputs[s.lastFile]?.name ?? name}:${s.lastLine}`,
  };
}

/** Convenience: analyse in-memory texts (tests, small inputs). */
export function analyzeTexts(files: { name: string; text: string }[], opts?: AnalyzeOptions): Report {
  const a = new Analyzer(opts);
  for (const f of files) a.text(a.beginInput(f.name), f.text);
  return a.report();
}
