/**
 * Back-to-back negotiation of every combination: auth protocol × MPPE
 * strength × stateless/stateful × IPv4/IPv6 × PFC/ACFC, our server against
 * our client, then IP both ways through the negotiated data path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pair, find, ipv4, ipv6 } from './harness.js';
import type { AuthProtocol } from '../../src/ppp/auth/types.js';
import type { MppeStrength } from '../../src/ppp/mppe/options.js';

const AUTHS: AuthProtocol[] = ['pap', 'chap-md5', 'mschap-v1', 'mschap-v2'];
const IPS = [{ v4: true, v6: false }, { v4: false, v6: true }, { v4: true, v6: true }];

interface Combo { auth: AuthProtocol; mppe: MppeStrength | 0; stateful: boolean; v4: boolean; v6: boolean; comp: boolean }
const combos: Combo[] = [];
for (const auth of AUTHS) {
  const mppes: (MppeStrength | 0)[] = auth.startsWith('mschap') ? [0, 40, 56, 128] : [0];
  for (const mppe of mppes) {
    for (const stateful of mppe ? [false, true] : [false]) {
      for (const ip of IPS) for (const comp of [true, false]) combos.push({ auth, mppe, stateful, ...ip, comp });
    }
  }
}

for (const c of combos) {
  const name = `${c.auth} × ${c.mppe ? `MPPE-${c.mppe} ${c.stateful ? 'stateful' : 'stateless'}` : 'no MPPE'} × ${c.v4 ? 'IPv4' : ''}${c.v6 ? '+IPv6' : ''} × ${c.comp ? 'PFC/ACFC' : 'no compression'}`;
  test(`Dead: start both → ${name} → link up, data flows both ways`, () => {
    const mppe = c.mppe ? { strengths: [c.mppe], required: true, allowStateful: c.stateful } : { strengths: [], required: false, allowStateful: false };
    const pair = new Pair(
      { auth: { require: [c.auth], name: 'pptpd' }, mppe, ipv4: c.v4, ipv6: c.v6, pfc: c.comp, acfc: c.comp, localAddress: '10.9.0.1', peerAddress: '10.9.0.2', dns: ['10.9.0.53'] },
      // The client allows every strength, so the server's policy decides.
      { auth: { accept: AUTHS, username: 'alice', password: 'correct horse' }, mppe: c.mppe ? { strengths: [128, 56, 40], required: true, allowStateful: c.stateful } : mppe, ipv4: c.v4, ipv6: c.v6, pfc: c.comp, acfc: c.comp },
    );
    pair.start();
    const ready = (): boolean =>
      pair.bothUp() && pair.sides.every((x) => (!c.v4 || find(x.events, 'ipv4-up')) && (!c.v6 || find(x.events, 'ipv6-up')));
    assert.ok(pair.run(ready, 60_000), `not up: server ${JSON.stringify(pair.server.events.slice(-3))} client ${JSON.stringify(pair.client.events.slice(-3))}`);
    for (const [s, dir] of [[pair.server, 'peer'], [pair.client, 'self']] as const) {
      const ok = find(s.events, 'auth-ok');
      assert.equal(ok?.protocol, c.auth);
      assert.equal(ok?.direction, dir);
      assert.equal(ok?.username, 'alice');
      if (c.mppe) assert.deepEqual(find(s.events, 'mppe-up'), { type: 'mppe-up', strength: c.mppe, stateless: !c.stateful });
      else assert.equal(find(s.events, 'mppe-up'), undefined);
      const mtus = s.events.filter((e) => e.type === 'mtu');
      assert.equal(mtus.at(-1)?.type === 'mtu' && mtus.at(-1)!.mtu, c.mppe ? 1496 : 1500);
    }
    if (c.v4) {
      assert.deepEqual(find(pair.client.events, 'ipv4-up'), { type: 'ipv4-up', localAddress: '10.9.0.2', peerAddress: '10.9.0.1', dns: ['10.9.0.53'], nbns: [] });
      assert.equal(find(pair.server.events, 'ipv4-up')?.peerAddress, '10.9.0.2');
    }
    if (c.v6) {
      const s6 = find(pair.server.events, 'ipv6-up');
      const c6 = find(pair.client.events, 'ipv6-up');
      assert.ok(s6 && c6);
      assert.equal(s6.peerIdentifier, c6.localIdentifier);
    }
    // Data both ways; each packet arrives intact, in order.
    const mk = c.v4 ? ipv4 : ipv6;
    for (let k = 0; k < 20; k++) {
      assert.ok(pair.sendIp(0, mk(60 + k * 50, k)));
      assert.ok(pair.sendIp(1, mk(1000 + k, 100 + k)));
    }
    pair.flush();
    assert.equal(pair.client.received.length, 20);
    assert.equal(pair.server.received.length, 20);
    assert.deepEqual([...pair.client.received[19]!], [...mk(60 + 19 * 50, 19)]);
    assert.deepEqual([...pair.server.received[7]!], [...mk(1007, 107)]);
    // Frames on the wire follow the negotiated compression and MPPE.
    const dataFrame = pair.server.sent.at(-1)!.bytes;
    if (c.comp) assert.notEqual(dataFrame[0], 0xff, 'ACFC omits FF 03');
    else assert.deepEqual([dataFrame[0], dataFrame[1]], [0xff, 0x03]);
    const protoAt = c.comp ? 0 : 2;
    if (c.mppe) assert.equal(c.comp ? dataFrame[protoAt] : (dataFrame[protoAt]! << 8) | dataFrame[protoAt + 1]!, 0xfd);
    assert.equal(pair.server.session.counters.packetsIn, 20);
    assert.equal(pair.client.session.counters.packetsOut, 20);
    // Clean shutdown from the client: both Dead with the reason.
    pair.apply(1, pair.client.session.close('user hung up', pair.now));
    assert.ok(pair.run(() => pair.bothDead(), 30_000));
    assert.equal(find(pair.client.events, 'link-down')?.reason, 'user hung up');
    assert.match(find(pair.server.events, 'link-down')?.reason ?? '', /Terminate-Request/);
  });
}

test('matrix: combination count', () => {
  assert.equal(combos.length, 2 * 6 + 2 * 7 * 6);
});
