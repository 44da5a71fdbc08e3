/**
 * Network namespaces for the I/O tests: unique names (tp-<pid>-<n>), veth
 * links between them, every `ip` call bounded in time, everything removed in
 * `finally` even when the test fails. Traffic never leaves these namespaces.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { nativeCandidates } from '../../src/io/native.js';

let seq = 0;

/** Why the namespace tests cannot run here, or undefined when they can. */
export function netnsSkipReason(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux';
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, raw sockets, TUN); run the tests as root to cover src/io';
  const ip = spawnSync('ip', ['-V'], { encoding: 'utf8', timeout: 5000 });
  if (ip.error || ip.status !== 0) return "needs the 'ip' command (Debian package iproute2)";
  if (!nativeCandidates().some((p) => existsSync(p))) return 'the native addon is not built (npm rebuild)';
  return undefined;
}

/** Runs a command with a time bound; throws with its stderr on failure. */
export function run(cmd: string, args: readonly string[], timeoutMs = 10_000): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} → exit ${r.status}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Addresses (CIDR) of `NetnsLab.routed`: client and router on one link, router and server on the other. */
export interface RoutedLabAddrs {
  client: string;
  routerClient: string;
  routerServer: string;
  server: string;
}

/** A set of namespaces created by one test. */
export class NetnsLab {
  private readonly names: string[] = [];

  /** Creates a namespace with loopback up and returns its name. */
  ns(): string {
    const name = `tp-${process.pid}-${++seq}`;
    run('ip', ['netns', 'add', name]);
    this.names.push(name);
    run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    return name;
  }

  /** Runs `ip -n ns ...`. */
  ip(ns: string, ...args: string[]): string {
    return run('ip', ['-n', ns, ...args]);
  }

  /** Runs a command inside ns. */
  exec(ns: string, cmd: string, ...args: string[]): string {
    return run('ip', ['netns', 'exec', ns, cmd, ...args]);
  }

  /**
   * Links two namespaces with a veth pair: `aIf` in `a` with `aAddr` (CIDR),
   * `bIf` in `b` with `bAddr`; both up, optional MTU per end.
   */
  link(a: string, aIf: string, aAddr: string, b: string, bIf: string, bAddr: string, mtu?: { a?: number; b?: number }): void {
    run('ip', ['link', 'add', aIf, 'netns', a, 'type', 'veth', 'peer', 'name', bIf, 'netns', b]);
    this.ip(a, 'addr', 'add', aAddr, 'dev', aIf);
    this.ip(b, 'addr', 'add', bAddr, 'dev', bIf);
    if (mtu?.a) this.ip(a, 'link', 'set', aIf, 'mtu', String(mtu.a));
    if (mtu?.b) this.ip(b, 'link', 'set', bIf, 'mtu', String(mtu.b));
    this.ip(a, 'link', 'set', aIf, 'up');
    this.ip(b, 'link', 'set', bIf, 'up');
  }

  /**
   * client — router — server in three new namespaces: the router forwards
   * IPv4, client and server route everything through it, and the client's
   * link has MTU `clientLinkMtu` at both ends, so the server's full-size
   * datagrams with DF draw ICMP fragmentation-needed from the router.
   */
  routed(a: RoutedLabAddrs, clientLinkMtu = 1400): { c: string; r: string; s: string } {
    const c = this.ns();
    const r = this.ns();
    const s = this.ns();
    this.link(c, 'c0', a.client, r, 'r0', a.routerClient, { a: clientLinkMtu, b: clientLinkMtu });
    this.link(r, 'r1', a.routerServer, s, 's0', a.server);
    this.exec(r, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1');
    this.ip(c, 'route', 'add', 'default', 'via', a.routerClient.split('/')[0]!);
    this.ip(s, 'route', 'add', 'default', 'via', a.routerServer.split('/')[0]!);
    return { c, r, s };
  }

  /** Deletes every namespace (and with it every veth and TUN inside). */
  cleanup(): void {
    for (const n of this.names.splice(0)) spawnSync('ip', ['netns', 'del', n], { timeout: 10_000 });
  }
}

/** Runs `fn` with a fresh lab and always cleans up. */
export async function withLab<T>(fn: (lab: NetnsLab) => Promise<T> | T): Promise<T> {
  const lab = new NetnsLab();
  try {
    return await fn(lab);
  } finally {
    lab.cleanup();
  }
}

/** Resolves when `pred()` holds; rejects after `timeoutMs` with `what`. */
export function waitFor(pred: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (pred()) resolve();
      else if (Date.now() - t0 > timeoutMs) reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      else setTimeout(tick, 5);
    };
    tick();
  });
}

/** A PPTP enhanced GRE packet (RFC 2637 §4.1): K and S bits, version 1, `payload` after the header. */
export function pptpGre(callId: number, seq: number, payload: Uint8Array): Uint8Array {
  const b = new Uint8Array(12 + payload.length);
  const v = new DataView(b.buffer);
  b[0] = 0x30; // K, S
  b[1] = 0x01; // version 1
  v.setUint16(2, 0x880b); // PPP
  v.setUint16(4, payload.length);
  v.setUint16(6, callId);
  v.setUint32(8, seq);
  b.set(payload, 12);
  return b;
}
