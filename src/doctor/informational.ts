/**
 * Daemon lines that carry nothing for a diagnosis: xl2tpd's and pptpd's
 * startup banners and manager chatter, and pppd's `debug` packet dumps that
 * no rule reads (`sent [LCP EchoReq …]`: with `debug` they are most of a
 * pppd log). They are counted with the other
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

/** pppd with `debug`: packet dumps (those doctor uses became events before this is asked) and its per-link chatter. */
const PPPD = ['sent [', 'rcvd [', 'Using interface ', 'pppd 2.', 'Script ', 'Connect: ', 'Deflate ', 'BSD-Compress ', 'Cannot determine ethernet address'];

/** True for a daemon's informational line (startup banner, manager chatter, debug packet dumps). */
export function isInformational(family: Family, msg: string): boolean {
  const list = family === 'xl2tpd' ? XL2TPD : family === 'pptpd' ? PPTPD : family === 'pppd' ? PPPD : null;
  if (!list) return false;
  for (const p of list) if (msg.startsWith(p)) return true;
  return false;
}
