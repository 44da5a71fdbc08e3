/**
 * xl2tpd's tunnel secrets file (`auth file` in xl2tpd.conf [global], default
 * /etc/xl2tpd/l2tp-secrets; l2tp-secrets(5), aaa.c `get_secret`):
 *
 *     us      them     secret
 *
 * `us` is our host name (xl2tpd: the LNS's `hostname`, else the system host
 * name), `them` the peer's Host Name AVP; `*` in either column matches any
 * name, and names compare without regard to case. The first line that
 * matches wins. Read as xl2tpd reads it: `#` and `;` end the line anywhere
 * (also inside a secret), words are separated by blanks, and the secret is
 * the rest of the line after the second word with trailing blanks removed
 * (inner blanks stay; quotes are ordinary characters). A line with fewer than
 * three fields is skipped with a warning, as xl2tpd does.
 */
import type { ConfigWarning } from './warnings.js';

/** One line of the file. */
export interface L2tpSecret {
  us: string;
  them: string;
  secret: string;
  line: number;
}

/** The parsed file. */
export interface L2tpSecrets {
  file: string;
  entries: L2tpSecret[];
  warnings: ConfigWarning[];
}

/** xl2tpd counts every byte up to a space (33 and below) as blank. */
const isBlank = (ch: string): boolean => ch.charCodeAt(0) <= 32;

/** Parses an l2tp-secrets file. Never throws: bad lines become warnings. */
export function parseL2tpSecrets(text: string, file: string): L2tpSecrets {
  const out: L2tpSecrets = { file, entries: [], warnings: [] };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    let s = lines[i]!;
    const cut = s.search(/[#;]/);
    if (cut >= 0) s = s.slice(0, cut);
    let end = s.length;
    while (end > 0 && isBlank(s[end - 1]!)) end--;
    s = s.slice(0, end);
    let p = 0;
    const word = (): string => {
      while (p < s.length && isBlank(s[p]!)) p++;
      const start = p;
      while (p < s.length && !isBlank(s[p]!)) p++;
      return s.slice(start, p);
    };
    const us = word();
    if (us === '') continue;
    const them = word();
    while (p < s.length && isBlank(s[p]!)) p++;
    const secret = s.slice(p);
    if (them === '' || secret === '') {
      out.warnings.push({ file, line, message: `l2tp-secrets line has no ${them === '' ? 'peer name' : 'secret'}; xl2tpd skips it too`, hint: 'write: our-hostname peer-hostname secret (or * for any name)' });
      continue;
    }
    out.entries.push({ us, them, secret, line });
  }
  return out;
}

/**
 * The secret for a tunnel between `us` and `them` (the peer's Host Name AVP):
 * the first entry whose columns match the names or are `*`, ignoring case.
 */
export function findL2tpSecret(entries: readonly L2tpSecret[], us: string, them: string): L2tpSecret | undefined {
  const eq = (a: string, b: string): boolean => a === '*' || a.toLowerCase() === b.toLowerCase();
  return entries.find((e) => eq(e.us, us) && eq(e.them, them));
}
