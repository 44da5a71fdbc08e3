/**
 * strongSwan's charon for the L2TP/IPsec end-to-end test: one daemon per
 * network namespace, with the kernel-libipsec plugin doing ESP in userspace
 * over its own TUN (ipsec0), because this test host's kernel has no ESP.
 *
 * Two charons on one filesystem clash on /run/charon.pid (a compile-time
 * path). Each one runs under `unshare -m` with a private tmpfs on /run, gets
 * its own strongswan.conf (STRONGSWAN_CONF) and its own vici socket in the
 * test's directory, which swanctl reaches from the host.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Debian's path of the IKE daemon (strongswan-charon). */
export const CHARON = '/usr/lib/ipsec/charon';
/** The userspace ESP plugin (libcharon-extra-plugins). */
export const LIBIPSEC_PLUGIN = '/usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so';

/** Why charon with kernel-libipsec cannot run here, or undefined when it can. */
export function strongswanSkipReason(): string | undefined {
  if (!existsSync(CHARON)) return `strongSwan's charon is not installed (${CHARON}; Debian package strongswan-charon)`;
  if (!existsSync(LIBIPSEC_PLUGIN)) return 'the kernel-libipsec plugin is not installed (Debian package libcharon-extra-plugins)';
  if (spawnSync('sh', ['-c', 'command -v swanctl'], { stdio: 'ignore', timeout: 5000 }).status !== 0) return 'swanctl is not installed (Debian package strongswan-swanctl)';
  if (spawnSync('unshare', ['--version'], { stdio: 'ignore', timeout: 5000 }).status !== 0) return 'unshare is not installed (Debian package util-linux)';
  if (!existsSync('/dev/net/tun')) return 'no /dev/net/tun (kernel-libipsec needs a TUN device)';
  return undefined;
}

/** A charon in namespace `ns`, configured in `dir`. */
export class Charon {
  readonly vici: string;
  readonly log: string;
  private readonly conf: string;
  private readonly child: ChildProcess;
  private exited: Promise<void>;
  private err = '';

  constructor(ns: string, dir: string) {
    this.vici = join(dir, 'charon.vici');
    this.log = join(dir, 'charon.log');
    this.conf = join(dir, 'strongswan.conf');
    writeFileSync(
      this.conf,
      `charon {
  # Only what the test needs; kernel-libipsec before kernel-netlink so it owns the IPsec part.
  load_modular = no
  load = random nonce aes sha1 sha2 hmac gmp pem pkcs1 x509 pubkey kernel-libipsec kernel-netlink socket-default vici
  plugins {
    vici { socket = unix://${this.vici} }
    # The traffic selectors are the IKE peers themselves (host to host): the
    # route to the peer goes into ipsec0, so IKE and ESP-in-UDP packets carry
    # fwmark 0x42 and skip routing table 220, which holds that route.
    kernel-libipsec { allow_peer_ts = yes }
    kernel-netlink { fwmark = !0x42 }
    socket-default { fwmark = 0x42 }
  }
  filelog {
    test {
      path = ${this.log}
      default = 1
      flush_line = yes
    }
  }
}
swanctl {
  load = pem pkcs1 x509 pubkey random nonce
}
`,
    );
    this.child = spawn('ip', ['netns', 'exec', ns, 'unshare', '-m', '--propagation', 'private', 'sh', '-c', `mount -t tmpfs tmpfs /run && exec ${CHARON}`], {
      env: { ...process.env, STRONGSWAN_CONF: this.conf },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.child.stderr!.on('data', (d: Buffer) => (this.err += d.toString()));
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  /** Resolves when the vici socket is there (charon has loaded its plugins). */
  async started(timeoutMs = 10_000): Promise<void> {
    const t0 = Date.now();
    while (!existsSync(this.vici)) {
      if (this.child.exitCode !== null) throw new Error(`charon exited (${this.child.exitCode}): ${this.err}\n${this.logText()}`);
      if (Date.now() - t0 > timeoutMs) throw new Error(`charon did not open ${this.vici}: ${this.err}\n${this.logText()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Runs swanctl against this charon. */
  swanctl(args: string[], timeoutMs = 20_000): { code: number | null; out: string } {
    const r = spawnSync('swanctl', [...args, '--uri', `unix://${this.vici}`], {
      encoding: 'utf8',
      timeout: timeoutMs,
      env: { ...process.env, STRONGSWAN_CONF: this.conf },
    });
    return { code: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
  }

  /** charon's log so far. */
  logText(): string {
    return existsSync(this.log) ? readFileSync(this.log, 'utf8') : '';
  }

  /** SIGTERM, then SIGKILL after `timeoutMs`; waits for the exit. */
  async stop(timeoutMs = 5000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(t);
  }
}
