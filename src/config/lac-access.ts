/**
 * xl2tpd's access control for incoming tunnels (aaa.c get_lns, control.c
 * SCCRQ), as a pure verdict on the LAC's address:
 *
 *  - `lac = RANGE` / `no lac = RANGE` lines of the [lns] are checked in file
 *    order and the last one that matches the address decides;
 *  - an address no `lac` line allows is refused when `access control = yes`
 *    (xl2tpd: "Denied connection to unauthorized peer", StopCCN "No
 *    Authorization"), and also when the LNS is a named one rather than
 *    [lns default] (xl2tpd falls back to the default LNS, and there is none);
 *  - `exclusive = yes`: one control connection per LAC address, as
 *    xl2tpd.conf(5) describes it (xl2tpd 1.3 parses it but never checks it;
 *    the loader warns about the difference).
 */
import { STOPCCN_RESULT } from '../l2tp/constants.js';
import { parseIpv4, parseRangeSpec } from './ipv4.js';

/** listen.l2tp.access in the configuration. */
export interface LacAccess {
  /** Refuse LACs no `lac` rule allows (xl2tpd `access control = yes`). */
  control: boolean;
  /** `lac`/`no lac` rules in file order: a range spec and whether it allows. */
  lacs: readonly { range: string; allow: boolean }[];
  /** One tunnel per LAC address. */
  exclusive: boolean;
}

/** Accept, or refuse with the StopCCN Result Code to send and the reason to log. */
export type LacVerdict = { ok: true } | { ok: false; result: number; message: string; why: string };

/**
 * The verdict on a new tunnel from `address` (a dotted quad) when
 * `tunnelsFromAddress` other live tunnels come from the same address.
 */
export function lacVerdict(access: LacAccess, address: string, tunnelsFromAddress: number): LacVerdict {
  const a = parseIpv4(address);
  let allowed: boolean | undefined;
  let rule: string | undefined;
  if (a !== undefined) {
    for (const r of access.lacs) {
      const range = parseRangeSpec(r.range);
      if (typeof range === 'string' || a < range.start || a > range.end) continue;
      allowed = r.allow;
      rule = `${r.allow ? 'lac' : 'no lac'} = ${r.range}`;
    }
  }
  if (allowed === false && access.control) return { ok: false, result: STOPCCN_RESULT.NOT_AUTHORIZED, message: 'No Authorization', why: `denied by '${rule}' (access control = yes)` };
  if (allowed === undefined && access.control) return { ok: false, result: STOPCCN_RESULT.NOT_AUTHORIZED, message: 'No Authorization', why: 'no lac rule allows this address (access control = yes)' };
  if (access.exclusive && tunnelsFromAddress > 0) return { ok: false, result: STOPCCN_RESULT.ALREADY_EXISTS, message: 'a control connection from your address already exists', why: `already ${tunnelsFromAddress === 1 ? 'a tunnel' : `${tunnelsFromAddress} tunnels`} from this address (exclusive = yes)` };
  return { ok: true };
}
