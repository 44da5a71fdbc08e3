/**
 * Whether a command colours its output, by the conventions terminals and CI
 * systems use: an explicit --color/--no-color wins; then FORCE_COLOR (set and
 * not "0"/"false": on; "0"/"false": off); then NO_COLOR (any non-empty value:
 * off, no-color.org); then TERM=dumb (a terminal without escape sequences:
 * off); otherwise on for a terminal only.
 */
export function wantsColor(flag: boolean | null | undefined, isTty: boolean | undefined, env: NodeJS.ProcessEnv): boolean {
  if (flag !== null && flag !== undefined) return flag;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  if (env.NO_COLOR) return false;
  if (env.TERM === 'dumb') return false;
  return Boolean(isTty);
}

/** Whether escape sequences for in-place progress lines may be written (a terminal that is not TERM=dumb). */
export function canRedraw(isTty: boolean | undefined, env: NodeJS.ProcessEnv): boolean {
  return Boolean(isTty) && env.TERM !== 'dumb';
}
