/**
 * The operations layer of `tunppp serve`, started after the server: NAT
 * (`--masquerade`), the local API with metrics and the dashboard (`--api`),
 * reload on SIGHUP, and the privilege drop (`--user`) once everything
 * privileged is open. Order matters: nft and the API socket need root; the
 * drop comes last.
 */
import { readFileSync } from 'node:fs';
import { createOps, type OpsServer } from '../api/ops.js';
import { startApi, type ApiServer } from '../api/server.js';
import { formatApiListen, type ApiListen } from '../api/listen.js';
import { ensureToken } from '../api/token.js';
import type { ReloadReport } from '../api/types.js';
import type { LoadedConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import { createServerMetrics } from '../metrics/metrics.js';
import type { MetricsSource } from '../metrics/source.js';
import type { ServerStats } from '../server/stats.js';
import type { GreEndpointStats } from '../server/gre-endpoint.js';
import type { TunSideStats } from '../server/tun-side.js';
import type { IpsecStatsView } from '../server/ipsec-service.js';
import type { RadiusStatsView } from '../server/radius/index.js';
import { dropPrivileges, lookupAccount } from './drop-privileges.js';
import type { LogRing } from './log-ring.js';
import { startMasquerade, type Masquerade } from './masquerade.js';
import { reloadServer } from './reload.js';

/** The server as the operations layer needs it (RunningServer fits). */
export interface OpsTarget extends OpsServer {
  ctx: OpsServer['ctx'] & { config: Config; stats: ServerStats; tun: { stats: TunSideStats } };
  pptp: { gre: { stats: GreEndpointStats } } | undefined;
  radius?: { stats: RadiusStatsView } | undefined;
  ipsec?: { view(): IpsecStatsView } | undefined;
  reload(next: LoadedConfig): void;
}

/** What `serve` asked for. */
export interface OpsSettings {
  log: Logger;
  ring: LogRing;
  /** Re-reads the configuration files (as at start, never creating anything). */
  load: () => Promise<LoadedConfig>;
  api?: { listen: ApiListen; tokenFile: string } | undefined;
  masquerade?: string | undefined;
  user?: string | undefined;
  /** Writes a line for the operator (stdout), e.g. where the token is. */
  say?: (line: string) => void;
}

/** The running operations layer. */
export interface RunningOps {
  api: ApiServer | undefined;
  masquerade: Masquerade | undefined;
  /** Same as SIGHUP. */
  reload(): Promise<ReloadReport>;
  stop(): Promise<void>;
}

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Starts what `settings` asks for on `server`. On failure, undoes what it did and throws. */
export async function startOps(server: OpsTarget, settings: OpsSettings): Promise<RunningOps> {
  const { log, ring } = settings;
  const account = settings.user !== undefined ? lookupAccount(settings.user) : undefined;
  const source: MetricsSource = {
    links: () => server.links(),
    stats: server.ctx.stats,
    gre: () => server.pptp?.gre.stats,
    tun: () => server.ctx.tun.stats,
    radius: () => server.radius?.stats,
    ipsec: () => server.ipsec?.view(),
  };
  const c = server.ctx.config;
  const metrics = createServerMetrics(source, c.metrics.nasLabel ? { labels: { nas: c.radius.nasIdentifier } } : {});
  ring.onRecord((r) => metrics.observe(r));
  const ops = createOps({
    server,
    ring,
    metrics,
    reload: () => reloadServer(server, settings.load, log),
    version: packageVersion(),
    masquerade: settings.masquerade ?? null,
    user: account?.name ?? null,
  });

  let masquerade: Masquerade | undefined;
  let api: ApiServer | undefined;
  try {
    if (settings.masquerade !== undefined) masquerade = await startMasquerade(settings.masquerade, server.ctx.config, log);
    if (settings.api) {
      const { token, created } = await ensureToken(settings.api.tokenFile);
      if (created) settings.say?.(`tunppp: created the API token ${settings.api.tokenFile} (mode 0600)`);
      api = await startApi({ listen: settings.api.listen, token, backend: ops, log });
      if (api.listen.kind === 'tcp') settings.say?.(`tunppp: dashboard at http://${formatApiListen(api.listen)}/?token=<contents of ${settings.api.tokenFile}>`);
    }
    if (account) dropPrivileges(account, log);
  } catch (err) {
    await api?.close();
    await masquerade?.stop();
    throw err;
  }

  const onHup = (): void => {
    log.info('signal', 'SIGHUP: reloading the configuration');
    void ops.reload();
  };
  process.on('SIGHUP', onHup);
  let stopped: Promise<void> | undefined;
  return {
    api,
    masquerade,
    reload: () => ops.reload(),
    stop() {
      stopped ??= (async () => {
        process.off('SIGHUP', onHup);
        await api?.close();
        await masquerade?.stop();
      })();
      return stopped;
    },
  };
}
