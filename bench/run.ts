/**
 * `npm run bench`: runs every benchmark in bench/cases/*.ts and prints one
 * table. Each case measures its own baseline in the same run, so results are
 * ratios that mean something on any machine (DEVELOPERS.md: never timed
 * assertions in tests).
 *
 *   npm run bench [-- NAME-FILTER...] [--json FILE]
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import type { BenchCase, BenchRow } from './types.js';

const dir = fileURLToPath(new URL('./cases/', import.meta.url));
const args = process.argv.slice(2);
const jsonAt = args.indexOf('--json');
const jsonFile = jsonAt >= 0 ? args[jsonAt + 1] : undefined;
const filters = args.filter((a, i) => !a.startsWith('--') && (jsonAt < 0 || i !== jsonAt + 1));

const cases: BenchCase[] = [];
for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts')).sort()) {
  const mod = (await import(pathToFileURL(join(dir, f)).href)) as { benchmarks?: BenchCase[] };
  for (const c of mod.benchmarks ?? []) if (!filters.length || filters.some((s) => c.name.includes(s))) cases.push(c);
}

const rows: BenchRow[] = [];
for (const c of cases) {
  process.stderr.write(`bench: ${c.name} ...\n`);
  try {
    rows.push(...(await c.run()));
  } catch (err) {
    rows.push({ bench: c.name, metric: 'error', value: String((err as Error).message ?? err), unit: '', goal: '', note: 'failed' });
  }
}

const head = ['bench', 'metric', 'value', 'unit', 'goal', 'note'] as const;
const table = rows.map((r) => head.map((h) => (typeof r[h] === 'number' ? fmt(r[h] as number) : String(r[h] ?? ''))));
const widths = head.map((h, i) => Math.max(h.length, ...table.map((t) => t[i]!.length)));
const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ');
console.log(line(head));
console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
for (const t of table) console.log(line(t));
if (jsonFile) writeFileSync(jsonFile, JSON.stringify(rows, null, 2));

function fmt(n: number): string {
  if (Number.isInteger(n)) return String(n);
  return Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 1 ? n.toFixed(2) : n.toPrecision(3);
}
