/**
 * pppd exits before negotiating when an options file or plugin is invalid
 * ("unrecognized option", "Couldn't load plugin", a plugin built for another
 * pppd version). Everything after that in the controller's log (pty closed,
 * exit code 2) is a consequence.
 */
import { evidence, type Rule } from './rule.js';

/** Rule `optionsError`: the mechanism in this file's header. */
export const optionsError: Rule = {
  name: 'options-error',
  needs: ['options-error'],
  check(s) {
    const e = s.all('options-error');
    return e.length ? [{ cause: 'pppd-options-error', confidence: 'high', evidence: evidence(e.slice(0, 3)) }] : [];
  },
};
