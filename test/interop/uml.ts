/**
 * The UML guest harness of the interop suite (docs/interop.md): builds the
 * cached Debian image when it is missing (scripts/uml/build-guest.sh), makes
 * a network namespace with a TAP, boots a User-Mode Linux guest attached to
 * it (copy-on-write over the cached image, so guests never change it and
 * several can run at once), runs shell scripts in the guest over its console
 * and halts it. Everything it creates is removed by `cleanup()`/`shutdown()`
 * even when a test fails; traffic stays between the namespace and the guest.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const umlDir = join(repoRoot, 'scripts/uml');

/** The cached guest image and the kernel that boots it. */
export interface GuestImage {
  image: string;
  kernel: string;
  umlVersion: string;
  /** Milliseconds spent building it in this run (0 when it was cached). */
  builtMs: number;
}

/** Why the interop suite cannot run on this machine, or undefined when it can (before the image). */
export function umlSkipReason(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux (User-Mode Linux guest)';
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, TAP, building the UML guest); run the tests as root';
  if (spawnSync('ip', ['-V'], { timeout: 5000 }).status !== 0) return "needs the 'ip' command (Debian package iproute2)";
  if (process.env['TUNPPP_INTEROP'] === '0') return 'TUNPPP_INTEROP=0 turns the interop suite off';
  return undefined;
}

let cached: { image?: GuestImage; skip?: string } | undefined;

/**
 * The guest image, built first when the cache has none (minutes, once per
 * machine; TUNPPP_UML_NO_BUILD=1 skips instead). Returns a skip reason when
 * it cannot be had, e.g. when packages cannot be downloaded.
 */
export function guestImage(): { image?: GuestImage; skip?: string } {
  if (cached) return cached;
  const script = join(umlDir, 'build-guest.sh');
  let builtMs = 0;
  if (spawnSync('bash', [script, '--check'], { timeout: 10_000 }).status !== 0) {
    if (process.env['TUNPPP_UML_NO_BUILD'] === '1') {
      return (cached = { skip: 'no cached UML guest image and TUNPPP_UML_NO_BUILD=1 (run scripts/uml/build-guest.sh)' });
    }
    process.stderr.write('interop: building the UML guest image once (scripts/uml/build-guest.sh; a few minutes)\n');
    const t0 = Date.now();
    const b = spawnSync('bash', [script], { encoding: 'utf8', timeout: 20 * 60_000 });
    builtMs = Date.now() - t0;
    if (b.status !== 0) {
      const why = (b.stderr || String(b.error ?? '')).trim().split('\n').slice(-6).join(' | ');
      return (cached = { skip: `the UML guest image cannot be built here: ${why}` });
    }
    process.stderr.write(`interop: guest image built in ${(builtMs / 1000).toFixed(0)} s\n`);
  }
  const p = spawnSync('bash', [script, '--print'], { encoding: 'utf8', timeout: 10_000 });
  if (p.status !== 0) return (cached = { skip: `build-guest.sh --print failed: ${p.stderr.trim()}` });
  const kv = Object.fromEntries(p.stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  const image = kv['image'];
  const kernel = kv['kernel'];
  if (!image || !kernel) return (cached = { skip: `build-guest.sh --print gave no image: ${p.stdout}` });
  return (cached = { image: { image, kernel, umlVersion: kv['uml'] ?? '?', builtMs } });
}

/** Runs a command with a time bound; throws with its stderr on failure. */
export function sh(cmd: string, args: readonly string[], timeoutMs = 10_000): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} → exit ${r.status}: ${r.stderr.trim()}`);
  return r.stdout;
}

let labSeq = 0;

/** A namespace with a TAP toward one guest: host side `hostIp`, guest side `guestIp` (both /24). */
export class UmlLab {
  readonly ns: string;
  readonly tap: string;
  readonly hostIp: string;
  readonly guestIp: string;
  /** A scratch directory for COW files, the guest's uml_dir and the hostfs share. */
  readonly dir: string;
  private guests: Guest[] = [];

  constructor() {
    const n = ++labSeq;
    this.ns = `tpuml-${process.pid}-${n}`;
    // IFNAMSIZ: 15 characters at most.
    this.tap = `tpu${process.pid % 1_000_000}x${n}`.slice(0, 15);
    const net = 64 + ((process.pid + n) % 128);
    this.hostIp = `10.211.${net}.1`;
    this.guestIp = `10.211.${net}.2`;
    this.dir = mkdtempSync(join(tmpdir(), 'tunppp-uml-'));
    try {
      sh('ip', ['netns', 'add', this.ns]);
      sh('ip', ['-n', this.ns, 'link', 'set', 'lo', 'up']);
      sh('ip', ['-n', this.ns, 'tuntap', 'add', 'dev', this.tap, 'mode', 'tap']);
      sh('ip', ['-n', this.ns, 'addr', 'add', `${this.hostIp}/24`, 'dev', this.tap]);
      sh('ip', ['-n', this.ns, 'link', 'set', this.tap, 'up']);
    } catch (e) {
      this.cleanup();
      throw e;
    }
  }

  /** Boots a guest on this lab's TAP (one guest per lab). */
  async boot(image: GuestImage, opts: Omit<BootOptions, 'image' | 'ns' | 'tap' | 'ip' | 'gw' | 'dir'> = {}): Promise<Guest> {
    const g = await bootGuest({ ...opts, image, ns: this.ns, tap: this.tap, ip: `${this.guestIp}/24`, gw: this.hostIp, dir: this.dir });
    this.guests.push(g);
    return g;
  }

  /** Runs `cmd args` inside the namespace and returns its stdout. */
  exec(cmd: string, args: readonly string[], timeoutMs = 10_000): string {
    return sh('ip', ['netns', 'exec', this.ns, cmd, ...args], timeoutMs);
  }

  /** Kills every guest, deletes the namespace (and the TAP in it) and the scratch directory. */
  cleanup(): void {
    for (const g of this.guests.splice(0)) g.kill();
    spawnSync('ip', ['netns', 'del', this.ns], { timeout: 10_000 });
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Runs `fn` with a fresh lab and always cleans up. */
export async function withUmlLab<T>(fn: (lab: UmlLab) => Promise<T>): Promise<T> {
  const lab = new UmlLab();
  try {
    return await fn(lab);
  } finally {
    lab.cleanup();
  }
}

/** How to boot a guest. */
export interface BootOptions {
  image: GuestImage;
  /** Network namespace that holds the TAP. */
  ns: string;
  tap: string;
  /** Guest eth0 address, CIDR. */
  ip: string;
  /** Guest default gateway (the host side of the TAP). */
  gw: string;
  /** Scratch directory for the COW file and UML's runtime files. */
  dir: string;
  /** A host directory the guest mounts at /share (hostfs). */
  share?: string;
  memMb?: number;
  /** Kernel modules to load at boot (default: PPP, MPPE, L2TP, IPv6; see guest-init.sh). */
  modules?: readonly string[];
  bootTimeoutMs?: number;
}

/** The result of a script run in the guest. */
export interface GuestResult {
  rc: number;
  output: string;
}

const MARK = /@@TUNPPP-(READY|END) ([^@\s]+)(?: (\d+))?@@/g;

/** A running UML guest driven over its console. */
export class Guest {
  /** Everything the guest printed on its console, for failure messages. */
  console = '';
  /** Milliseconds from spawn to the guest accepting commands. */
  bootMs = 0;
  private exited = false;
  private exitWaiters: (() => void)[] = [];
  private scanFrom = 0;
  private pending = new Map<string, { from: number; resolve: (r: GuestResult) => void; reject: (e: Error) => void }>();
  private readyWaiter: { resolve: () => void; reject: (e: Error) => void } | undefined;
  private seq = 0;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly proc: ChildProcess) {
    proc.stdout!.setEncoding('utf8');
    proc.stdout!.on('data', (s: string) => this.onOutput(s));
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (s: string) => (this.console += s));
    proc.stdin!.on('error', () => {});
    proc.on('exit', () => {
      this.exited = true;
      const err = new Error(`the guest exited; console tail:\n${this.tail()}`);
      this.readyWaiter?.reject(err);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      for (const w of this.exitWaiters.splice(0)) w();
    });
  }

  /** The last lines of the console, for error messages. */
  tail(lines = 30): string {
    return this.console.replace(/\r/g, '').split('\n').slice(-lines).join('\n');
  }

  private onOutput(s: string): void {
    this.console += s;
    MARK.lastIndex = this.scanFrom;
    for (let m = MARK.exec(this.console); m; m = MARK.exec(this.console)) {
      this.scanFrom = MARK.lastIndex;
      if (m[1] === 'READY') {
        this.readyWaiter?.resolve();
        this.readyWaiter = undefined;
      } else {
        const p = this.pending.get(m[2]!);
        if (p) {
          this.pending.delete(m[2]!);
          // The previous marker's line end can arrive after the request went out: drop it.
          const output = this.console.slice(p.from, m.index).replace(/\r/g, '').replace(/^\n/, '');
          p.resolve({ rc: Number(m[3]), output });
        }
      }
    }
    // Keep a partial marker at the end for the next chunk.
    this.scanFrom = Math.max(this.scanFrom, this.console.length - 64);
  }

  /** @internal Resolves when the guest announces it is ready. */
  ready(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`the guest did not boot within ${timeoutMs} ms; console tail:\n${this.tail()}`)), timeoutMs);
      this.readyWaiter = {
        resolve: () => (clearTimeout(t), resolve()),
        reject: (e) => (clearTimeout(t), reject(e)),
      };
      if (this.exited) this.readyWaiter.reject(new Error(`the guest exited during boot; console tail:\n${this.tail()}`));
    });
  }

  /**
   * Runs a bash script in the guest (stdin /dev/null, stderr into the output)
   * and resolves with its exit code and output. Scripts run one at a time.
   */
  run(script: string, timeoutMs = 20_000): Promise<GuestResult> {
    const job = this.queue.then(() => this.runNow(script, timeoutMs));
    this.queue = job.catch(() => {});
    return job;
  }

  /** Like run, but rejects when the script exits non-zero. */
  async ok(script: string, timeoutMs = 20_000): Promise<string> {
    const r = await this.run(script, timeoutMs);
    if (r.rc !== 0) throw new Error(`guest script failed with ${r.rc}:\n${script}\n--- output ---\n${r.output}`);
    return r.output;
  }

  private runNow(script: string, timeoutMs: number): Promise<GuestResult> {
    if (this.exited) return Promise.reject(new Error(`the guest is not running; console tail:\n${this.tail()}`));
    const id = `c${++this.seq}`;
    const b64 = Buffer.from(script, 'utf8').toString('base64');
    let req = '';
    // The console is a tty in canonical mode: lines stay well under its 4 KiB limit.
    for (let i = 0; i < b64.length; i += 512) req += `PUT ${id} ${b64.slice(i, i + 512)}\n`;
    req += `RUN ${id}\n`;
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`guest script timed out after ${timeoutMs} ms:\n${script}\n--- console tail ---\n${this.tail()}`));
      }, timeoutMs);
      this.pending.set(id, {
        from: this.console.length,
        resolve: (r) => (clearTimeout(t), resolve(r)),
        reject: (e) => (clearTimeout(t), reject(e)),
      });
      this.proc.stdin!.write(req);
    });
  }

  /** Halts the guest cleanly (sync, power off); kills it when that takes longer than `timeoutMs`. */
  async shutdown(timeoutMs = 5000): Promise<void> {
    if (this.exited) return;
    await this.queue;
    const gone = new Promise<void>((resolve) => this.exitWaiters.push(resolve));
    this.proc.stdin!.write('HALT\n');
    const t = setTimeout(() => this.kill(), timeoutMs);
    await gone;
    clearTimeout(t);
  }

  /** Kills the guest's whole process group at once (no-op when it is gone). */
  kill(): void {
    if (this.proc.pid === undefined) return;
    try {
      process.kill(-this.proc.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** /dev/shm when it is a writable tmpfs, for UML's memory file. */
function shmDir(): string | undefined {
  try {
    accessSync('/dev/shm', constants.W_OK);
    return statfsSync('/dev/shm').type === TMPFS_MAGIC ? '/dev/shm' : undefined;
  } catch {
    return undefined;
  }
}
const TMPFS_MAGIC = 0x01021994;

/** Boots a guest in `opts.ns` on `opts.tap` and resolves when it accepts commands. */
export async function bootGuest(opts: BootOptions): Promise<Guest> {
  const umid = `tunppp-${process.pid}-${++labSeq}`;
  const cow = join(opts.dir, `${umid}.cow`);
  const args = [
    `ubd0=${cow},${opts.image.image}`,
    'root=/dev/ubda',
    'rw',
    `mem=${opts.memMb ?? 256}M`,
    `umid=${umid}`,
    `uml_dir=${opts.dir}`,
    `eth0=tuntap,${opts.tap}`,
    'con=null',
    'con0=fd:0,fd:1',
    'ssl=null',
    'quiet',
    'init=/sbin/tunppp-init',
    `tunppp_dir=${umlDir}`,
    `tunppp_ip=${opts.ip}`,
    `tunppp_gw=${opts.gw}`,
  ];
  if (opts.share) args.push(`tunppp_share=${opts.share}`);
  if (opts.modules) args.push(`tunppp_mods=${opts.modules.join(',')}`);
  const t0 = Date.now();
  const proc = spawn('ip', ['netns', 'exec', opts.ns, opts.image.kernel, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
    // UML backs guest memory with an unlinked file in TMPDIR: tmpfs keeps it off the disk.
    env: { PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin', TMPDIR: shmDir() ?? opts.dir },
  });
  const guest = new Guest(proc);
  try {
    await guest.ready(opts.bootTimeoutMs ?? 30_000);
  } catch (e) {
    guest.kill();
    throw e;
  }
  guest.bootMs = Date.now() - t0;
  return guest;
}
