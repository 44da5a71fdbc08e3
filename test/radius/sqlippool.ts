/**
 * FreeRADIUS with rlm_sql + rlm_sqlippool on a private PostgreSQL (the
 * scale-out setup of docs/scale-out.md) for tests: the cluster from
 * postgres.ts with FreeRADIUS's own schema files (main/postgresql and
 * ippool/postgresql), a pool of addresses in radippool, and a FreeRADIUS
 * from freeradius.ts whose sql and sqlippool modules are the Debian ones
 * with the PostgreSQL dialect and our database:
 *
 * - post-auth: sqlippool leases an address (Framed-IP-Address) keyed by
 *   NAS-IP-Address and NAS-Port; when the pool is empty the login is
 *   rejected with Reply-Message "pool exhausted".
 * - accounting: sql writes radacct; sqlippool extends the lease on Start and
 *   Interim-Update, frees it on Stop, and frees every lease of a NAS on its
 *   Accounting-On and Accounting-Off.
 */
import { readFileSync, existsSync } from 'node:fs';
import { freeradiusMissing, startFreeRadius, type FreeRadius, type FreeRadiusOptions } from './freeradius.js';
import { postgresMissing, startPostgres, type Postgres } from './postgres.js';

const MODS = '/etc/freeradius/3.0/mods-available';
const SQL_CONFIG = '/etc/freeradius/3.0/mods-config/sql';
const SQL_DRIVER = '/usr/lib/freeradius/rlm_sql_postgresql.so';

/** Why the sqlippool tests cannot run here, or undefined when they can. */
export function sqlIppoolMissing(): string | undefined {
  const m = freeradiusMissing() ?? postgresMissing();
  if (m !== undefined) return m;
  if (!existsSync(SQL_DRIVER)) return 'FreeRADIUS has no PostgreSQL driver (apt-get install freeradius-postgresql)';
  return undefined;
}

/** One row of radippool as the tests read it. */
export interface Lease {
  address: string;
  nasIp: string;
  poolKey: string;
  user: string;
  callingStationId: string;
  /** The lease has not expired. */
  active: boolean;
}

/** One row of radacct. */
export interface AcctRow {
  sessionId: string;
  uniqueId: string;
  user: string;
  nasIp: string;
  framedIp: string;
  stopped: boolean;
  terminateCause: string;
}

/** The running pair. */
export interface SqlIppoolRadius {
  pg: Postgres;
  fr: FreeRadius;
  /** Every radippool row, by address. */
  leases(): Lease[];
  /** Every radacct row, oldest first. */
  acct(): AcctRow[];
  stop(): Promise<void>;
}

/** Options: the pool (name and addresses), the users file and where FreeRADIUS runs. */
export interface SqlIppoolOptions extends Pick<FreeRadiusOptions, 'netns' | 'listenAddress' | 'clientAddress' | 'secret'> {
  pool: string;
  addresses: string[];
  /** The users file; every user gets Pool-Name := pool from a DEFAULT entry before it. */
  users: string;
  /** Extra text for the site's sections (e.g. Simultaneous-Use's `session`). */
  sections?: FreeRadiusOptions['sections'];
}

/** Starts PostgreSQL, loads the schemas and the pool, then FreeRADIUS on it. */
export async function startSqlIppoolRadius(opts: SqlIppoolOptions): Promise<SqlIppoolRadius> {
  const pg = startPostgres();
  try {
    pg.psql('postgres', 'CREATE DATABASE radius');
    pg.psql('radius', `${SQL_CONFIG}/main/postgresql/schema.sql`, { file: true });
    pg.psql('radius', `${SQL_CONFIG}/ippool/postgresql/schema.sql`, { file: true });
    for (const a of opts.addresses) {
      if (!/^[\d.]+$/.test(a) || !/^\w+$/.test(opts.pool)) throw new Error(`bad pool ${opts.pool} ${a}`);
      pg.psql('radius', `INSERT INTO radippool (pool_name, framedipaddress) VALUES ('${opts.pool}', '${a}')`);
    }
  } catch (err) {
    pg.stop();
    throw err;
  }
  const sql = readFileSync(`${MODS}/sql`, 'utf8')
    .replace(/^[ \t]*dialect = [^\n]*$/m, '\tdialect = "postgresql"')
    .replace(/^[ \t]*driver = [^\n]*$/m, '\tdriver = "rlm_sql_postgresql"')
    .replace(/^[ \t]*radius_db = [^\n]*$/m, `\tradius_db = "${pg.conninfo('radius')}"`);
  const sqlippool = readFileSync(`${MODS}/sqlippool`, 'utf8').replace(/^[ \t]*dialect = [^\n]*$/m, '\tdialect = "postgresql"');
  let fr: FreeRadius;
  try {
    const frOpts: FreeRadiusOptions = {
      users: `DEFAULT Pool-Name := "${opts.pool}"\n\tFall-Through = Yes\n\n${opts.users}`,
      modules: { sql, sqlippool },
      sections: {
        ...opts.sections,
        accounting: `  sql\n  sqlippool\n${opts.sections?.accounting ?? ''}`,
        postAuth: `  sqlippool\n  if (notfound) {\n    update reply {\n      &Reply-Message := "pool exhausted"\n    }\n    reject\n  }\n${opts.sections?.postAuth ?? ''}`,
      },
    };
    for (const k of ['netns', 'listenAddress', 'clientAddress', 'secret'] as const) if (opts[k] !== undefined) frOpts[k] = opts[k];
    fr = await startFreeRadius(frOpts);
  } catch (err) {
    pg.stop();
    throw err;
  }
  const rows = (q: string): string[][] =>
    pg
      .psql('radius', q)
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => l.split('|'));
  return {
    pg,
    fr,
    leases: () =>
      rows("SELECT host(framedipaddress), nasipaddress, pool_key, coalesce(username, ''), callingstationid, expiry_time > now()::timestamp(0) FROM radippool ORDER BY framedipaddress").map(
        ([address, nasIp, poolKey, user, callingStationId, active]) => ({ address: address!, nasIp: nasIp!, poolKey: poolKey!, user: user!, callingStationId: callingStationId!, active: active === 't' }),
      ),
    acct: () =>
      rows("SELECT acctsessionid, acctuniqueid, username, host(nasipaddress), coalesce(host(framedipaddress), ''), acctstoptime IS NOT NULL, coalesce(acctterminatecause, '') FROM radacct ORDER BY radacctid").map(
        ([sessionId, uniqueId, user, nasIp, framedIp, stopped, terminateCause]) => ({ sessionId: sessionId!, uniqueId: uniqueId!, user: user!, nasIp: nasIp!, framedIp: framedIp!, stopped: stopped === 't', terminateCause: terminateCause! }),
      ),
    async stop() {
      await fr.stop();
      pg.stop();
    },
  };
}
