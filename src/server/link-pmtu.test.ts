import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../io/clock.js';
import { bestTunnelMtu, mssFor } from '../mtu/overhead.js';
import type { ConfigInput } from '../config/schema.js';
import { linkPair } from '../../test/helpers/link-pair.js';

/** A server link up over PPTP, on a manual clock that moves only when the test says so. */
function upLink(config: ConfigInput = {}) {
  const clock = new ManualClock(1000);
  // No LCP echo: nothing answers the server's while the clock jumps.
  const p = linkPair({ clock, config: { ...config, ppp: { keepalive: { intervalS: 0 } } }, ipv6: false });
  p.start();
  assert.equal(p.s.state, 'up');
  const advance = (s: number): void => {
    clock.advance(s * 1000);
    p.server.scheduler.run(clock.now());
  };
  return { p, s: p.s, stats: p.server.stats, advance, negotiated: p.s.mtu };
}

const ipMtu = (path: number): number => bestTunnelMtu(path, { proto: 'pptp' }).ipMtu;

test('Network: an ICMP claiming path MTU 112 → taken as the floor 552, counted as clamped; the call is kept', (t) => {
  const { p, s, stats, negotiated } = upLink();
  t.after(() => p.stop());
  s.onPathMtu(112, 'ICMP fragmentation needed from 10.9.9.9', p.server.clock.now());
  assert.equal(s.mtu, ipMtu(552), 'the link MTU of a 552-byte path, not of a 112-byte one');
  assert.ok(s.mtu < negotiated);
  assert.equal(stats.pmtuClamped, 1);
  assert.equal(stats.pmtuEvents, 1);
  assert.equal(s.state, 'up');
  // A second forged one changes nothing more.
  s.onPathMtu(68, 'ICMP', p.server.clock.now());
  assert.equal(s.mtu, ipMtu(552));
  assert.equal(stats.pmtuClamped, 2);
  assert.equal(stats.pmtuEvents, 1);
});

test('Network, path MTU lowered: raiseAfterS without an event → one plateau up, then one every raiseStepS, until the negotiated MTU', (t) => {
  const { p, s, stats, advance, negotiated } = upLink();
  t.after(() => p.stop());
  s.onPathMtu(112, 'ICMP', p.server.clock.now());
  advance(599);
  assert.equal(s.mtu, ipMtu(552), 'not before 600 s');
  advance(1);
  assert.equal(s.mtu, ipMtu(1006), 'the next RFC 1191 plateau');
  advance(59);
  assert.equal(s.mtu, ipMtu(1006));
  advance(1);
  assert.equal(s.mtu, ipMtu(1280));
  advance(60);
  assert.equal(s.mtu, Math.min(negotiated, ipMtu(1492)));
  advance(60);
  advance(60);
  advance(60);
  assert.equal(s.mtu, negotiated, 'back to what PPP negotiated');
  assert.equal(s.mssV4, mssFor(negotiated, false));
  const raised = stats.pmtuRaised;
  assert.ok(raised >= 3, `raised in steps (${raised})`);
  advance(3600);
  assert.equal(stats.pmtuRaised, raised, 'nothing more to raise');
  assert.equal(s.state, 'up');
});

test('Network, raising: an event at the probed size → lowered again, and the next raise waits raiseAfterS again', (t) => {
  const { p, s, stats, advance } = upLink({ pmtu: { raiseAfterS: 100, raiseStepS: 10 } });
  t.after(() => p.stop());
  s.onPathMtu(600, 'ICMP', p.server.clock.now());
  assert.equal(s.mtu, ipMtu(600));
  advance(100);
  assert.equal(s.mtu, ipMtu(1006));
  // The path really is 1000: the router (or the kernel's EMSGSIZE) says so.
  s.onPathMtu(1000, 'EMSGSIZE on send', p.server.clock.now());
  assert.equal(s.mtu, ipMtu(1000));
  assert.equal(stats.pmtuEvents, 2);
  advance(10);
  assert.equal(s.mtu, ipMtu(1000), 'no step after raiseStepS: a lowering restarts the wait');
  // The same size confirmed before the wait ends restarts it too.
  advance(80);
  s.onPathMtu(1000, 'EMSGSIZE on send', p.server.clock.now());
  advance(90);
  assert.equal(s.mtu, ipMtu(1000));
  advance(10);
  assert.equal(s.mtu, ipMtu(1006));
  assert.equal(stats.pmtuClamped, 0);
});

test('Network: a larger path MTU than in force → ignored (raising is by timer only)', (t) => {
  const { p, s, advance } = upLink();
  t.after(() => p.stop());
  s.onPathMtu(1000, 'ICMP', p.server.clock.now());
  s.onPathMtu(1400, 'ICMP', p.server.clock.now());
  assert.equal(s.mtu, ipMtu(1000));
  advance(1);
  assert.equal(s.mtu, ipMtu(1000));
});

test('config: pmtu.minPathMtu moves the floor', (t) => {
  const { p, s, stats } = upLink({ pmtu: { minPathMtu: 1280 } });
  t.after(() => p.stop());
  s.onPathMtu(576, 'ICMP', p.server.clock.now());
  assert.equal(s.mtu, ipMtu(1280));
  assert.equal(stats.pmtuClamped, 1);
});
