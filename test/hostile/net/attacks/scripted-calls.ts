/**
 * What the L2TP login attacks share: one L2TP tunnel from our own LAC code
 * with an attacker-chosen Host Name, then `count` calls one after the other;
 * in each, a scripted PPP peer brings LCP up and answers the server's CHAP
 * Challenge with `answer()`. A call ends when the server answers
 * (Success/Failure) or after `waitMs` without an answer (a server stuck
 * waiting on its backend); the next starts `gapMs` later. A call the server
 * turns down before it is up (a session limit) counts as refused.
 */
import { clientRuntime } from '../../../../src/client/common.js';
import { silentLogger } from '../../../../src/log/logger.js';
import { L2tpPort, type L2tpSessionTransport } from '../../../../src/server/l2tp-endpoint.js';
import type { PppLink } from '../../../../src/server/link.js';
import { ScriptedPppPeer } from '../../ppp-peer.js';

export interface ScriptedCallsOptions {
  server: string;
  count: number;
  /** The SCCRQ's Host Name. */
  hostName: string;
  /** The CHAP Response: its Value and Name. */
  answer: () => { value: Uint8Array; name: string };
  /** How long a call waits for the server's verdict. */
  waitMs: number;
  /** Pause between calls (default: none). */
  gapMs?: number;
  /** Bound on the whole run. */
  overallMs: number;
}

export interface ScriptedCallsTally {
  tunnel: 'up' | 'down';
  calls: number;
  failure: number;
  success: number;
  unanswered: number;
  refused: number;
}

type Outcome = 'failure' | 'success' | 'unanswered';

/** Runs the calls and resolves with what the server answered; the tunnel is closed at the end. */
export async function runScriptedCalls(o: ScriptedCallsOptions): Promise<ScriptedCallsTally> {
  const rt = clientRuntime({ log: silentLogger });
  const tally: ScriptedCallsTally = { tunnel: 'down', calls: 0, failure: 0, success: 0, unanswered: 0, refused: 0 };
  let tunnelId: number | undefined;
  /** One call at a time: idle → opening (ICRQ sent) → up (PPP running) → idle. */
  let state: 'idle' | 'opening' | 'up' = 'idle';
  let current: { transport: L2tpSessionTransport; peer: ScriptedPppPeer; timer: NodeJS.Timeout } | undefined;
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  const later = (p: L2tpPort): void => {
    if (o.gapMs) setTimeout(() => next(p), o.gapMs);
    else setImmediate(() => next(p));
  };

  const next = (p: L2tpPort): void => {
    if (state !== 'idle') return;
    if (tally.calls >= o.count || tunnelId === undefined) {
      finish();
      return;
    }
    tally.calls++;
    state = 'opening';
    p.command(tunnelId, { type: 'open-session' }, rt.ctx.clock.now());
  };

  const endCall = (p: L2tpPort, peer: ScriptedPppPeer, outcome: Outcome): void => {
    const c = current;
    if (state !== 'up' || !c || c.peer !== peer) return;
    current = undefined;
    state = 'idle';
    clearTimeout(c.timer);
    tally[outcome]++;
    if (!c.transport.closed) p.command(tunnelId!, { type: 'close-session', sessionId: c.transport.sessionId, reason: 'attacker hangs up' }, rt.ctx.clock.now());
    later(p);
  };

  const port = new L2tpPort(
    rt.ctx,
    { tunnel: { role: 'lac', hostName: o.hostName, vendorName: 'attacker' }, maxTunnels: 1 },
    {
      onTunnelEvent(p, id, peer, e) {
        if (e.type === 'tunnel-up') {
          tunnelId = id;
          tally.tunnel = 'up';
          next(p);
        } else if (e.type === 'session-up') {
          const transport = p.openSession(id, peer, e);
          const scripted = new ScriptedPppPeer((f) => transport.sendFrame(f, rt.ctx.clock.now()), o.answer);
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
          current = { transport, peer: scripted, timer: setTimeout(() => endCall(p, scripted, 'unanswered'), o.waitMs) };
          scripted.configureRequest();
        } else if (e.type === 'session-down') {
          if (current && current.transport.sessionId === e.sessionId) endCall(p, current.peer, current.peer.outcomes[0] ?? 'unanswered');
          else if (state === 'opening') {
            tally.refused++;
            state = 'idle';
            later(p);
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
  if (port.connect({ address: o.server, port: 1701 }) === undefined) throw new Error('no tunnel');
  const overall = setTimeout(() => finish(), o.overallMs);
  await done;
  clearTimeout(overall);
  if (tunnelId !== undefined) port.command(tunnelId, { type: 'close', reason: 'attack over' }, rt.ctx.clock.now());
  await new Promise((r) => setTimeout(r, 300));
  rt.scheduler.stop();
  port.close();
  return tally;
}
