/**
 * CoA-Request (RFC 5176 §3.2) applied to live sessions: the request is
 * checked as a whole (src/radius/coa.ts), then every session it names gets
 * the new Session-Timeout, Idle-Timeout and rate limit at once, and the
 * answer is CoA-ACK; otherwise CoA-NAK with the Error-Cause and nothing
 * changed. The listener (dae-listener.ts) verifies, de-duplicates
 * and signs; this file decides.
 */
import type { Millis } from '../../core/machine.js';
import type { Logger } from '../../log/logger.js';
import { formatRateLimit } from '../../core/rate-limit.js';
import type { AcceptInfo } from '../../radius/auth.js';
import { coaSelects, parseCoaRequest, type CoaNas } from '../../radius/coa.js';
import { ATTR, ERROR_CAUSE, RADIUS_CODE, intAttr, type RadiusAttribute, type RadiusPacket } from '../../radius/codec.js';
import type { PppLink } from '../link.js';

/** A session as accounting.ts tracks it (the fields a CoA reads and changes). */
export interface CoaSession {
  link: PppLink;
  sessionId: string;
  /** What the Access-Accept granted; Session-Timeout (from link up) and Idle-Timeout are read here by accounting.ts's poll. */
  accept: AcceptInfo | undefined;
  upAt: Millis | undefined;
}

/** The answer to send and how many sessions changed. */
export interface CoaAnswer {
  code: typeof RADIUS_CODE.COA_ACK | typeof RADIUS_CODE.COA_NAK;
  attributes: RadiusAttribute[];
  changed: number;
}

/** Checks `req` and applies it to the sessions it names (all or none). */
export function answerCoa(req: RadiusPacket, sessions: Iterable<CoaSession>, nas: CoaNas, now: Millis, from: string, log: Logger): CoaAnswer {
  const nak = (cause: number, reason: string): CoaAnswer => {
    log.warn('radius-coa', `CoA-Request from ${from} refused (Error-Cause ${cause}): ${reason}`);
    return { code: RADIUS_CODE.COA_NAK, attributes: [intAttr(ATTR.ERROR_CAUSE, cause)], changed: 0 };
  };
  const r = parseCoaRequest(req, nas);
  if (!r.ok) return nak(r.errorCause, r.reason);
  const matches = [...sessions].filter((s) => coaSelects(r.selector, { acctSessionId: s.sessionId, userName: s.link.username, framedIpAddress: s.link.peerIp }));
  if (matches.length === 0) return nak(ERROR_CAUSE.SESSION_CONTEXT_NOT_FOUND, 'no session matches');
  const c = r.changes;
  for (const s of matches) {
    const done: string[] = [];
    if (c.sessionTimeoutS !== undefined || c.idleTimeoutS !== undefined) {
      const accept: AcceptInfo = { ...(s.accept ?? { classes: [] }) };
      if (c.sessionTimeoutS === null) delete accept.sessionTimeoutS;
      else if (c.sessionTimeoutS !== undefined) {
        // Session-Timeout counts from link up in accounting.ts's poll; a CoA's counts from now.
        // Whole seconds: the limit is logged and ends up in the link's end reason.
        const elapsedS = s.upAt === undefined ? 0 : Math.max(0, Math.round((now - s.upAt) / 1000));
        accept.sessionTimeoutS = elapsedS + c.sessionTimeoutS;
      }
      if (c.idleTimeoutS === null) delete accept.idleTimeoutS;
      else if (c.idleTimeoutS !== undefined) accept.idleTimeoutS = c.idleTimeoutS;
      s.accept = accept;
      if (c.sessionTimeoutS !== undefined) done.push(c.sessionTimeoutS === null ? 'no Session-Timeout' : `Session-Timeout ${c.sessionTimeoutS} s from now`);
      if (c.idleTimeoutS !== undefined) done.push(c.idleTimeoutS === null ? 'no Idle-Timeout' : `Idle-Timeout ${c.idleTimeoutS} s`);
    }
    if (c.rate !== undefined) {
      s.link.setRateLimit(c.rate.limit, `CoA ${c.rate.source}`, now);
      done.push(`rate ${formatRateLimit(c.rate.limit)}`);
    }
    log.info('radius-coa', `CoA-Request from ${from}: session ${s.sessionId} of ${s.link.username ?? '?'}: ${done.length > 0 ? done.join(', ') : 'nothing to change'}`, { user: s.link.username });
  }
  return { code: RADIUS_CODE.COA_ACK, attributes: [], changed: matches.length };
}
