/**
 * VPN client error reports that name a RAS error code: Windows RasClient
 * event 20227 ("The error code returned on failure is 691."), rasdial and
 * rasphone ("Error 809: ..."), and the same codes quoted in router and
 * support logs. The code is the event; rules/windows-error.ts maps it to a
 * cause.
 */
import type { EvFields } from '../types.js';

const RAS = /error code returned on failure is (\d{3})|\bError (\d{3}):|\berror (\d{3})\b(?! bytes)/i;

/** Known RAS codes (raserror.h) this doctor diagnoses. */
export const RAS_CODES = new Set([619, 628, 629, 691, 718, 720, 734, 735, 741, 742, 768, 781, 788, 789, 800, 806, 809, 812, 813, 850]);

/** A client RAS error code → event. */
export function extractWindows(msg: string): EvFields | null {
  if (!/rror/.test(msg)) return null;
  const m = RAS.exec(msg);
  if (!m) return null;
  const code = Number(m[1] ?? m[2] ?? m[3]);
  return RAS_CODES.has(code) ? { kind: 'ras-error', n: code, reason: msg.slice(0, 200) } : null;
}
