/**
 * Runs a private FreeRADIUS 3 (`freeradius -X -d <tmp>`) on 127.0.0.1 for
 * tests: a copy of /etc/freeradius/3.0 with our own clients.conf, users
 * file and a minimal virtual server (PAP, CHAP, MS-CHAP, detail accounting
 * into the temp dir), on random high ports. EAP and the inner tunnel are
 * removed (they need certificates we do not use).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SYSTEM_RADDB = '/etc/freeradius/3.0';

/** Why FreeRADIUS tests cannot run here, or undefined when they can. */
export function freeradiusMissing(): string | undefined {
  const r = spawnSync('freeradius', ['-v'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return 'freeradius is not installed (apt-get install freeradius)';
  if (!existsSync(SYSTEM_RADDB)) return `${SYSTEM_RADDB} is missing`;
  return undefined;
}

/** A running FreeRADIUS. */
export interface FreeRadius {
  dir: string;
  authPort: number;
  acctPort: number;
  secret: string;
  /** Everything FreeRADIUS printed so far (debug output). */
  output(): string;
  /** The concatenated detail accounting files. */
  detail(): string;
  stop(): Promise<void>;
}

/** Options for `startFreeRadius`. */
export interface FreeRadiusOptions {
  /** The users (authorize) file. */
  users: string;
  secret?: string;
  /** Add `require_message_authenticator = yes` to the client. */
  requireMessageAuthenticator?: boolean;
  /** How long to wait for "Ready to process requests". */
  timeoutMs?: number;
  /** Run inside this network namespace (`ip netns exec`); loopback there must be up. */
  netns?: string;
  /** The authentication port (accounting is the next one); random by default. For a NAS configured before FreeRADIUS starts. */
  authPort?: number;
  /** Where to listen (default 127.0.0.1; `*` for every address of the namespace). */
  listenAddress?: string;
  /** Which NAS addresses are clients, as `ipaddr` (default 127.0.0.1; a CIDR such as 10.210.0.0/16 for NAS in other namespaces). */
  clientAddress?: string;
  /** Extra module configurations, written as mods-enabled/<name> (e.g. sql, sqlippool). */
  modules?: Record<string, string>;
  /** Text added to sections of the virtual server: after `files` in authorize, to accounting (before `detail`), a `session` section, post-auth (first). */
  sections?: { authorize?: string; accounting?: string; session?: string; postAuth?: string };
}

/** A random authentication port for `startFreeRadius` (the accounting port is the next one). */
export function randomRadiusPort(): number {
  return 20000 + Math.floor(Math.random() * 20000) * 2;
}

const SITE = (authPort: number, acctPort: number, listen = '127.0.0.1', x: NonNullable<FreeRadiusOptions['sections']> = {}): string => `
server default {
listen {
  type = auth
  ipaddr = ${listen}
  port = ${authPort}
}
listen {
  type = acct
  ipaddr = ${listen}
  port = ${acctPort}
}
authorize {
  preprocess
  chap
  mschap
  files
${x.authorize ?? ''}
  pap
}
authenticate {
  Auth-Type PAP {
    pap
  }
  Auth-Type CHAP {
    chap
  }
  Auth-Type MS-CHAP {
    mschap
  }
}
preacct {
  preprocess
  acct_unique
}
accounting {
${x.accounting ?? ''}
  detail
  ok
}
${x.session !== undefined ? `session {\n${x.session}\n}` : ''}
post-auth {
${x.postAuth ?? ''}
  # FreeRADIUS before 3.2.5 signs replies only when asked to; ask, so that
  # clients requiring Message-Authenticator (BlastRADIUS) can be tested.
  update reply {
    &Message-Authenticator := 0x00000000000000000000000000000000
  }
  Post-Auth-Type REJECT {
    attr_filter.access_reject
    update reply {
      &Message-Authenticator := 0x00000000000000000000000000000000
    }
  }
}
}
`;

/** Starts FreeRADIUS and waits until it is ready (bounded). */
export async function startFreeRadius(opts: FreeRadiusOptions): Promise<FreeRadius> {
  const dir = mkdtempSync(join(tmpdir(), 'tunppp-radius-'));
  const secret = opts.secret ?? 'testing123-secret';
  spawnSync('cp', ['-a', `${SYSTEM_RADDB}/.`, dir]);
  const authPort = opts.authPort ?? randomRadiusPort();
  const acctPort = authPort + 1;
  let conf = readFileSync(join(dir, 'radiusd.conf'), 'utf8');
  conf = conf
    .replaceAll(SYSTEM_RADDB, dir)
    .replace(/^logdir = .*$/m, `logdir = ${dir}/log`)
    .replace(/^run_dir = .*$/m, `run_dir = ${dir}/run`)
    .replace(/^[ \t]*user = freerad$/m, '')
    .replace(/^[ \t]*group = freerad$/m, '');
  writeFileSync(join(dir, 'radiusd.conf'), conf);
  for (const f of ['sites-enabled/default', 'sites-enabled/inner-tunnel', 'mods-enabled/eap']) {
    if (present(join(dir, f))) unlinkSync(join(dir, f));
  }
  writeFileSync(join(dir, 'sites-enabled/default'), SITE(authPort, acctPort, opts.listenAddress, opts.sections));
  for (const [name, text] of Object.entries(opts.modules ?? {})) {
    if (present(join(dir, 'mods-enabled', name))) unlinkSync(join(dir, 'mods-enabled', name));
    writeFileSync(join(dir, 'mods-enabled', name), text);
  }
  writeFileSync(
    join(dir, 'clients.conf'),
    `client tunppp {\n  ipaddr = ${opts.clientAddress ?? '127.0.0.1'}\n  secret = ${secret}\n  require_message_authenticator = ${opts.requireMessageAuthenticator ? 'yes' : 'no'}\n  nas_type = other\n}\n`,
  );
  const users = join(dir, 'mods-config/files/authorize');
  unlinkSync(users);
  writeFileSync(users, opts.users);
  spawnSync('mkdir', ['-p', `${dir}/log/radacct`, `${dir}/run`]);
  const argv = ['-X', '-d', dir, '-n', 'radiusd'];
  const child: ChildProcess = opts.netns
    ? spawn('ip', ['netns', 'exec', opts.netns, 'freeradius', ...argv], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn('freeradius', argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  while (!out.includes('Ready to process requests')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`FreeRADIUS did not start:\n${out.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    dir,
    authPort,
    acctPort,
    secret,
    output: () => out,
    detail: () => {
      const base = join(dir, 'log/radacct');
      let text = '';
      for (const sub of readdirSync(base)) for (const f of readdirSync(join(base, sub))) text += readFileSync(join(base, sub, f), 'utf8');
      return text;
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** True for a file or a symbolic link, even a dangling one. */
function present(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}
