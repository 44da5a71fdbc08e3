/**
 * `serve --masquerade IFACE`: NAT for the clients. At start: an nftables
 * table `ip tunppp` with one rule, masquerade the pools' prefixes out of
 * IFACE, and IPv4 forwarding on. At exit the table goes.
 *
 * The table is created by an `nft -i` child that lives as long as the
 * server, with the table flag `owner` (Linux 5.12+): the kernel deletes an
 * owned table when its creator's netlink socket closes, so the rule goes
 * even when the server is killed, and the child (still root) can delete it
 * after the server dropped its privileges (`--user`). Where `owner` is not
 * supported the table is plain and the child deletes it at stop.
 *
 * ip_forward stays on at exit: other services may rely on it by then.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { coveringPrefix, formatIpv4, parseIpv4 } from '../config/ipv4.js';
import type { Config } from '../config/schema.js';
import { IoError, UsageError } from '../core/errors.js';
import type { Logger } from '../log/logger.js';

/** The nftables table name. */
export const NFT_TABLE = 'tunppp';

/** The pools' prefixes as CIDR strings ("192.168.99.0/24"). */
export function poolPrefixes(config: Config): string[] {
  const out = new Set<string>();
  for (const p of config.pools) {
    const local = parseIpv4(p.local)!;
    const len = coveringPrefix(local, p.ranges);
    const mask = len === 0 ? 0 : (~0 << (32 - len)) >>> 0;
    out.add(`${formatIpv4((local & mask) >>> 0)}/${len}`);
  }
  return [...out];
}

/** The nft script that creates the table (`owner`: tie it to the creating socket). */
export function masqueradeRuleset(iface: string, prefixes: readonly string[], owner: boolean): string {
  return [
    `add table ip ${NFT_TABLE}${owner ? ' { flags owner; }' : ''}`,
    `add chain ip ${NFT_TABLE} postrouting { type nat hook postrouting priority srcnat; policy accept; }`,
    `add rule ip ${NFT_TABLE} postrouting oifname "${iface}" ip saddr { ${prefixes.join(', ')} } counter masquerade`,
  ].join('\n');
}

/** A set-up masquerade. */
export interface Masquerade {
  readonly iface: string;
  readonly prefixes: string[];
  /** Whether the kernel removes the table by itself when the server dies. */
  readonly owned: boolean;
  /** Removes the table (idempotent). */
  stop(): Promise<void>;
}

const IFACE_RE = /^[A-Za-z0-9_.:@-]{1,15}$/;

/** Sets up NAT out of `iface` for the pools of `config`. */
export async function startMasquerade(iface: string, config: Config, log: Logger, nft = 'nft'): Promise<Masquerade> {
  if (!IFACE_RE.test(iface)) throw new UsageError(`--masquerade: '${iface}' is not an interface name`, 'give the outward interface, e.g. --masquerade eth0');
  const prefixes = poolPrefixes(config);
  if (prefixes.length === 0) throw new UsageError('--masquerade needs an address pool', 'configure pools (or localip/remoteip)');
  const probe = spawnSync(nft, ['--version'], { encoding: 'utf8', timeout: 5000 });
  if (probe.error || probe.status !== 0) throw new IoError('NFT_MISSING', `--masquerade needs the nft command (${probe.error?.message ?? probe.stderr.trim()})`, 'apt-get install nftables');
  // A plain table left by an older run or by hand: ours by name, replace it.
  spawnSync(nft, ['delete', 'table', 'ip', NFT_TABLE], { timeout: 5000 });

  const child = spawn(nft, ['-i'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stdin!.on('error', () => {});

  const run = async (script: string): Promise<{ ok: boolean; err: string }> => {
    const marker = `tunppp-${Math.floor(Math.random() * 1e9)}`;
    const errBefore = err.length;
    // A listing of a table that cannot exist prints an error containing the marker: the end of our commands.
    child.stdin!.write(`${script}\nlist table ip ${marker}\n`);
    const t0 = Date.now();
    while (!err.slice(errBefore).includes(marker) && !out.includes(marker)) {
      if (child.exitCode !== null || Date.now() - t0 > 5000) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    // nft prints each error as "Error: …", the command, and a caret line; drop the marker's own.
    const e = err
      .slice(errBefore)
      .split(/(?=^Error:)/m)
      .filter((block) => block.trim() !== '' && !block.includes(marker))
      .join('')
      .trim();
    return { ok: e === '', err: e };
  };

  let owned = true;
  let r = await run(masqueradeRuleset(iface, prefixes, true));
  if (!r.ok && /owner|syntax/i.test(r.err)) {
    owned = false;
    await run(`delete table ip ${NFT_TABLE}`);
    r = await run(masqueradeRuleset(iface, prefixes, false));
  }
  if (!r.ok) {
    child.stdin!.end();
    throw new IoError('NFT_RULE', `--masquerade: nft refused the NAT rule: ${r.err.trim()}`, 'check that the kernel has nf_tables and nft_masq, and that the server runs as root');
  }
  try {
    const before = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
    if (before !== '1') writeFileSync('/proc/sys/net/ipv4/ip_forward', '1\n');
  } catch (e) {
    child.stdin!.end();
    throw new IoError('IP_FORWARD', `--masquerade: cannot enable net.ipv4.ip_forward: ${(e as Error).message}`, 'run as root, or set net.ipv4.ip_forward=1 in /etc/sysctl.d/');
  }
  log.info('masquerade', `NAT: ${prefixes.join(', ')} masqueraded out of ${iface} (nftables table ip ${NFT_TABLE}${owned ? ', removed by the kernel if tunppp dies' : ''}); net.ipv4.ip_forward=1`, { iface });

  let stopped: Promise<void> | undefined;
  return {
    iface,
    prefixes,
    owned,
    stop() {
      stopped ??= (async () => {
        if (child.exitCode === null) {
          child.stdin!.write(`delete table ip ${NFT_TABLE}\n`);
          child.stdin!.end();
          const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
          await exited;
          clearTimeout(timer);
        }
        log.info('masquerade-stop', `NAT table ip ${NFT_TABLE} removed`);
      })();
      return stopped;
    },
  };
}

