/**
 * The readable report: findings (most important first) with evidence,
 * mechanism and fix; benign lines; one section per session; a summary.
 * Colour only when asked (the CLI asks when stdout is a TTY and NO_COLOR is
 * unset).
 */
import { escapeControls } from '../log/escape.js';
import type { Finding, Report, SessionReport } from './types.js';

/** Text report options. */
export interface TextOptions {
  color: boolean;
  /** List every retained session, not only those with findings (default: all when ≤ 50 sessions). */
  allSessions?: boolean;
  /** Terminal width for wrapping prose. */
  width?: number;
}

const SEV_COLOR: Record<string, string> = { critical: '1;31', error: '31', warning: '33', info: '36' };
const OUTCOME_COLOR: Record<string, string> = { ok: '32', dropped: '31', failed: '31', open: '36', partial: '2' };

function wrap(text: string, width: number, indent: string): string {
  const words = text.split(/\s+/);
  const lines: string[] = [];
  let cur = '';
  for (const w of words) {
    if (cur && indent.length + cur.length + 1 + w.length > width) {
      lines.push(indent + cur);
      cur = w;
    } else cur = cur ? `${cur} ${w}` : w;
  }
  if (cur) lines.push(indent + cur);
  return lines.join('\n');
}

function dur(s: number | null): string {
  if (s === null) return '?';
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

/** Renders the report as text. */
export function renderText(r: Report, opts: TextOptions): string {
  const c = (code: string, s: string): string => (opts.color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const width = Math.max(60, Math.min(opts.width ?? 100, 140));
  const out: string[] = [];
  const files = r.inputs.length === 1 ? r.inputs[0]!.name : `${r.inputs.length} inputs`;
  out.push(c('1', `tunppp doctor — ${files}: ${r.stats.lines} lines, ${r.summary.sessions} session${r.summary.sessions === 1 ? '' : 's'}`));
  for (const i of r.inputs) if (i.error) out.push(c('31', `  input error: ${i.error}`));
  const top = r.findings[0];
  if (top) out.push(`Most likely cause: ${c(SEV_COLOR[top.severity]!, top.cause)} — ${top.title}`);
  out.push('');

  const cov = r.summary.coverage;
  if (cov.message) {
    out.push(c('1;33', `Warning: ${cov.message}`));
    if (cov.example) out.push(c('2', `  first line not understood: ${cov.example.file}:${cov.example.line}  ${escapeControls(cov.example.text.slice(0, 200))}`));
    out.push('');
  }
  if (r.findings.length) {
    out.push(c('1', `Findings (${r.findings.length})`));
    r.findings.forEach((f, i) => out.push(renderFinding(f, i + 1, c, width)));
  } else if (cov.verdict === 'ok') out.push(c('32', 'No findings: nothing in these logs points at a fault.'), '');
  else out.push(c('33', 'No findings, but doctor could not read most of these logs (above): it cannot say whether anything is wrong.'), '');

  if (r.benign.length) {
    out.push(c('1', 'Harmless lines (benign, not causes)'));
    for (const b of r.benign) {
      out.push(`  - ${b.title} ${c('2', `×${b.count} [${b.id}]`)}`);
      for (const e of b.examples.slice(0, 2)) out.push(c('2', `      ${e.file}:${e.line}  ${escapeControls(e.text)}`));
      out.push(wrap(b.why, width, '      '));
    }
    out.push('');
  }

  const withFindings = r.sessions.filter((s) => s.causes.length);
  const showAll = opts.allSessions ?? r.sessions.length <= 50;
  const list = showAll ? r.sessions : withFindings.slice(0, 100);
  if (list.length) {
    out.push(c('1', showAll ? 'Sessions' : `Sessions with findings (${withFindings.length}${withFindings.length > 100 ? ', first 100' : ''}; --all-sessions lists all)`));
    for (const s of list) out.push(renderSession(s, c));
    out.push('');
  }

  const sm = r.summary;
  out.push(c('1', 'Summary'));
  out.push(`  sessions: ${sm.sessions} (${c(OUTCOME_COLOR.ok!, `${sm.ok} ok`)}, ${c(OUTCOME_COLOR.dropped!, `${sm.dropped} dropped`)}, ${c(OUTCOME_COLOR.failed!, `${sm.failed} failed`)}, ${sm.open} open, ${sm.partial} partial)${sm.sessionsOmitted ? `; ${sm.sessionsOmitted} not listed` : ''}`);
  out.push(`  lines: ${r.stats.lines} (${r.stats.eventLines} events, ${r.stats.benignLines} benign, ${r.stats.unknownLines} not understood, ${r.stats.otherLines} from other programs)`);
  if (sm.topCause) {
    const f = r.findings[0]!;
    out.push(`  top cause: ${c(SEV_COLOR[f.severity]!, f.cause)} — ${f.title}`);
    const first = f.fix[0];
    if (first) out.push(`  first fix: ${first.target}: ${first.lines.join(' / ')}`);
  }
  return `${out.join('\n')}\n`;
}

function renderFinding(f: Finding, n: number, c: (code: string, s: string) => string, width: number): string {
  const out: string[] = [];
  const where = f.sessions.length ? ` (session${f.sessionCount === 1 ? '' : 's'} ${f.sessions.slice(0, 8).join(', ')}${f.sessionCount > f.sessions.slice(0, 8).length ? `, … ${f.sessionCount} in all` : ''})` : f.sessionCount > 1 ? ` (${f.sessionCount} sessions)` : '';
  out.push(`${String(n).padStart(3)}. ${c(SEV_COLOR[f.severity]!, `[${f.severity}]`)} ${c('1', f.cause)} — ${f.title}${where}`);
  out.push(c('2', `     category ${f.category}, confidence ${f.confidence}`));
  out.push('     evidence:');
  for (const e of f.evidence) out.push(`       ${c('2', `${e.file}:${e.line}`)}  ${escapeControls(e.text)}`);
  out.push('     why:');
  out.push(wrap(f.explanation, width, '       '));
  if (f.detail) out.push(wrap(f.detail, width, '       '));
  out.push('     fix:');
  for (const step of f.fix) {
    out.push(`       ${c('1', step.target)}:`);
    for (const l of step.lines) out.push(`         ${c('36', l)}`);
    if (step.note) out.push(wrap(step.note, width, '         '));
  }
  out.push('');
  return out.join('\n');
}

function renderSession(s: SessionReport, c: (code: string, t: string) => string): string {
  const head = [`#${s.id}`, `${s.kind}${s.role !== 'unknown' ? ` ${s.role}` : ''}`];
  if (s.client) head.push(`peer ${s.client}`);
  if (s.controlPid !== null) head.push(`ctl pid ${s.controlPid}`);
  if (s.pppdPid !== null) head.push(`pppd ${s.pppdPid}`);
  if (s.interface) head.push(s.interface);
  if (s.user) head.push(`user ${escapeControls(s.user)}`);
  const lines = [`  ${c('1', head.join('  '))}  ${c(OUTCOME_COLOR[s.outcome]!, s.outcome)}`];
  const d: string[] = [];
  if (s.start) d.push(`${s.start.replace('T', ' ')} → ${(s.end ?? '?').replace('T', ' ')} (${dur(s.connectSeconds)})`);
  if (s.auth) d.push(`auth ${s.auth}`);
  if (s.mppe) d.push(s.mppe);
  if (s.localIp || s.remoteIp) d.push(`local ${s.localIp ?? '?'} remote ${s.remoteIp ?? '?'}`);
  if (s.bytesSent !== null) d.push(`sent ${s.bytesSent} B, received ${s.bytesReceived ?? '?'} B`);
  if (d.length) lines.push(`     ${d.join('; ')}`);
  if (s.ended) lines.push(`     ended by ${s.ended.by}: ${escapeControls(s.ended.reason)}`);
  if (s.causes.length) lines.push(`     causes: ${s.causes.join(', ')}`);
  lines.push(c('2', `     lines ${s.firstLine} … ${s.lastLine}`));
  return lines.join('\n');
}
