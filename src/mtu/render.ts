/** Text and JSON output of `tunppp mtu`. */
import { configLines, type ConfigBlock } from './config-lines.js';
import type { TunnelMtu } from './overhead.js';

/** Everything `tunppp mtu` reports: the chosen case, the typical case and config lines. */
export interface MtuReport {
  result: TunnelMtu;
  /** Same path with ACFC/PFC and the smaller optional headers, for comparison. */
  typical: TunnelMtu | undefined;
  config: ConfigBlock[];
}

/** Builds the report. */
export function mtuReport(result: TunnelMtu, typical: TunnelMtu | undefined): MtuReport {
  return { result, typical, config: configLines(result) };
}

/** The JSON form (stable keys). */
export function reportJson(rep: MtuReport): unknown {
  const r = rep.result;
  const o = r.options;
  return {
    proto: o.proto,
    options: {
      outer: o.outerIpv6 ? 'ipv6' : 'ipv4',
      pppoe: o.pppoe,
      natT: o.natT,
      esp: o.esp ? { suite: o.esp.name, cipher: o.esp.cipher.name, integrity: o.esp.integrity, ivBytes: o.esp.cipher.ivBytes, blockBytes: o.esp.cipher.blockBytes, icvBytes: o.esp.icvBytes } : null,
      greAck: o.proto === 'pptp' ? o.greAck : null,
      l2tpLength: o.proto === 'pptp' ? null : o.l2tpLength,
      l2tpSequence: o.proto === 'pptp' ? null : o.l2tpSequence,
      l2tpOffsetPadBytes: o.l2tpOffsetPadBytes ?? null,
      acfc: o.acfc,
      pfc: o.pfc,
      mppe: o.mppe,
    },
    pathMtu: r.pathMtu,
    linkMtu: r.linkMtu,
    headers: r.rows.map((h) => ({ place: h.place, name: h.name, bytes: h.bytes, ref: h.ref, note: h.note })),
    overheadBytes: r.overheadBytes,
    pppFrameBytes: r.pppFrameBytes,
    pppMtu: r.pppMru,
    pppMru: r.pppMru,
    ipMtu: r.ipMtu,
    mss: { ipv4: r.mssIpv4, ipv6: r.mssIpv6 },
    typical: rep.typical ? { pppMru: rep.typical.pppMru, ipMtu: rep.typical.ipMtu, mss: { ipv4: rep.typical.mssIpv4, ipv6: rep.typical.mssIpv6 } } : null,
    warnings: r.warnings,
    config: Object.fromEntries(rep.config.map((b) => [b.target, { title: b.title, lines: b.lines }])),
  };
}

/** The text form: header table, results, config lines. */
export function reportText(rep: MtuReport): string {
  const r = rep.result;
  const o = r.options;
  const out: string[] = [];
  const what = o.proto === 'l2tp-ipsec'
    ? `L2TP/IPsec (ESP ${o.esp!.cipher.name}, ${o.esp!.integrity}${o.natT ? ', NAT-T' : ''})`
    : o.proto === 'pptp' ? 'PPTP (enhanced GRE)' : 'L2TP (UDP)';
  out.push(`${what} over a path MTU of ${r.pathMtu}${o.pppoe ? ` (PPPoE link: ${r.linkMtu} for IP)` : ''}, outer ${o.outerIpv6 ? 'IPv6' : 'IPv4'}`);
  out.push('');
  const nameW = Math.max(6, ...r.rows.map((h) => h.name.length));
  const refW = Math.max(3, ...r.rows.map((h) => h.ref.length));
  out.push(`  ${'header'.padEnd(nameW)}  bytes  ${'ref'.padEnd(refW)}  note`);
  out.push(`  ${'-'.repeat(nameW)}  -----  ${'-'.repeat(refW)}  ----`);
  for (const h of r.rows) {
    if (h.place === 'trailer' && h.name === 'ESP padding') {
      out.push(`  ${'inner IP packet'.padEnd(nameW)}  ${String(r.ipMtu).padStart(5)}  ${''.padEnd(refW)}  the tunnel's IP MTU`);
    }
    out.push(`  ${h.name.padEnd(nameW)}  ${String(h.bytes).padStart(5)}  ${h.ref.padEnd(refW)}  ${h.note}`);
  }
  if (!o.esp) out.push(`  ${'inner IP packet'.padEnd(nameW)}  ${String(r.ipMtu).padStart(5)}  ${''.padEnd(refW)}  the tunnel's IP MTU`);
  out.push(`  ${'-'.repeat(nameW)}  -----`);
  out.push(`  ${'total'.padEnd(nameW)}  ${String(r.pathMtu).padStart(5)}  (overhead ${r.overheadBytes})`);
  out.push('');
  out.push(`PPP MTU/MRU (LCP):  ${r.pppMru}${o.mppe ? `   (MPPE takes 4 of it: IP MTU ${r.ipMtu})` : ''}`);
  out.push(`IP MTU in tunnel:   ${r.ipMtu}`);
  out.push(`TCP MSS:            ${r.mssIpv4} (IPv4)   ${r.mssIpv6} (IPv6)`);
  if (rep.typical) {
    const t = rep.typical;
    out.push(`Typical headers:    IP MTU ${t.ipMtu}, MSS ${t.mssIpv4}/${t.mssIpv6} (ACFC+PFC${o.proto === 'pptp' ? ', no GRE ack' : ', no L2TP Length/Ns/Nr'}); the figures above hold for every packet`);
  }
  for (const w of r.warnings) out.push(`warning: ${w}`);
  out.push('');
  for (const b of rep.config) {
    out.push(`# ${b.title}`);
    for (const l of b.lines) out.push(l);
    out.push('');
  }
  return out.join('\n');
}
