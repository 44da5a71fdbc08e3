/**
 * Daemon lines that carry nothing for a diagnosis: xl2tpd's and pptpd's
 * startup banners and manager chatter. They are counted with the other
 * programs' lines, not as lines doctor failed to understand (so a short
 * excerpt that starts with a daemon's banner is no "format not supported").
 * Literal prefixes only.
 */
import type { Family } from './types.js';

const XL2TPD = [
  'xl2tpd version ',
  'Written by Mark Spencer',
  'Forked by Scott Balmos',
  'Inherited by Jeff McAdams',
  'Forked again by Xelerance',
  'Listening on IP address',
  'Connecting to host ',
  'Enabling IPsec SAref processing',
  'IPsec SAref does not work with L2TP kernel mode',
  'Using l2tp kernel support',
  'setsockopt recvref',
];

const PPTPD = ['MGR: Manager process started', 'MGR: Maximum of ', 'MGR: Launching ', 'CTRL: Client pppd TERM sending', 'CTRL: Client pppd finish wait'];

/** True for a daemon's informational line (startup banner, manager chatter). */
export function isInformational(family: Family, msg: string): boolean {
  const list = family === 'xl2tpd' ? XL2TPD : family === 'pptpd' ? PPTPD : null;
  if (!list) return false;
  for (const p of list) if (msg.startsWith(p)) return true;
  return false;
}
