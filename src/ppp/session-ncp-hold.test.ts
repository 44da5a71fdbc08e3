/**
 * pppd with require-mppe holds IPCP/IPV6CP until its CCP is up and answers an
 * earlier Configure-Request with Terminate-Ack (docs/interop.md). The session
 * resends such a request as soon as its own CCP is up instead of waiting out
 * the 3 s restart timer; a request the peer merely has not answered yet is not
 * resent (a duplicate could reach a peer already Opened and restart it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SessionOptions } from './session.js';
import { CP_CODE, PPP_PROTO } from './protocols.js';
import { linkAtTimeZero } from '../../test/ppp/harness.js';

/** Protocol and code of a PPP frame (address/control present or not). */
function parse(f: Uint8Array): { proto: number; code: number; id: number; at: number } {
  const o = f[0] === 0xff && f[1] === 0x03 ? 2 : 0;
  const oneOctet = (f[o]! & 1) === 1;
  const proto = oneOctet ? f[o]! : (f[o]! << 8) | f[o + 1]!;
  const at = o + (oneOctet ? 1 : 2);
  return { proto, code: f[at]!, id: f[at + 1]!, at };
}

/**
 * A server and a client over a perfect link at time 0 (no timer ever fires).
 * `pppdLike`: the server answers NCP Configure-Requests that arrive before its
 * CCP is Opened with Terminate-Ack, as pppd does, instead of processing them.
 */
function run(pppdLike: boolean, client: Partial<SessionOptions> = {}) {
  const sentByClient: { proto: number; code: number; id: number }[] = [];
  const { s, c } = linkAtTimeZero({ ipv6: true }, { ipv6: true, ...client }, (bytes, server) => {
    const p = parse(bytes);
    sentByClient.push({ proto: p.proto, code: p.code, id: p.id });
    const ncp = p.proto === PPP_PROTO.IPCP || p.proto === PPP_PROTO.IPV6CP;
    if (!(pppdLike && ncp && p.code === CP_CODE.CONFIGURE_REQUEST && server.ccp?.fsm.isOpened !== true)) return undefined;
    // pppd: its IPCP is Closed until CCP is up; Closed + RCR → sta.
    const ta = bytes.slice(0, p.at + 4);
    ta[p.at] = CP_CODE.TERMINATE_ACK;
    ta[p.at + 2] = 0;
    ta[p.at + 3] = 4;
    return ta;
  });
  return { s, c, sentByClient };
}

test('Network, MPPE required: the peer Terminate-Acks our IPCP and IPV6CP requests until its CCP is up → both resent when our CCP opens, link up without waiting for the restart timer', () => {
  const { c, sentByClient } = run(true);
  assert.equal(c.ccp?.fsm.isOpened, true);
  assert.equal(c.ipcp?.fsm.state, 'Opened', 'IPCP opened at time 0');
  assert.equal(c.ipv6cp?.fsm.state, 'Opened', 'IPV6CP opened at time 0');
  assert.ok(c.isUp);
  const ipcpRequests = sentByClient.filter((x) => x.proto === PPP_PROTO.IPCP && x.code === CP_CODE.CONFIGURE_REQUEST);
  assert.ok(ipcpRequests.length >= 2, 'the Terminate-Acked request went out again');
});

test('Network, MPPE required: the peer answers IPCP at once → no request is resent when CCP opens', () => {
  const { c, sentByClient } = run(false);
  assert.ok(c.isUp);
  const requests = sentByClient.filter((x) => (x.proto === PPP_PROTO.IPCP || x.proto === PPP_PROTO.IPV6CP) && x.code === CP_CODE.CONFIGURE_REQUEST);
  // IPCP: one request, then one with the address the server Nak'd; IPV6CP: one. No duplicates of an Identifier.
  const ids = requests.map((x) => `${x.proto}:${x.id}`);
  assert.equal(new Set(ids).size, ids.length, `no retransmission: ${ids.join(' ')}`);
});
