/**
 * `tunppp` (src/cli/run.ts) as a process in a network namespace with extra
 * node flags (e.g. --cpu-prof, which NODE_OPTIONS does not allow); the same
 * waitFor/stop surface as test/e2e/harness.ts's Proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** A running tunppp process and what it printed. */
export class NodeProc {
  out = '';
  err = '';
  exitCode: number | null | undefined;
  readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;

  constructor(ns: string, nodeArgs: string[], args: string[], env: Record<string, string> = {}) {
    this.child = spawn('ip', ['netns', 'exec', ns, process.execPath, ...nodeArgs, '--import', 'tsx', join(root, 'src/cli/run.ts'), ...args], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (d: Buffer) => (this.out += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.err += d.toString()));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve((this.exitCode = code))));
  }

  /** Resolves when stdout or stderr matches `re`; rejects on exit or timeout. */
  async waitFor(re: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
    const t0 = Date.now();
    for (;;) {
      const m = re.exec(this.out) ?? re.exec(this.err);
      if (m) return m;
      if (this.exitCode !== undefined) throw new Error(`process exited (${this.exitCode}) before ${re}:\n${this.out}\n${this.err}`);
      if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${re}:\n${this.out.slice(-2000)}\n${this.err.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Sends a signal and waits for the exit code (bounded). */
  async stop(signal: NodeJS.Signals = 'SIGINT', timeoutMs = 8000): Promise<number | null> {
    if (this.exitCode !== undefined) return this.exitCode;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}
