/**
 * Message → event dispatch. The program name picks the extractor; lines
 * without a program (pppd's own log file, macOS ppp.log, copied excerpts)
 * try every extractor, pppd first.
 */
import type { EvFields, Family } from '../types.js';
import { extractWindows } from './clients.js';
import { extractIpsec } from './ipsec.js';
import { extractPppd } from './pppd.js';
import { extractPptpClient, extractPptpd, extractXl2tpd } from './tunnels.js';

const familyCache = new Map<string, Family | null>();

/**
 * Daemon family of a program name, or null for programs doctor ignores.
 * Matches variants by substring: `accel-pppd`, `PPP` (router firmwares),
 * `nm-pptp-service`, `charon-systemd`, `ipsec_starter`...
 */
export function familyOf(program: string): Family | null {
  let f = familyCache.get(program);
  if (f !== undefined) return f;
  const p = program.toLowerCase();
  if (p.includes('pptpd') || p.includes('pptpctrl')) f = 'pptpd';
  else if (p === 'mtpd') f = 'pptp'; // Android's PPTP/L2TP client
  else if (p.includes('pptp')) f = 'pptp';
  else if (p.includes('l2tp')) f = 'xl2tpd';
  else if (p.includes('tunppp')) f = 'tunppp';
  else if (p.includes('ppp')) f = 'pppd';
  else if (p.includes('charon') || p.includes('swan') || p.includes('pluto') || p.includes('racoon') || p.includes('ipsec') || p.includes('iked') || p.includes('nesession')) f = 'ipsec';
  else if (p === 'rasclient' || p === 'rasman' || p.includes('remoteaccess')) f = 'pppd';
  else f = null;
  if (familyCache.size < 10_000) familyCache.set(program, f);
  return f;
}

/** The event for `msg` from a daemon of `family`. */
export function extractFor(family: Family, msg: string): EvFields | null {
  switch (family) {
    case 'pppd':
      return extractPppd(msg) ?? extractWindows(msg);
    case 'pptpd':
      return extractPptpd(msg) ?? extractPppd(msg);
    case 'pptp':
      // NetworkManager's nm-pptp-service relays pppd's messages under its own name.
      return extractPptpClient(msg) ?? extractPppd(msg) ?? extractWindows(msg);
    case 'xl2tpd':
      // nm-l2tp-service relays pppd and IKE messages too.
      return extractXl2tpd(msg) ?? extractPppd(msg) ?? extractIpsec(msg);
    case 'ipsec':
      return extractIpsec(msg);
    case 'tunppp':
      return extractAny(msg)?.ev ?? null;
  }
}

/** For a line without a program: the first extractor that understands it, and its family. */
export function extractAny(msg: string): { ev: EvFields; family: Family } | null {
  let ev = extractPppd(msg);
  if (ev) return { ev, family: 'pppd' };
  if (msg.startsWith('CTRL:') || msg.startsWith('GRE:') || msg.startsWith('MGR:')) {
    ev = extractPptpd(msg);
    if (ev) return { ev, family: 'pptpd' };
  }
  if (/^\S+ (?:log|warn|fatal)\[/.test(msg)) {
    ev = extractPptpClient(msg);
    if (ev) return { ev, family: 'pptp' };
  }
  ev = extractXl2tpd(msg);
  if (ev) return { ev, family: 'xl2tpd' };
  ev = extractIpsec(msg);
  if (ev) return { ev, family: 'ipsec' };
  ev = extractWindows(msg);
  if (ev) return { ev, family: 'pppd' };
  return null;
}
