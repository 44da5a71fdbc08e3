/**
 * The local HTTP API of `tunppp serve --api`: a unix socket (default) or a
 * loopback TCP port, every request authenticated by the token
 * (`Authorization: Bearer TOKEN`, or the cookie the dashboard gets from
 * `GET /?token=TOKEN`).
 *
 *   GET    /sessions        live sessions (SessionInfo[])
 *   GET    /sessions/:id    one session
 *   DELETE /sessions/:id    disconnect: LCP Terminate-Request, then the call clear
 *   POST   /reload          re-read config and chap-secrets (as SIGHUP)
 *   GET    /metrics         Prometheus text format
 *   GET    /status          server summary and totals (dashboard)
 *   GET    /auth-failures   recent failed authentications (dashboard)
 *   GET    /doctor          `tunppp doctor` findings on the server's own log (in a worker
 *                            thread; 503 with the reason when over its input or time cap)
 *   GET    /log             recent log lines (text)
 *   GET    /                the dashboard page
 *
 * A cookie-authenticated request that changes something must also carry
 * `X-Tunppp-Request: 1` (a header a cross-site form cannot send), so the
 * dashboard cookie cannot be used for CSRF.
 */
import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, unlink } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { IoError } from '../core/errors.js';
import type { Logger } from '../log/logger.js';
import { renderDashboard } from '../dashboard/page.js';
import { formatApiListen, type ApiListen } from './listen.js';
import { asPortInUse } from '../io/port-in-use.js';
import { tokenMatches } from './token.js';
import type { ApiBackend } from './types.js';

/** Cookie the dashboard authenticates with. */
export const TOKEN_COOKIE = 'tunppp_token';

/** Options of the API server. */
export interface ApiOptions {
  listen: ApiListen;
  token: string;
  backend: ApiBackend;
  log: Logger;
  /** Mode of the unix socket file. Default 0660. */
  socketMode?: number;
}

/** A listening API. */
export interface ApiServer {
  /** Where it listens (the TCP port is the bound one). */
  listen: ApiListen;
  close(): Promise<void>;
}

/** Removes a stale unix socket (left by a crash); refuses when a server still answers on it. */
async function clearStaleSocket(path: string): Promise<void> {
  let st;
  try {
    st = await lstat(path);
  } catch {
    return;
  }
  if (!st.isSocket()) throw new IoError('API_LISTEN', `${path} exists and is not a socket`, 'remove it or choose another path with --api-listen');
  const alive = await new Promise<boolean>((resolve) => {
    const c = connect(path);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
  if (alive) throw new IoError('API_LISTEN', `another process is serving the API on ${path}`, 'stop the other tunppp serve, or give this one its own --api-listen');
  await unlink(path);
}

/** `p` without its trailing slashes (a loop: /\/+$/ is quadratic on a path of many slashes). */
function withoutTrailingSlashes(p: string): string {
  let end = p.length;
  while (end > 0 && p.charCodeAt(end - 1) === 0x2f) end--;
  return p.slice(0, end);
}

function cookieToken(req: IncomingMessage): string | undefined {
  const h = req.headers.cookie;
  if (!h) return undefined;
  for (const part of h.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === TOKEN_COOKIE) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

function bearerToken(req: IncomingMessage): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  return m?.[1];
}

function send(res: ServerResponse, status: number, body: string, type = 'application/json; charset=utf-8', extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', ...extra });
  res.end(body);
}

function json(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, `${JSON.stringify(value, null, 2)}\n`);
}

const UNAUTHORIZED_PAGE = `<!doctype html><meta charset="utf-8"><title>tunppp</title>
<body style="font:15px system-ui,sans-serif;margin:3em;max-width:40em">
<h1>tunppp: token needed</h1>
<p>Open this page as <code>/?token=TOKEN</code>. The token is in the server's token file
(default <code>/var/lib/tunppp/api-token</code>, readable by the server's user only).</p>`;

/** Starts the API. */
export async function startApi(opts: ApiOptions): Promise<ApiServer> {
  const { backend, token, log } = opts;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://tunppp.local');
    const method = req.method ?? 'GET';
    const path = withoutTrailingSlashes(url.pathname) || '/';
    const viaBearer = tokenMatches(token, bearerToken(req));
    const viaCookie = !viaBearer && tokenMatches(token, cookieToken(req));

    if (path === '/' && method === 'GET' && !viaBearer && !viaCookie) {
      const q = url.searchParams.get('token') ?? undefined;
      if (tokenMatches(token, q)) {
        // Trade the token in the URL for an HttpOnly cookie and drop it from the address bar.
        send(res, 303, '', 'text/plain', { Location: '/', 'Set-Cookie': `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/` });
        return;
      }
      send(res, 401, UNAUTHORIZED_PAGE, 'text/html; charset=utf-8');
      return;
    }
    if (!viaBearer && !viaCookie) {
      json(res, 401, { error: 'missing or wrong token', hint: 'send Authorization: Bearer TOKEN (the token file is /var/lib/tunppp/api-token by default)' });
      return;
    }
    if (viaCookie && method !== 'GET' && method !== 'HEAD' && req.headers['x-tunppp-request'] !== '1') {
      json(res, 403, { error: 'cookie-authenticated changes need the X-Tunppp-Request: 1 header' });
      return;
    }

    const sessionMatch = /^\/sessions\/(\d+)$/.exec(path);
    if (path === '/' && method === 'GET') {
      const nonce = randomBytes(16).toString('base64');
      send(res, 200, renderDashboard(nonce), 'text/html; charset=utf-8', {
        'Content-Security-Policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
        'Referrer-Policy': 'no-referrer',
      });
    } else if (path === '/sessions' && method === 'GET') {
      json(res, 200, backend.sessions());
    } else if (sessionMatch && method === 'GET') {
      const s = backend.sessions().find((x) => x.id === Number(sessionMatch[1]));
      if (s) json(res, 200, s);
      else json(res, 404, { error: `no session ${sessionMatch[1]}` });
    } else if (sessionMatch && method === 'DELETE') {
      const r = await backend.kick(Number(sessionMatch[1]));
      if (r) {
        log.info('api-kick', `session ${r.id} disconnected through the API`, { link: r.id });
        json(res, r.ended ? 200 : 202, r);
      } else json(res, 404, { error: `no session ${sessionMatch[1]}` });
    } else if (path === '/reload' && method === 'POST') {
      const r = await backend.reload();
      json(res, r.ok ? 200 : 422, r);
    } else if (path === '/metrics' && method === 'GET') {
      const m = await backend.metrics();
      send(res, 200, m.body, m.contentType);
    } else if (path === '/status' && method === 'GET') {
      json(res, 200, backend.status());
    } else if (path === '/auth-failures' && method === 'GET') {
      json(res, 200, backend.authFailures());
    } else if (path === '/doctor' && method === 'GET') {
      // Off the event loop, with caps (doctor-runner.ts): a cap hit is a 503 with the reason.
      const d = await backend.doctor();
      if (d.ok) json(res, 200, d.info);
      else send(res, 503, `${JSON.stringify({ error: d.reason }, null, 2)}\n`, 'application/json; charset=utf-8', { 'Retry-After': '60' });
    } else if (path === '/log' && method === 'GET') {
      send(res, 200, backend.log().join('\n') + '\n', 'text/plain; charset=utf-8');
    } else if (['/', '/sessions', '/reload', '/metrics', '/status', '/auth-failures', '/doctor', '/log'].includes(path) || sessionMatch) {
      json(res, 405, { error: `${method} is not allowed on ${path}` });
    } else {
      json(res, 404, { error: `no such endpoint: ${path}` });
    }
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      log.error('api-error', `API ${req.method} ${req.url}: ${err.message}`);
      if (!res.headersSent) json(res, 500, { error: err.message });
      else res.end();
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;

  const l = opts.listen;
  if (l.kind === 'unix') {
    await mkdir(dirname(l.path), { recursive: true, mode: 0o755 });
    await clearStaleSocket(l.path);
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const done = (): void => {
      server.off('error', reject);
      resolve();
    };
    if (l.kind === 'unix') server.listen(l.path, done);
    else server.listen({ host: l.host, port: l.port }, done);
  }).catch((err: NodeJS.ErrnoException) => {
    if (l.kind === 'tcp') {
      const inUse = asPortInUse(err, 'tcp', { address: l.host, port: l.port }, 'the API');
      if (inUse) throw inUse;
    }
    throw new IoError('API_LISTEN', `cannot listen for the API on ${formatApiListen(l)}: ${err.message}`, 'choose another --api-listen, or stop what uses it', { cause: err });
  });
  let bound: ApiListen = l;
  if (l.kind === 'unix') await chmod(l.path, opts.socketMode ?? 0o660);
  else {
    const a = server.address();
    if (a && typeof a === 'object') bound = { kind: 'tcp', host: l.host, port: a.port };
  }
  server.on('error', (err) => log.error('api-error', `API listener error: ${err.message}`));
  log.info('api-start', `API listening on ${formatApiListen(bound)}`, { api: formatApiListen(bound) });
  return {
    listen: bound,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      if (l.kind === 'unix') await unlink(l.path).catch(() => {});
    },
  };
}
