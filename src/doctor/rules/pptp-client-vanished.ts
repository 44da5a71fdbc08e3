/**
 * The client's side of a PPTP control connection vanished. A client ends a
 * session with LCP Terminate-Request, Call-Clear-Request and
 * Stop-Control-Connection-Request (RFC 2637 §2.12, §2.4); pptpd then reads
 * end-of-file on TCP 1723 ("CTRL: EOF or bad error reading ctrl packet
 * length", ctrlpacket.c) as the last step of a clean end. When nothing of
 * that came first — the link was up and the next thing pptpd saw was the EOF
 * or a read error — the client was killed or its network dropped: not a
 * server fault. Runs only when no other rule explained the session (an
 * authentication failure or a keepalive timeout before the EOF is the cause).
 */
import type { Session } from '../session.js';
import type { Ev, EvKind } from '../types.js';
import { evidence, ipUp, type RuleHit } from './rule.js';

/** Events that end a session properly (or name another reason) when they come before the EOF. */
const ORDERLY = new Set<EvKind>(['term-by-peer', 'termreq', 'termack', 'call-clear', 'ctrl-stop', 'signal', 'user-request', 'exit', 'terminated', 'hangup', 'echo-timeout', 'link-dead', 'pptp-echo-timeout', 'lcp-down']);

const before = (a: Ev, b: Ev): boolean => a.file < b.file || (a.file === b.file && a.line < b.line);

/** Fallback when no rule explained the session. */
export function pptpClientVanished(s: Session): RuleHit[] {
  if (s.kind !== 'pptp' || s.role !== 'server' || !s.has('ctrl-eof') || !ipUp(s)) return [];
  const eof = s.find('ctrl-eof')!;
  if (s.events.some((e) => ORDERLY.has(e.kind) && before(e, eof))) return [];
  const up = s.find('ip-remote') ?? s.find('ip-local');
  return [{ cause: 'pptp-client-vanished', confidence: 'medium', evidence: evidence(up, s.events.filter((e) => e.kind === 'ctrl-eof').slice(0, 3)) }];
}
