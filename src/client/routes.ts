/**
 * Client routes through the tunnel, with `ip route` (iproute2). The default
 * route is taken the OpenVPN way (0.0.0.0/1 and 128.0.0.0/1 via the TUN), so
 * the existing default stays and comes back by itself when the TUN goes away;
 * a host route keeps the server itself reachable outside the tunnel.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { IoError } from '../core/errors.js';

const run = promisify(execFile);

/** Routes to add. */
export interface RouteRequest {
  tun: string;
  /** The server's outer address. */
  server: string;
  defaultRoute: boolean;
  /** CIDR prefixes. */
  prefixes: string[];
}

/** What was added, to remove at exit. */
export interface RouteHandle {
  remove(): Promise<void>;
}

async function ip(args: string[]): Promise<string> {
  try {
    const { stdout } = await run('ip', args);
    return stdout;
  } catch (err) {
    throw new IoError('ROUTE', `ip ${args.join(' ')} failed: ${((err as { stderr?: string }).stderr ?? (err as Error).message).trim()}`, 'check that iproute2 is installed and that tunppp runs as root');
  }
}

/** The `ip route get` answer for `addr` as arguments for `ip route replace`. */
export async function currentRouteTo(addr: string): Promise<string[] | undefined> {
  const out = await ip(['-4', 'route', 'get', addr]);
  const via = /\bvia (\S+)/.exec(out)?.[1];
  const dev = /\bdev (\S+)/.exec(out)?.[1];
  if (!dev) return undefined;
  return via ? ['via', via, 'dev', dev] : ['dev', dev];
}

/** Adds the routes; the handle removes the host route (the TUN routes go with the TUN). */
export async function addRoutes(r: RouteRequest): Promise<RouteHandle> {
  const added: string[][] = [];
  if (r.defaultRoute) {
    const path = await currentRouteTo(r.server);
    if (path) {
      await ip(['-4', 'route', 'replace', `${r.server}/32`, ...path]);
      added.push([`${r.server}/32`, ...path]);
    }
    await ip(['-4', 'route', 'replace', '0.0.0.0/1', 'dev', r.tun]);
    await ip(['-4', 'route', 'replace', '128.0.0.0/1', 'dev', r.tun]);
  }
  for (const p of r.prefixes) await ip(['-4', 'route', 'replace', p, 'dev', r.tun]);
  return {
    async remove() {
      for (const a of added) await ip(['-4', 'route', 'del', ...a]).catch(() => undefined);
    },
  };
}
