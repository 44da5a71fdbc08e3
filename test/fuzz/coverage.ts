/**
 * Branch coverage of a fuzz run, measured with V8's own block coverage (the
 * data NODE_V8_COVERAGE and c8 read, taken here in-process through the
 * inspector's Profiler domain, so the runner needs no child process).
 *
 * What counts as a branch is decided statically, on the JavaScript V8 ran:
 * both arms of every `if` (an absent `else` included) and `?:`, the right
 * operand of `&&`/`||`/`??` and its short cut, every `case`/`default`, every
 * `catch`. An arm is reached when V8's count at its first character is
 * non-zero; the count at a position is that of the innermost block range
 * containing it. Functions never called and the branches inside them count
 * as unreached, so the total does not depend on what ran (unlike c8's
 * "branches", which are the blocks V8 happened to report). Locations are
 * mapped back to the TypeScript source through the transpiler's source map.
 */
import { Session } from 'node:inspector/promises';
import { SourceMap } from 'node:module';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** One arm of a branch in a TypeScript file. */
export interface BranchArm {
  line: number;
  column: number;
  /** "if", "else", "no-else" (an if's condition false, without an else), "?:", "&&", "||", "??" ("&& short"…: the right operand skipped), "case", "default", "catch". */
  kind: string;
  hit: boolean;
}

/** Coverage of one source file. */
export interface FileCoverage {
  /** Path relative to the repository root. */
  file: string;
  arms: BranchArm[];
  hit: number;
  total: number;
}

interface Range {
  startOffset: number;
  endOffset: number;
  count: number;
}

/** A JavaScript offset to check and how to tell whether it ran. */
interface ArmProbe {
  kind: string;
  at: number;
  /** Reached when count(at) > count(than) (a skipped right operand, an absent else). */
  than?: number;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Count at `offset`: the innermost range that contains it (ranges nest; V8 drops ranges equal to their parent). */
function countAt(ranges: readonly Range[], offset: number): number {
  let best: Range | undefined;
  for (const r of ranges) {
    if (r.startOffset <= offset && offset < r.endOffset && (!best || r.endOffset - r.startOffset <= best.endOffset - best.startOffset)) best = r;
  }
  return best?.count ?? 0;
}

/** The branch arms of a JavaScript file, as offsets into it. */
function probes(sf: ts.SourceFile): ArmProbe[] {
  const out: ArmProbe[] = [];
  const start = (n: ts.Node): number => n.getStart(sf);
  const visit = (n: ts.Node): void => {
    if (ts.isIfStatement(n)) {
      out.push({ kind: 'if', at: start(n.thenStatement) });
      if (n.elseStatement) out.push({ kind: 'else', at: start(n.elseStatement) });
      else out.push({ kind: 'no-else', at: start(n), than: start(n.thenStatement) });
    } else if (ts.isConditionalExpression(n)) {
      out.push({ kind: '?:', at: start(n.whenTrue) }, { kind: '?:', at: start(n.whenFalse) });
    } else if (ts.isBinaryExpression(n)) {
      const op = n.operatorToken.kind;
      const kind = op === ts.SyntaxKind.AmpersandAmpersandToken ? '&&' : op === ts.SyntaxKind.BarBarToken ? '||' : op === ts.SyntaxKind.QuestionQuestionToken ? '??' : undefined;
      if (kind) out.push({ kind, at: start(n.right) }, { kind: `${kind} short`, at: start(n.left), than: start(n.right) });
    } else if (ts.isCaseClause(n) || ts.isDefaultClause(n)) {
      const first = n.statements[0];
      out.push({ kind: ts.isCaseClause(n) ? 'case' : 'default', at: first ? start(first) : start(n) });
    } else if (ts.isCatchClause(n)) {
      out.push({ kind: 'catch', at: start(n.block) });
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** The inline source map of a transpiled script, if any. */
function inlineSourceMap(source: string): SourceMap | undefined {
  const m = /\/\/# sourceMappingURL=data:application\/json;(?:charset=utf-8;)?base64,([A-Za-z0-9+/=]+)\s*$/.exec(source);
  if (!m) return undefined;
  return new SourceMap(JSON.parse(Buffer.from(m[1]!, 'base64').toString('utf8')) as ConstructorParameters<typeof SourceMap>[0]);
}

/** Branch coverage of one script V8 ran (its TypeScript file, via the source map). */
function scriptCoverage(url: string, source: string, ranges: readonly Range[]): FileCoverage {
  const sf = ts.createSourceFile(url, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const map = inlineSourceMap(source);
  const arms: BranchArm[] = [];
  const seen = new Set<string>();
  for (const p of probes(sf)) {
    const count = countAt(ranges, p.at);
    const hit = p.than === undefined ? count > 0 : count > countAt(ranges, p.than);
    const g = sf.getLineAndCharacterOfPosition(p.at);
    let line = g.line + 1;
    let column = g.character + 1;
    if (map) {
      const e = map.findEntry(g.line, g.character) as { originalLine?: number; originalColumn?: number; originalSource?: string };
      // Code the transpiler added (helpers, enum wrappers) maps to nothing: not a branch of ours.
      if (e.originalLine === undefined || !e.originalSource) continue;
      line = e.originalLine + 1;
      column = (e.originalColumn ?? 0) + 1;
    }
    const key = `${line}:${column}:${p.kind}`;
    if (seen.has(key)) continue;
    seen.add(key);
    arms.push({ line, column, kind: p.kind, hit });
  }
  arms.sort((a, b) => a.line - b.line || a.column - b.column);
  const hit = arms.filter((a) => a.hit).length;
  return { file: relative(ROOT, fileURLToPath(url)), arms, hit, total: arms.length };
}

/** Collects V8 block coverage from start() to stop(). */
export class FuzzCoverage {
  private readonly session = new Session();

  /** Starts counting; call before the code under test is imported, so every function is instrumented. */
  async start(): Promise<void> {
    this.session.connect();
    await this.session.post('Profiler.enable');
    await this.session.post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
  }

  /** Stops counting and returns the coverage of every loaded file that `include` accepts (repository-relative paths). */
  async stop(include: (file: string) => boolean): Promise<FileCoverage[]> {
    const { result } = await this.session.post('Profiler.takePreciseCoverage');
    await this.session.post('Profiler.stopPreciseCoverage');
    await this.session.post('Debugger.enable');
    const out: FileCoverage[] = [];
    for (const script of result) {
      if (!script.url.startsWith('file://')) continue;
      const file = relative(ROOT, fileURLToPath(script.url));
      if (!include(file)) continue;
      const { scriptSource } = await this.session.post('Debugger.getScriptSource', { scriptId: script.scriptId });
      out.push(scriptCoverage(script.url, scriptSource, script.functions.flatMap((f) => f.ranges)));
    }
    await this.session.post('Debugger.disable');
    this.session.disconnect();
    return out.sort((a, b) => a.file.localeCompare(b.file));
  }
}

function pct(hit: number, total: number): string {
  return total === 0 ? '-' : `${((100 * hit) / total).toFixed(1)} %`;
}

/** The table: file, branch arms hit/total, %; then the total. */
export function coverageTable(files: readonly FileCoverage[]): string {
  const w = Math.max(5, ...files.map((f) => f.file.length));
  const row = (a: string, b: string, c: string): string => `${a.padEnd(w)}  ${b.padStart(11)}  ${c.padStart(7)}`;
  const lines = [row('file', 'branches', '%'), row('-'.repeat(w), '-'.repeat(11), '-'.repeat(7))];
  let hit = 0;
  let total = 0;
  for (const f of files) {
    lines.push(row(f.file, `${f.hit}/${f.total}`, pct(f.hit, f.total)));
    hit += f.hit;
    total += f.total;
  }
  lines.push(row('total', `${hit}/${total}`, pct(hit, total)));
  return lines.join('\n');
}

/** Every branch arm never reached, one line per file: `file: line:col kind, …`. */
export function unreachedList(files: readonly FileCoverage[]): string {
  return files
    .filter((f) => f.hit < f.total)
    .map((f) => `${f.file} (${f.total - f.hit}): ${f.arms.filter((a) => !a.hit).map((a) => `${a.line}:${a.column} ${a.kind}`).join(', ')}`)
    .join('\n');
}
