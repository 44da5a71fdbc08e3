/**
 * `serve --user NAME`: after the sockets, the TUN device and the API socket
 * are open, the process becomes NAME (supplementary groups set to its primary
 * group only, then gid, then uid).
 * The open descriptors keep working; nothing privileged can be opened again
 * — a reload re-reads files (which NAME must be able to read) but cannot
 * bind new listeners or recreate the TUN device (docs/operations.md).
 */
import { spawnSync } from 'node:child_process';
import { IoError, UsageError } from '../core/errors.js';
import type { Logger } from '../log/logger.js';

/** A resolved account. */
export interface Account {
  name: string;
  uid: number;
  gid: number;
}

/** Looks `name` (or a numeric uid) up in the passwd database (getent, so NSS sources count). */
export function lookupAccount(name: string): Account {
  if (!/^[A-Za-z0-9_.][A-Za-z0-9_.-]*\$?$/.test(name)) throw new UsageError(`--user: '${name}' is not a user name`, 'e.g. --user tunppp');
  const r = spawnSync('getent', ['passwd', name], { encoding: 'utf8', timeout: 5000 });
  const line = r.status === 0 ? r.stdout.split('\n')[0] : undefined;
  const f = line?.split(':');
  if (!f || f.length < 4) throw new UsageError(`--user: no such user '${name}'`, `create it first: useradd --system --no-create-home --shell /usr/sbin/nologin ${name}`);
  return { name: f[0]!, uid: Number(f[2]), gid: Number(f[3]) };
}

/** Becomes `account`; throws when the change did not stick. */
export function dropPrivileges(account: Account, log: Logger): void {
  if (process.getuid?.() !== 0) {
    if (process.getuid?.() === account.uid) return;
    throw new IoError('DROP_PRIVILEGES', `--user ${account.name}: only root can change user (running as uid ${process.getuid?.()})`, 'start as root, or leave --user out when systemd already runs tunppp as that user');
  }
  try {
    process.setgroups!([account.gid]);
    process.setgid!(account.gid);
    process.setuid!(account.uid);
  } catch (err) {
    throw new IoError('DROP_PRIVILEGES', `--user ${account.name}: ${(err as Error).message}`, 'check the account exists in /etc/passwd');
  }
  let regained = false;
  try {
    process.setuid!(0);
    regained = true;
  } catch {
    // Expected: root is gone for good.
  }
  if (regained || process.getuid!() !== account.uid || process.getgid!() !== account.gid) {
    throw new IoError('DROP_PRIVILEGES', `--user ${account.name}: the process could still become root`, 'report this; do not run with --user until it is fixed');
  }
  log.info('drop-privileges', `running as ${account.name} (uid ${account.uid}, gid ${account.gid}) from now on; reload cannot reopen listeners or the TUN device`, { user: account.name });
}
