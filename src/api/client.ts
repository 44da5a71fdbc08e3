/**
 * The client side of the local API, for `tunppp sessions` and `tunppp kick`:
 * finds the socket and the token, makes one request, and turns transport
 * failures into errors that say what to do.
 */
import { request } from 'node:http';
import { IoError, VpnError } from '../core/errors.js';
import { DEFAULT_API_SOCKET, formatApiListen, parseApiListen, type ApiListen } from './listen.js';
import { DEFAULT_TOKEN_FILE, readToken } from './token.js';

/** Where to reach the API and with which token. */
export interface ApiTarget {
  listen: ApiListen;
  token: string;
}

/** Resolves the target from flags, then TUNPPP_API / TUNPPP_API_TOKEN_FILE, then the defaults. */
export async function resolveTarget(flags: { api?: string | undefined; tokenFile?: string | undefined }, env: NodeJS.ProcessEnv): Promise<ApiTarget> {
  const listen = parseApiListen(flags.api ?? env.TUNPPP_API ?? DEFAULT_API_SOCKET, false, flags.api === undefined && env.TUNPPP_API !== undefined ? 'TUNPPP_API' : '--api');
  const tokenFile = flags.tokenFile ?? env.TUNPPP_API_TOKEN_FILE ?? DEFAULT_TOKEN_FILE;
  let token: string;
  // No usable token: the server cannot be asked (exit 1, as the commands' help says), not a usage error.
  try {
    token = await readToken(tokenFile);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new IoError('API_TOKEN', `no API token at ${tokenFile}`, "start the server with 'tunppp serve --api' (it creates the token), or give --token-file");
    if (code === 'EACCES') throw new IoError('API_TOKEN', `cannot read the API token ${tokenFile} (permission denied)`, 'run as root (the token file is mode 0600)');
    if (err instanceof VpnError) throw new IoError('API_TOKEN', err.message, err.hint);
    throw err;
  }
  return { listen, token };
}

/** One API response. */
export interface ApiResponse {
  status: number;
  body: string;
  json<T>(): T;
}

/** Makes one request. */
export function apiRequest(target: ApiTarget, method: string, path: string, timeoutMs = 10_000): Promise<ApiResponse> {
  const where = formatApiListen(target.listen);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        ...(target.listen.kind === 'unix' ? { socketPath: target.listen.path } : { host: target.listen.host, port: target.listen.port }),
        method,
        path,
        headers: { Authorization: `Bearer ${target.token}`, Accept: 'application/json' },
        timeout: timeoutMs,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, json: <T>() => JSON.parse(body) as T }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => {
      const hint =
        err.code === 'ENOENT' || err.code === 'ECONNREFUSED'
          ? "is 'tunppp serve --api' running? (give --api PATH|HOST:PORT if it listens elsewhere)"
          : err.code === 'EACCES'
            ? 'run as root, or as a member of the socket group'
            : undefined;
      reject(new IoError('API_CONNECT', `cannot reach the tunppp API at ${where}: ${err.message}`, hint, { cause: err }));
    });
    req.end();
  });
}

/** Throws a readable error for a non-2xx answer. */
export function expectOk(r: ApiResponse, what: string): void {
  if (r.status >= 200 && r.status < 300) return;
  let msg = r.body.trim();
  try {
    const j = JSON.parse(r.body) as { error?: string; hint?: string };
    msg = j.error ?? msg;
  } catch {
    // Not JSON: keep the text.
  }
  throw new IoError('API_STATUS', `${what}: the server answered ${r.status}: ${msg}`);
}
