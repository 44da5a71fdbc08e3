/**
 * Summarises a V8 .cpuprofile (node --cpu-prof) into the functions with the
 * most self time, and the same grouped by source file: what
 * docs/performance.md quotes.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** One line of the summary. */
export interface ProfileLine {
  name: string;
  selfMs: number;
  pct: number;
}

/** Top functions and files by self time. */
export interface ProfileSummary {
  totalMs: number;
  /** Share of samples outside JavaScript idle ("(idle)" excluded). */
  busyPct: number;
  functions: ProfileLine[];
  files: ProfileLine[];
}

function where(n: ProfileNode): string {
  const f = n.callFrame;
  if (!f.url) return f.functionName || '(anonymous)';
  return `${f.functionName || '(anonymous)'} ${basename(f.url.split('?')[0]!)}:${f.lineNumber + 1}`;
}

function fileOf(n: ProfileNode): string {
  const f = n.callFrame;
  if (!f.url) return f.functionName || '(native)';
  const u = f.url.replace(/^file:\/\//, '').split('?')[0]!;
  const m = /\/(src|node_modules)\/(.*)$/.exec(u);
  if (m) return m[1] === 'src' ? `src/${m[2]}` : `node_modules/${m[2]!.split('/')[0]}`;
  return u.startsWith('node:') ? u : basename(u);
}

/** Reads and summarises `file`, top `n` entries each. */
export function summariseCpuProfile(file: string, n = 20): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((x) => [x.id, x]));
  const self = new Map<number, number>();
  if (p.samples && p.timeDeltas) {
    for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
  } else {
    const total = (p.endTime - p.startTime) / 1000;
    const hits = p.nodes.reduce((a, x) => a + (x.hitCount ?? 0), 0) || 1;
    for (const x of p.nodes) self.set(x.id, ((x.hitCount ?? 0) * total) / hits);
  }
  const totalMs = [...self.values()].reduce((a, b) => a + b, 0);
  const fn = new Map<string, number>();
  const files = new Map<string, number>();
  let idle = 0;
  for (const [id, ms] of self) {
    const node = byId.get(id);
    if (!node) continue;
    if (node.callFrame.functionName === '(idle)') idle += ms;
    const k = where(node);
    fn.set(k, (fn.get(k) ?? 0) + ms);
    const f = fileOf(node);
    files.set(f, (files.get(f) ?? 0) + ms);
  }
  const top = (m: Map<string, number>): ProfileLine[] =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, ms]) => ({ name, selfMs: ms, pct: totalMs ? (100 * ms) / totalMs : 0 }));
  return { totalMs, busyPct: totalMs ? (100 * (totalMs - idle)) / totalMs : 0, functions: top(fn), files: top(files) };
}

/** The summary as a Markdown table. */
export function profileMarkdown(s: ProfileSummary): string {
  const rows = (title: string, lines: ProfileLine[]): string =>
    `| ${title} | self ms | % |\n|---|---:|---:|\n${lines.map((l) => `| \`${l.name}\` | ${l.selfMs.toFixed(0)} | ${l.pct.toFixed(1)} |`).join('\n')}\n`;
  return `Profile: ${s.totalMs.toFixed(0)} ms sampled, ${s.busyPct.toFixed(0)} % busy.\n\n${rows('function', s.functions)}\n${rows('file', s.files)}`;
}

// `node --import tsx bench/lib/cpuprofile.ts FILE.cpuprofile [N]` prints the tables.
if (process.argv[1] && import.meta.url.endsWith(basename(process.argv[1]))) {
  const f = process.argv[2];
  if (f) process.stdout.write(profileMarkdown(summariseCpuProfile(f, Number(process.argv[3] ?? 20))));
}
