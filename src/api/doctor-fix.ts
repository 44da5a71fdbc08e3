/**
 * The doctor's fix steps are written for any pppd setup ("/etc/ppp/chap-secrets",
 * server column "pptpd", user "alice"). On the dashboard of a running server
 * they name what that server really uses: its chap-secrets file, its PPP name
 * (the server column it matches) and the user the evidence shows failing.
 */
import type { FixStep } from '../doctor/types.js';

/** What the running server uses. */
export interface FixContext {
  chapSecrets: string;
  serverName: string;
}

/** The user a finding's evidence shows (tunppp's "Peer NAME failed …", pppd's "… for NAME"), if one. */
export function evidenceUser(evidence: readonly string[]): string | undefined {
  for (const e of evidence) {
    const m = /\bPeer (\S+) failed\b/.exec(e) ?? /No (?:CHAP|PAP)? ?secret found for (?:authenticating )?(\S+)/.exec(e) ?? /\buser[= ]'?([^\s',]+)/.exec(e);
    if (m && m[1] !== '?') return m[1];
  }
  return undefined;
}

/** `fix` with chap-secrets targets and their example lines made concrete for `here` and `user`. */
export function localizeFix(fix: readonly FixStep[], here: FixContext, user: string | undefined): { target: string; lines: string[] }[] {
  return fix.map((x) => {
    if (!/^\/etc\/ppp\/chap-secrets\b/.test(x.target)) return { target: x.target, lines: x.lines };
    const lines = x.lines.map((l) => {
      if (l.startsWith('#')) return l;
      const m = /^(\S+)(\s+)(\S+)(\s.*)$/.exec(l);
      if (!m) return l;
      const client = user !== undefined && (m[1] === 'alice' || m[1] === '<user>') ? quoteWord(user) : m[1]!;
      const server = m[3] === 'pptpd' || m[3] === 'l2tpd' ? quoteWord(here.serverName) : m[3]!;
      return `${client}${m[2]}${server}${m[4]}`;
    });
    return { target: x.target.replace(/^\/etc\/ppp\/chap-secrets/, here.chapSecrets), lines };
  });
}

/** A chap-secrets word: quoted when it holds blanks, quotes or '#'. */
function quoteWord(w: string): string {
  return /[\s"'#\\]/.test(w) ? `"${w.replace(/["\\]/g, (c) => `\\${c}`)}"` : w;
}
