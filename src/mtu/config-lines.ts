/**
 * The exact configuration lines that apply a `TunnelMtu` result to pptpd/pppd,
 * xl2tpd, Linux MSS clamping, macOS, Windows and tunppp itself.
 *
 * pppd's `mtu`/`mru` options are LCP values (the PPP Information field), and
 * pppd itself takes MPPE's 4 bytes off the interface MTU; tunppp's `ppp.mtu` /
 * `ppp.mru` have the same meaning. The OS-level settings (ifconfig, netsh)
 * are the interface MTU, i.e. the inner IP MTU.
 */
import type { TunnelMtu } from './overhead.js';

/** One block of lines for one place, with where they go. */
export interface ConfigBlock {
  /** Short key, stable for `--json`: `pppd`, `xl2tpd`, `linux`, `macos`, `windows`, `tunppp`. */
  target: string;
  /** Human title with the file or command it belongs to. */
  title: string;
  lines: string[];
}

/** Config lines for every target that applies to this tunnel kind. */
export function configLines(r: TunnelMtu): ConfigBlock[] {
  const o = r.options;
  const blocks: ConfigBlock[] = [];
  // Header compression (ACFC/PFC) only shrinks frames, so these hold either way.
  const pppLines = [`mtu ${r.pppMru}`, `mru ${r.pppMru}`];
  if (o.proto === 'pptp') {
    blocks.push({ target: 'pppd', title: 'pptpd: pppd options file (the "option" line of /etc/pptpd.conf, e.g. /etc/ppp/pptpd-options)', lines: pppLines });
  } else {
    blocks.push({ target: 'pppd', title: 'xl2tpd: pppd options file named by "pppoptfile" (e.g. /etc/ppp/options.xl2tpd)', lines: pppLines });
    blocks.push({
      target: 'xl2tpd',
      title: '/etc/xl2tpd/xl2tpd.conf',
      lines: ['[lns default]', `length bit = ${o.l2tpLength ? 'yes' : 'no'}`, 'pppoptfile = /etc/ppp/options.xl2tpd'],
    });
  }
  blocks.push({
    target: 'linux',
    title: 'Linux server with kernel pppd: clamp TCP MSS on the ppp interfaces',
    lines: [
      `iptables -t mangle -A FORWARD -p tcp --tcp-flags SYN,RST SYN -o ppp+ -j TCPMSS --set-mss ${r.mssIpv4}`,
      `iptables -t mangle -A FORWARD -p tcp --tcp-flags SYN,RST SYN -i ppp+ -j TCPMSS --set-mss ${r.mssIpv4}`,
      `ip6tables -t mangle -A FORWARD -p tcp --tcp-flags SYN,RST SYN -o ppp+ -j TCPMSS --set-mss ${r.mssIpv6}`,
    ],
  });
  blocks.push({
    target: 'macos',
    title: 'macOS client, while connected (interface from `ifconfig`, usually ppp0)',
    lines: [`sudo ifconfig ppp0 mtu ${r.ipMtu}`],
  });
  const win = [`netsh interface ipv4 set subinterface "VPN Connection" mtu=${r.ipMtu} store=persistent`];
  if (r.ipMtu >= 1280) win.push(`netsh interface ipv6 set subinterface "VPN Connection" mtu=${r.ipMtu} store=persistent`);
  blocks.push({ target: 'windows', title: 'Windows client, elevated prompt, while connected (use the connection\'s name)', lines: win });
  blocks.push({
    target: 'tunppp',
    title: 'tunppp.json',
    lines: [
      `"ppp": { "mtu": ${r.pppMru}, "mru": ${r.pppMru} }`,
      // Below 1280 there is no IPv6 in the tunnel, so no IPv6 clamp.
      r.ipMtu >= 1280 ? `"mssClamp": { "ipv4": ${r.mssIpv4}, "ipv6": ${r.mssIpv6} }` : `"mssClamp": { "ipv4": ${r.mssIpv4} }`,
    ],
  });
  return blocks;
}
