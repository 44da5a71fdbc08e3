import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Ipcp } from './ipcp.js';
import { encodeIpcpOptions, ipcpOptionsLength, parseIpcpOptions, type IpcpOption } from './options.js';
import { runPair } from '../fsm/pair.test-helper.js';
import { encodeCpPacket, parseCpPacket } from '../fsm/packet.js';
import { CP_CODE } from '../protocols.js';
import { fromHex, toHex } from '../../wire/hex.js';

test('Req-Sent: client asks 0.0.0.0 + DNS → takes the Nak; both Opened with pool address', () => {
  let calls = 0;
  const server = new Ipcp({ role: 'server', localAddress: '10.0.0.1', peerAddress: () => { calls++; return '10.0.0.50'; }, dns: ['1.1.1.1', '8.8.8.8'], nbns: ['10.0.0.2'] });
  const client = new Ipcp({ role: 'client', requestDns: true, requestNbns: true });
  runPair(server, client);
  assert.equal(server.fsm.state, 'Opened');
  assert.equal(client.fsm.state, 'Opened');
  assert.deepEqual(client.negotiated, { localAddress: '10.0.0.50', peerAddress: '10.0.0.1', dns: ['1.1.1.1', '8.8.8.8'], nbns: ['10.0.0.2'] });
  assert.deepEqual(server.negotiated, { localAddress: '10.0.0.1', peerAddress: '10.0.0.50', dns: ['1.1.1.1', '8.8.8.8'], nbns: ['10.0.0.2'] });
  assert.equal(calls, 1, 'the pool is asked once');
});

test('Req-Sent: server without NBNS → client’s NBNS requests rejected, negotiation still completes', () => {
  const server = new Ipcp({ role: 'server', localAddress: '10.0.0.1', peerAddress: '10.0.0.9', dns: ['1.1.1.1'] });
  const client = new Ipcp({ role: 'client', requestDns: true, requestNbns: true });
  runPair(server, client);
  assert.deepEqual(client.negotiated, { localAddress: '10.0.0.9', peerAddress: '10.0.0.1', dns: ['1.1.1.1'], nbns: [] });
});

test('Req-Sent: pool exhausted → server closes with a reason', () => {
  const server = new Ipcp({ role: 'server', localAddress: '10.0.0.1', peerAddress: () => undefined });
  const client = new Ipcp({ role: 'client' });
  runPair(server, client);
  assert.notEqual(server.fsm.state, 'Opened');
  assert.match(server.fsm.reason, /pool exhausted/);
  assert.notEqual(client.fsm.state, 'Opened');
});

test('Req-Sent: VJ compression and IP-Addresses requested → Configure-Reject of exactly those', () => {
  const server = new Ipcp({ role: 'server', localAddress: '10.0.0.1', peerAddress: '10.0.0.9' });
  const out: never[] = [];
  server.lowerUp(0, out); server.open(0, out);
  const o2: import('../fsm/protocol.js').CpOutput<import('./ipcp.js').IpcpEvent>[] = [];
  // IP-Compression-Protocol VJ (002d, 15 slots, compress slot id) | IP-Address 0.0.0.0 | IP-Addresses
  const req = fromHex('0206002d0f01 030600000000 010a0000000000000000');
  server.receive(encodeCpPacket({ code: CP_CODE.CONFIGURE_REQUEST, identifier: 4, data: req }), 0, o2);
  const s = o2.find((o) => o.kind === 'send');
  assert.ok(s?.kind === 'send');
  const p = parseCpPacket(s.bytes);
  assert.ok(p.ok);
  assert.equal(p.value.code, CP_CODE.CONFIGURE_REJECT);
  assert.equal(toHex(p.value.data), '0206002d0f01010a0000000000000000');
});

test('Req-Sent: client names a different address → Nak with the assigned one', () => {
  const server = new Ipcp({ role: 'server', localAddress: '10.0.0.1', peerAddress: '10.0.0.9' });
  const o: import('../fsm/protocol.js').CpOutput<import('./ipcp.js').IpcpEvent>[] = [];
  server.lowerUp(0, o); server.open(0, o);
  const o2: typeof o = [];
  server.receive(encodeCpPacket({ code: CP_CODE.CONFIGURE_REQUEST, identifier: 4, data: fromHex('0306c0a80105') }), 0, o2);
  const s = o2.find((x) => x.kind === 'send');
  assert.ok(s?.kind === 'send');
  assert.equal(toHex(s.bytes), '0304000a' + '03060a000009');
});

const ipcpOption: fc.Arbitrary<IpcpOption> = fc.oneof(
  fc.record({ kind: fc.constantFrom('address' as const, 'dns1' as const, 'dns2' as const, 'nbns1' as const, 'nbns2' as const), address: fc.integer({ min: 0, max: 0xffffffff }) }),
  fc.record({ protocol: fc.integer({ min: 0, max: 0xffff }), data: fc.uint8Array({ maxLength: 4 }) }).map((r) => ({ kind: 'compression' as const, ...r })),
  fc.record({ type: fc.constantFrom(1, 4, 200), data: fc.uint8Array({ maxLength: 10 }) }).map((r) => ({ kind: 'raw' as const, ...r })),
);
const norm = (o: unknown) => JSON.parse(JSON.stringify(o, (_k, v) => (v instanceof Uint8Array ? toHex(v) : v)));

test('options: parse(encode(x)) = x; random bytes never throw', () => {
  fc.assert(fc.property(fc.array(ipcpOption, { maxLength: 6 }), (opts) => {
    const b = encodeIpcpOptions(opts);
    assert.equal(b.length, ipcpOptionsLength(opts));
    const p = parseIpcpOptions(b);
    assert.ok(p.ok);
    assert.deepEqual(norm(p.value), norm(opts));
  }));
  fc.assert(fc.property(fc.uint8Array({ maxLength: 30 }), (b) => { parseIpcpOptions(b); }));
});
