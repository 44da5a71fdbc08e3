/**
 * Runs a TypeScript driver (such as pptp-control-driver.ts) inside a
 * namespace and collects its JSON-lines transcript.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './uml.js';

/** One line of a driver's transcript. */
export type DriverLine = Record<string, unknown> & { t?: number };

/** A driver process in a namespace. */
export interface DriverRun {
  lines: DriverLine[];
  /** Raw stderr, for failure messages. */
  stderr: string;
  /** Resolves when the first line matching `pred` arrives (rejects after `timeoutMs` or on exit). */
  waitFor(pred: (l: DriverLine) => boolean, what: string, timeoutMs?: number): Promise<DriverLine>;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  kill(): void;
}

/** Spawns `node --import tsx test/interop/<file> ...args` inside `ns`. */
export function startDriver(ns: string, file: string, args: readonly string[], env: Record<string, string> = {}): DriverRun {
  const proc = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', join(repoRoot, 'test/interop', file), ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const lines: DriverLine[] = [];
  const waiters: { pred: (l: DriverLine) => boolean; resolve: (l: DriverLine) => void }[] = [];
  let buf = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8');
  proc.stdout.on('data', (s: string) => {
    buf += s;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const text = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      let l: DriverLine;
      try {
        l = JSON.parse(text) as DriverLine;
      } catch {
        l = { text };
      }
      lines.push(l);
      for (const w of waiters.splice(0)) {
        if (w.pred(l)) w.resolve(l);
        else waiters.push(w);
      }
    }
  });
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (s: string) => (stderr += s));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const run: DriverRun = {
    lines,
    get stderr() {
      return stderr;
    },
    waitFor(pred, what, timeoutMs = 15_000) {
      const seen = lines.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`driver: timed out after ${timeoutMs} ms waiting for ${what}; stderr: ${stderr.trim()}`)), timeoutMs);
        waiters.push({ pred, resolve: (l) => (clearTimeout(t), resolve(l)) });
        void exited.then(() => {
          clearTimeout(t);
          reject(new Error(`driver exited before ${what}; stderr: ${stderr.trim()}`));
        });
      });
    },
    exited,
    kill() {
      if (proc.exitCode === null) proc.kill('SIGKILL');
    },
  };
  return run;
}

/** The control message types of a transcript with their direction, e.g. "→SCCRQ ←SCCRP". */
export function transcript(lines: readonly DriverLine[]): string {
  return lines
    .filter((l) => l['dir'] !== undefined)
    .map((l) => `${l['dir'] === 'out' ? '→' : '←'}${String((l['msg'] as { type?: string } | undefined)?.type ?? '?')}`)
    .join(' ');
}

/** The messages of one type in one direction. */
export function messages(lines: readonly DriverLine[], dir: 'in' | 'out', type: string): Record<string, unknown>[] {
  return lines
    .filter((l) => l['dir'] === dir && (l['msg'] as { type?: string } | undefined)?.type === type)
    .map((l) => l['msg'] as Record<string, unknown>);
}
