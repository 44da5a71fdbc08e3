/**
 * tcpdump in a test's network namespace: started before the traffic, stopped
 * after it, the file read back with parseCapture.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

/** True when tcpdump is not installed (capture checks are skipped then). */
export const tcpdumpMissing = spawnSync('tcpdump', ['--version'], { stdio: 'ignore' }).status !== 0;

/** A tcpdump on `dev` in `ns` writing packets that match `filter` to `file`. */
export class Capture {
  readonly file: string;
  private readonly child: ChildProcess;
  private err = '';

  constructor(ns: string, dev: string, file: string, filter = 'udp port 1701') {
    this.file = file;
    this.child = spawn('ip', ['netns', 'exec', ns, 'tcpdump', '-i', dev, '--immediate-mode', '-U', '-n', '-s', '0', '-w', this.file, filter], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child.stderr!.on('data', (d: Buffer) => (this.err += d.toString()));
  }

  /** Resolves once tcpdump listens. */
  async started(): Promise<void> {
    const t0 = Date.now();
    while (!/listening on/.test(this.err)) {
      if (Date.now() - t0 > 10_000) throw new Error(`tcpdump did not start: ${this.err}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Stops tcpdump (after a moment for the last packets) and waits for it to exit. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    await new Promise((r) => setTimeout(r, 200));
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGINT');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  }
}
