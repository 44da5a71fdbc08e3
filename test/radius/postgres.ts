/**
 * A private PostgreSQL 15 cluster for tests: `initdb` into a temp dir, the
 * server listening only on a unix socket in that dir (no TCP), trust
 * authentication for the superuser `postgres`, stopped and removed at the
 * end. PostgreSQL refuses to run as root, so as root the cluster belongs to
 * the `postgres` system user (Debian's package creates it) and runs under
 * `runuser`. Nothing of the system's own clusters is touched.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

const PG_BIN = '/usr/lib/postgresql/15/bin';

/** Why PostgreSQL tests cannot run here, or undefined when they can. */
export function postgresMissing(): string | undefined {
  if (!existsSync(join(PG_BIN, 'initdb')) || !existsSync(join(PG_BIN, 'pg_ctl'))) return `PostgreSQL 15 is not installed (${PG_BIN}; apt-get install postgresql-15)`;
  if (spawnSync('psql', ['--version']).status !== 0) return 'psql is missing (apt-get install postgresql-client-15)';
  if (userInfo().uid === 0 && spawnSync('id', ['postgres']).status !== 0) return 'running as root and there is no postgres user to run the cluster as';
  return undefined;
}

/** A running private cluster. */
export interface Postgres {
  /** The directory holding the data dir and the socket. */
  dir: string;
  /** Where the unix socket is (libpq `host=`). */
  socketDir: string;
  port: number;
  /** A libpq connection string for `dbname`. */
  conninfo(dbname: string): string;
  /** Runs SQL (or `-f file` when `file` is set) with psql in `dbname`; returns its unaligned, tuples-only output. Throws on any error. */
  psql(dbname: string, sql: string, opts?: { file?: boolean }): string;
  stop(): void;
}

/** Runs `cmd` as the cluster's owner (postgres when we are root). */
function asOwner(cmd: string, args: string[], timeoutMs = 60_000): { status: number | null; out: string } {
  const root = userInfo().uid === 0;
  const r = root ? spawnSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { encoding: 'utf8', timeout: timeoutMs }) : spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

/** Initialises and starts a cluster; resolves once it accepts connections (bounded). */
export function startPostgres(opts: { port?: number } = {}): Postgres {
  const dir = mkdtempSync(join(tmpdir(), 'tunppp-pg-'));
  const port = opts.port ?? 15432 + Math.floor(Math.random() * 10_000);
  if (userInfo().uid === 0) {
    const pg = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    chownSync(dir, Number(pg.stdout.trim()), Number(gid.stdout.trim()));
  }
  chmodSync(dir, 0o755);
  const data = join(dir, 'data');
  const stop = (): void => {
    asOwner(join(PG_BIN, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', '-t', '10', 'stop'], 20_000);
    rmSync(dir, { recursive: true, force: true });
  };
  const init = asOwner(join(PG_BIN, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed:\n${init.out}`);
  }
  // Socket only, in our dir; fsync off (a test database need not survive a crash).
  const o = `-c listen_addresses='' -c unix_socket_directories='${dir}' -p ${port} -c fsync=off -c full_page_writes=off`;
  const start = asOwner(join(PG_BIN, 'pg_ctl'), ['-D', data, '-l', join(dir, 'log'), '-o', o, '-w', '-t', '30', 'start']);
  if (start.status !== 0) {
    stop();
    throw new Error(`pg_ctl start failed:\n${start.out}`);
  }
  const psql = (dbname: string, sql: string, p: { file?: boolean } = {}): string => {
    const r = spawnSync('psql', ['-h', dir, '-p', String(port), '-U', 'postgres', '-d', dbname, '-v', 'ON_ERROR_STOP=1', '-qAt', p.file ? '-f' : '-c', sql], { encoding: 'utf8', timeout: 30_000 });
    if (r.status !== 0) throw new Error(`psql failed (${r.status}): ${r.stderr}${r.error ? String(r.error) : ''}`);
    return r.stdout;
  };
  return {
    dir,
    socketDir: dir,
    port,
    conninfo: (dbname) => `host=${dir} port=${port} dbname=${dbname} user=postgres`,
    psql,
    stop,
  };
}
