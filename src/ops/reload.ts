/**
 * Reload (SIGHUP, POST /reload): read the configuration and chap-secrets
 * again, the same way `serve` read them at start, and hand them to the
 * running server for new sessions. Nothing that is running is dropped: live
 * links keep what they negotiated. Listeners, pools and the TUN device are
 * opened once; a change to them is reported as needing a restart and the
 * running values stay. A file that fails to parse leaves everything as it
 * was.
 *
 * After `--user` dropped root, the files must be readable by that user, and
 * nothing privileged can be reopened (docs/operations.md).
 */
import type { LoadedConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { formatWarning } from '../config/warnings.js';
import { VpnError } from '../core/errors.js';
import type { Logger } from '../log/logger.js';
import type { ReloadReport } from '../api/types.js';

/** Settings opened once at start. */
export const RESTART_KEYS = ['listen', 'pools', 'tun', 'metrics'] as const;

/** What changed between two configurations: top-level keys, split into applied and needing a restart. */
export function configChanges(before: Config, after: Config): { applied: string[]; needsRestart: string[] } {
  const applied: string[] = [];
  const needsRestart: string[] = [];
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const k of [...keys].sort()) {
    if (k === '$schema') continue;
    const a = JSON.stringify((before as Record<string, unknown>)[k]);
    const b = JSON.stringify((after as Record<string, unknown>)[k]);
    if (a === b) continue;
    if ((RESTART_KEYS as readonly string[]).includes(k)) needsRestart.push(k);
    else applied.push(k);
  }
  // proxyarp decides at start where proxy ARP entries go (server/peer-routes.ts).
  if (before.ppp.proxyArp !== after.ppp.proxyArp) needsRestart.push('ppp.proxyArp');
  return { applied, needsRestart };
}

/** The server side of a reload. */
export interface Reloadable {
  ctx: { config: Config };
  reload(next: LoadedConfig): void;
}

/** Loads and applies; never throws (the report says what went wrong). */
export async function reloadServer(server: Reloadable, load: () => Promise<LoadedConfig>, log: Logger): Promise<ReloadReport> {
  let next: LoadedConfig;
  try {
    next = await load();
  } catch (err) {
    const e = err as Error;
    const hint = err instanceof VpnError ? err.hint : undefined;
    log.error('reload-failed', `reload failed, running configuration kept: ${e.message}`);
    return hint === undefined ? { ok: false, error: e.message } : { ok: false, error: e.message, hint };
  }
  const { applied, needsRestart } = configChanges(server.ctx.config, next.config);
  server.reload(next);
  const warnings = next.warnings.map(formatWarning);
  for (const w of warnings) log.warn('config-warning', w);
  if (needsRestart.length) log.warn('reload-restart', `changed settings need a restart to take effect: ${needsRestart.join(', ')} (the running ones stay)`);
  log.info('reload', `reloaded ${next.sources.join(', ')}: ${next.secrets.length} users${applied.length ? `; for new sessions: ${applied.join(', ')}` : ''}`, { users: next.secrets.length });
  return { ok: true, sources: next.sources, users: next.secrets.length, applied, needsRestart, warnings };
}
