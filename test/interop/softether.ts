/**
 * SoftEther VPN Server (Debian's softether-vpnserver) as a peer on the host,
 * inside a network namespace made by the test (docs/interop.md).
 *
 * vpnserver keeps its state in fixed places (/var/lib/softether for the
 * config, /var/log/softether, /run/softether for its pid and control files,
 * and a cache in /tmp). Each run gets a scratch directory, bind-mounted over
 * those four in a private mount namespace (`unshare -m`), so nothing of a run
 * stays on the machine and an installed system service is never touched.
 *
 * The server starts from a seed config that keeps it off the internet from
 * its first second (no dynamic DNS, no NAT-traversal or keep-alive servers,
 * no VPN Azure, one admin listener on TCP 5555, no UDP ports of its own); the
 * rest is set with `vpncmd` over localhost, as an admin would.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where Debian's packages put the two programs (/usr/bin/vpnserver and vpncmd are `exec` wrappers around them). */
export const VPNSERVER = '/usr/libexec/softether/vpnserver/vpnserver';
export const VPNCMD = '/usr/libexec/softether/vpncmd/vpncmd';

/** Why SoftEther cannot run here, or undefined when it can (the namespace checks are the caller's). */
export function softetherSkipReason(): string | undefined {
  for (const [bin, pkg] of [
    [VPNSERVER, 'softether-vpnserver'],
    [VPNCMD, 'softether-vpncmd'],
  ] as const) {
    if (!existsSync(bin)) return `${bin} is missing: the Debian package ${pkg} is not installed (apt-get install ${pkg}; npm test installs it as root)`;
  }
  if (spawnSync('unshare', ['--version'], { timeout: 5000 }).status !== 0) return "needs the 'unshare' command (Debian package util-linux)";
  return undefined;
}

/**
 * The seed vpn_server.config: only what vpncmd cannot change, or would change
 * only after the server has already tried to reach the internet. SoftEther
 * fills every missing key with its default and makes no Virtual Hub.
 */
const SEED_CONFIG = `declare root
{
	declare DDnsClient
	{
		bool Disabled true
	}
	declare ListenerList
	{
		declare Listener0
		{
			bool DisableDos false
			bool Enabled true
			uint Port 5555
		}
	}
	declare ServerConfiguration
	{
		bool DisableJsonRpcWebApi true
		bool DisableNatTraversal true
		bool EnableVpnAzure false
		bool UseKeepConnect false
		string PortsUDP $
	}
}
`;

/** The state directories vpnserver and vpncmd use, each replaced by a scratch directory. */
const STATE_DIRS = [
  ['lib', '/var/lib'],
  ['log', '/var/log'],
  ['run', '/run'],
  ['tmp', '/tmp'],
] as const;

/** `ip netns exec NS unshare -m sh -c '<bind the scratch dirs>; exec "$0" "$@"' PROGRAM ARGS`: the argv for spawn. */
function privateArgv(ns: string, scratch: string, program: string, args: readonly string[]): string[] {
  // /tmp last: the scratch directory itself lives under the real /tmp.
  const binds = STATE_DIRS.map(([sub, dir]) => `mount --bind '${join(scratch, sub)}' ${dir}`).join(' && ');
  return ['netns', 'exec', ns, 'unshare', '-m', 'sh', '-c', `${binds} && exec "$0" "$@"`, program, ...args];
}

/** A running vpnserver in namespace `ns`; `SoftEther.start` makes one, `stop()` ends it and removes its files. */
export class SoftEther {
  private readonly child: ChildProcess;
  private output = '';
  private exited = false;
  /** The server administrator password `configure` sets first. */
  private adminPassword = '';

  private constructor(
    readonly ns: string,
    private readonly scratch: string,
  ) {
    this.child = spawn('ip', privateArgv(ns, scratch, VPNSERVER, ['execsvc']), { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.child.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
    this.child.on('exit', () => (this.exited = true));
  }

  /** Starts vpnserver in `ns` from the seed config; resolves once it has loaded it and listens for vpncmd. */
  static async start(ns: string, timeoutMs = 15_000): Promise<SoftEther> {
    const scratch = mkdtempSync(join(tmpdir(), 'tunppp-softether-'));
    for (const [sub] of STATE_DIRS) mkdirSync(join(scratch, sub));
    for (const sub of ['lib/softether', 'log/softether', 'run/softether']) mkdirSync(join(scratch, sub));
    writeFileSync(join(scratch, 'lib/softether/vpn_server.config'), SEED_CONFIG);
    const se = new SoftEther(ns, scratch);
    const t0 = Date.now();
    while (!/TCP Listener \(port 5555\) has started/.test(se.log())) {
      if (se.exited || Date.now() - t0 > timeoutMs) {
        const why = se.exited ? 'exited' : `not listening after ${timeoutMs} ms`;
        const text = `vpnserver ${why}:\n${se.output}\n${se.log()}`;
        await se.stop();
        throw new Error(text);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return se;
  }

  /** The server log so far (all of log/softether/server_log), '' before it exists. */
  log(): string {
    const dir = join(this.scratch, 'log/softether/server_log');
    if (!existsSync(dir)) return '';
    return readdirSync(dir)
      .sort()
      .map((f) => readFileSync(join(dir, f), 'utf8'))
      .join('');
  }

  /**
   * Runs `commands` in one vpncmd session (server admin mode on
   * localhost:5555, `/IN:` batch) and returns its output; throws with the
   * output when vpncmd fails or any command reports an error.
   */
  vpncmd(commands: readonly string[], timeoutMs = 20_000): string {
    const batch = join(this.scratch, 'tmp', `vpncmd-${Date.now()}.txt`);
    writeFileSync(batch, commands.join('\n') + '\n');
    const argv = privateArgv(this.ns, this.scratch, VPNCMD, ['localhost:5555', '/SERVER', `/PASSWORD:${this.adminPassword}`, `/IN:/tmp/${batch.split('/').pop()}`]);
    const r = spawnSync('ip', argv, { encoding: 'utf8', timeout: timeoutMs });
    const out = `${r.stdout}${r.stderr}`;
    if (r.error || r.status !== 0 || /Error occurred\./.test(out)) throw new Error(`vpncmd ${commands.join(' | ')} → exit ${r.status}${r.error ? ` (${r.error.message})` : ''}:\n${out}`);
    return out;
  }

  /** Resolves once vpnserver listens on UDP `port` (1701 a moment after `IPsecEnable /L2TPRAW:yes`). */
  async waitUdpListening(port: number, timeoutMs = 10_000): Promise<void> {
    const t0 = Date.now();
    for (;;) {
      const r = spawnSync('ip', ['netns', 'exec', this.ns, 'ss', '-H', '-l', '-u', '-n', `sport = :${port}`], { encoding: 'utf8', timeout: 5000 });
      if (r.status === 0 && r.stdout.trim() !== '') return;
      if (Date.now() - t0 > timeoutMs) throw new Error(`vpnserver does not listen on UDP ${port} after ${timeoutMs} ms:\n${this.log().slice(-3000)}`);
      await new Promise((res) => setTimeout(res, 100));
    }
  }

  /** Sets the server administrator password (later vpncmd calls log in with it). */
  setAdminPassword(password: string): void {
    this.vpncmd([`ServerPasswordSet ${password}`]);
    this.adminPassword = password;
  }

  /**
   * Ends vpnserver: SIGTERM to the server the `execsvc` watchdog forked (it
   * shuts down cleanly, and the watchdog then exits instead of restarting
   * it), SIGTERM to the watchdog's process group if it is still there after
   * half of `timeoutMs`, SIGKILL to whatever of it is left in the namespace
   * after `timeoutMs`; removes the scratch directory. Safe to call twice.
   */
  async stop(timeoutMs = 8000): Promise<void> {
    const watchdog = this.child.pid;
    for (const pid of this.nsPids()) {
      if (pid === watchdog) continue;
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // exited meanwhile
      }
    }
    const t0 = Date.now();
    while (!this.exited && Date.now() - t0 < timeoutMs / 2) await new Promise((r) => setTimeout(r, 50));
    if (!this.exited && watchdog !== undefined) {
      try {
        process.kill(-watchdog, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    let left = this.nsPids();
    while (left.length > 0 && Date.now() - t0 < timeoutMs) {
      await new Promise((r) => setTimeout(r, 100));
      left = this.nsPids();
    }
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // exited meanwhile
      }
    }
    rmSync(this.scratch, { recursive: true, force: true });
  }

  /** The processes still in the server's namespace (vpnserver's own: nothing else runs there). */
  private nsPids(): number[] {
    const r = spawnSync('ip', ['netns', 'pids', this.ns], { encoding: 'utf8', timeout: 5000 });
    return r.status === 0 ? r.stdout.split('\n').filter(Boolean).map(Number) : [];
  }
}
