/**
 * One long-lived `ip -force -batch -` (iproute2) for the per-session route
 * and proxy-ARP changes: a command is a line written to its stdin, so a
 * session coming up costs a pipe write, not a process start (the server sets
 * up hundreds of sessions a second). `ip` reports a failed command on stderr
 * as its message lines followed by `Command failed -:N`, N being the input
 * line; that is how a failure finds its command. Started before `--user`
 * drops root, the child keeps the rights to change routes afterwards (as the
 * nft child of masquerade.ts does).
 */
import { spawn, type ChildProcess } from 'node:child_process';

/** Called with `ip`'s message when the command failed. */
export type IpBatchFailure = (message: string) => void;

/** A running `ip -batch -`. */
export interface IpBatch {
  /** Queues one command (an `ip` command line without the leading `ip`). */
  run(command: string, onFailure?: IpBatchFailure): void;
  /** Runs what is queued, then ends the child; resolves when it exited (bounded). */
  close(timeoutMs?: number): Promise<void>;
}

/** Starts the child. `onDead` hears when it exits before `close` (commands after that fail at once). */
export function startIpBatch(onDead: (why: string) => void, ip = 'ip'): IpBatch {
  const child: ChildProcess = spawn(ip, ['-force', '-batch', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
  let line = 0;
  let dead: string | undefined;
  let closing = false;
  const pending = new Map<number, IpBatchFailure>();
  let errText = '';
  let message: string[] = [];
  let resolveExited!: () => void;
  const exited = new Promise<void>((resolve) => (resolveExited = resolve));
  const die = (why: string): void => {
    if (dead !== undefined) return;
    dead = why;
    // After close every line was read and answered: the ones left succeeded.
    if (!closing) for (const f of pending.values()) f(why);
    pending.clear();
    if (!closing) onDead(why);
    resolveExited();
  };
  // 'close', not 'exit': stderr is read to its end first, so every failure is matched to its line.
  child.on('close', (code, signal) => die(`ip -batch exited (${signal ?? `code ${code}`})`));
  child.on('error', (err) => die(`cannot run ip (iproute2): ${err.message}`));
  child.stdin!.on('error', () => undefined);
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    errText += d;
    let nl: number;
    while ((nl = errText.indexOf('\n')) >= 0) {
      const l = errText.slice(0, nl);
      errText = errText.slice(nl + 1);
      const m = /^Command failed -:(\d+)$/.exec(l);
      if (!m) {
        if (l.trim()) message.push(l.trim());
        continue;
      }
      const n = Number(m[1]);
      pending.get(n)?.(message.join('; ') || 'failed');
      pending.delete(n);
      message = [];
    }
  });
  // Successful commands print nothing: forget their callbacks once later lines have been answered.
  const prune = (): void => {
    if (pending.size > 4096) for (const n of pending.keys()) if (n < line - 4096) pending.delete(n);
  };
  return {
    run(command, onFailure) {
      if (dead !== undefined || closing) {
        onFailure?.(dead ?? 'ip -batch is closing');
        return;
      }
      line++;
      if (onFailure) pending.set(line, onFailure);
      prune();
      child.stdin!.write(`${command}\n`);
    },
    async close(timeoutMs = 5000) {
      if (closing) return exited;
      closing = true;
      if (dead === undefined) child.stdin!.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
