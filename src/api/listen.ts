/**
 * Where the API listens: a unix socket (default /run/tunppp/api.sock) or a
 * loopback TCP address. Shared by the server (`serve --api`) and the clients
 * (`tunppp sessions`, `kick`).
 */
import { isIP } from 'node:net';
import { UsageError } from '../core/errors.js';

/** Default unix socket. */
export const DEFAULT_API_SOCKET = '/run/tunppp/api.sock';

/** A parsed listen address. */
export type ApiListen = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

/**
 * Parses `/path/api.sock`, `unix:/path`, `127.0.0.1:8723`, `[::1]:8723` or
 * `localhost:8723`. TCP must be loopback unless `allowRemote`.
 */
export function parseApiListen(spec: string, allowRemote = false, flag = '--api-listen'): ApiListen {
  // `flag` names where the value came from (--api-listen for serve, --api or TUNPPP_API for the clients).
  const eg = (v: string): string => (flag.startsWith('-') ? `${flag} ${v}` : `${flag}=${v}`);
  if (spec.startsWith('unix:')) spec = spec.slice(5);
  if (spec.startsWith('/') || spec.startsWith('./')) return { kind: 'unix', path: spec };
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(spec);
  if (!m) throw new UsageError(`${flag}: expected a socket path or HOST:PORT, got '${spec}'`, `e.g. ${eg('/run/tunppp/api.sock')} or ${eg('127.0.0.1:8723')}`);
  const host = m[1] ?? m[2]!;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) throw new UsageError(`${flag}: port ${port} is out of range`, 'use 1-65535');
  const loopback = host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
  if (!loopback && !allowRemote) {
    throw new UsageError(`${flag}: ${host} is not a loopback address; the API is for this host only`, 'listen on 127.0.0.1 and reach it through an SSH tunnel (ssh -L 8723:127.0.0.1:8723 host)');
  }
  return { kind: 'tcp', host, port };
}

/** For messages. */
export function formatApiListen(l: ApiListen): string {
  return l.kind === 'unix' ? l.path : `${l.host.includes(':') ? `[${l.host}]` : l.host}:${l.port}`;
}
