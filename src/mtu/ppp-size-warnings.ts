/**
 * A PPP MTU or MRU set by hand (pppd's `mtu 1482` in pptpd-options, a
 * classic from guides written for PPPoE) that is larger than the tunnel can
 * carry on the configured path: every full-size frame is then fragmented on
 * the outer path, or dropped where DF is set. tunppp uses the value as pppd
 * would; the warning shows the arithmetic and the value that fits.
 */
import type { Config } from '../config/schema.js';
import type { ConfigWarning } from '../config/warnings.js';
import { bestTunnelMtu } from './overhead.js';

/** Warnings for `config` (read from `file`): one per transport and option over its maximum. */
export function pppSizeWarnings(config: Config, file: string): ConfigWarning[] {
  const out: ConfigWarning[] = [];
  for (const proto of ['pptp', 'l2tp'] as const) {
    if (!config.listen[proto].enabled) continue;
    const mppe = (proto === 'pptp' ? config.ppp.mppe.mode : config.ppp.mppe.l2tpMode) !== 'refuse';
    const best = bestTunnelMtu(config.pathMtu, { proto, mppe });
    // The MRU counts what follows the PPP protocol field (MPPE's header included); the rest is overhead.
    const bytes = (pred: (r: (typeof best.rows)[number]) => boolean): number => best.rows.filter(pred).reduce((n, r) => n + r.bytes, 0);
    const parts = [
      ...best.rows.filter((r) => r.place === 'outer').map((r) => `${r.bytes} ${r.name}`),
      `${bytes((r) => r.place === 'tunnel')} ${proto === 'pptp' ? 'GRE header' : 'UDP and L2TP headers'}`,
      `${bytes((r) => r.place === 'ppp' && /^PPP (address|protocol)/.test(r.name))} PPP header`,
    ];
    const sum = parts.join(' − ');
    for (const key of ['mtu', 'mru'] as const) {
      const v = config.ppp[key];
      if (v === 'auto' || v <= best.pppMru) continue;
      out.push({
        file,
        message: `${key} ${v} is over the ${proto.toUpperCase()} maximum ${best.pppMru} for a ${config.pathMtu}-byte path (${config.pathMtu} − ${sum} = ${best.pppMru}): full-size frames are fragmented on the way, or dropped where fragments are`,
        hint: `set ${key} ${best.pppMru} (or leave it out: tunppp derives it from pathMtu), or set pathMtu if the path is larger; 'tunppp mtu' shows the table`,
      });
    }
  }
  return out;
}
