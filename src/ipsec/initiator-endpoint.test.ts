import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRng } from '../core/rng.js';
import { toHex } from '../wire/hex.js';
import { encodeL2tp } from '../l2tp/header.js';
import { DH_GROUP, ESP_TRANSFORM, P1_ENCR, P1_HASH, P2_AUTH } from './constants.js';
import { DEFAULT_ESP_POLICY } from './esp-proposals.js';
import { IpsecInitiatorEndpoint, type IpsecInitiatorOptions, type IpsecInitiatorOutput } from './initiator-endpoint.js';
import { DEFAULT_PHASE1_POLICY } from './phase1-proposals.js';
import { IpsecResponderEndpoint, type IpsecEndpointOutput, type IpsecPeer } from './responder-endpoint.js';

const ip = (s: string): Uint8Array => Uint8Array.from(s.split('.').map(Number));
const zlb = (tunnelId: number) => encodeL2tp({ isControl: true, tunnelId, sessionId: 0, ns: 0, nr: 0, priority: false }, new Uint8Array(0));

/**
 * Our client endpoint against our server endpoint through an in-memory
 * network; `natted` puts the client behind a NAT (private address, mapped
 * ports). Returns what each side handed its L2TP layer.
 */
function wire(opts: { natted: boolean; forceEncapsulation: boolean; client?: Partial<IpsecInitiatorOptions>; psk?: string }) {
  const server = new IpsecResponderEndpoint({ psk: new TextEncoder().encode('site psk'), phase1: DEFAULT_PHASE1_POLICY, esp: DEFAULT_ESP_POLICY, localAddress: '203.0.113.1', forceEncapsulation: opts.forceEncapsulation }, seededRng(1));
  const client = new IpsecInitiatorEndpoint({
    psk: new TextEncoder().encode(opts.psk ?? 'site psk'),
    local: { address: ip(opts.natted ? '192.168.1.10' : '198.51.100.7'), port: 500 },
    server: { address: ip('203.0.113.1'), port: 500 },
    ikeSuites: [{ encryption: P1_ENCR.AES_CBC, keyLengthBits: 128, hash: P1_HASH.SHA2_256, group: DH_GROUP.MODP_2048 }],
    espSuites: [{ transformId: ESP_TRANSFORM.AES_GCM_16, keyLengthBits: 128 }, { transformId: ESP_TRANSFORM.AES_CBC, keyLengthBits: 128, auth: P2_AUTH.HMAC_SHA1 }],
    ...opts.client,
  }, seededRng(2));
  const from = (localPort: 500 | 4500): IpsecPeer => ({ address: '198.51.100.7', port: opts.natted ? (localPort === 500 ? 31337 : 40500) : localPort });
  const atServer: { peer: IpsecPeer; bytes: Uint8Array }[] = [];
  const atClient: Uint8Array[] = [];
  const clientEvents: IpsecInitiatorOutput[] = [];
  const serverEvents: IpsecEndpointOutput[] = [];
  let now = 0;
  const toServer = (outs: IpsecInitiatorOutput[]): void => {
    for (const o of outs) {
      if (o.kind === 'send') toClient(server.datagram(o.localPort, from(o.localPort), o.bytes, now));
      else if (o.kind === 'send-esp') toClient(server.rawEsp('198.51.100.7', o.bytes, now));
      else if (o.kind === 'l2tp') atClient.push(o.bytes);
      else clientEvents.push(o);
    }
  };
  const toClient = (outs: IpsecEndpointOutput[]): void => {
    for (const o of outs) {
      if (o.kind === 'send') toServer(client.datagram(o.localPort, o.bytes, now));
      else if (o.kind === 'send-esp') toServer(client.rawEsp(o.bytes, now));
      else if (o.kind === 'l2tp') atServer.push({ peer: o.peer, bytes: o.bytes });
      else serverEvents.push(o);
    }
  };
  const tick = (t: number): void => {
    now = t;
    toServer(client.timeout(now));
    toClient(server.timeout(now));
  };
  return { server, client, atServer, atClient, clientEvents, serverEvents, toServer, toClient, tick, start: () => toServer(client.start(now)) };
}

for (const [natted, force] of [[false, false], [false, true], [true, false], [true, true]] as const) {
  test(`client endpoint ↔ server endpoint (${natted ? 'behind NAT' : 'direct'}, encapsulation ${force ? 'forced' : 'as needed'}): up, L2TP both ways`, () => {
    const w = wire({ natted, forceEncapsulation: force });
    w.start();
    const up = w.clientEvents.find((o) => o.kind === 'up');
    assert.ok(up && up.kind === 'up', JSON.stringify(w.clientEvents));
    assert.equal(up.phase1, 'aes128-sha256-modp2048');
    assert.equal(up.esp, 'aes128gcm16');
    assert.equal(up.child.udpEncapsulated, natted || force);
    w.toServer(w.client.sendL2tp(zlb(3)));
    assert.equal(w.atServer.length, 1);
    assert.equal(toHex(w.atServer[0]!.bytes), toHex(zlb(3)));
    w.toClient(w.server.sendL2tp(w.atServer[0]!.peer, zlb(4)));
    assert.equal(toHex(w.atClient[0]!), toHex(zlb(4)));
  });
}

test('wrong PSK: the server reports psk-mismatch at message 5; the client, answered no more, goes down on timeout', () => {
  const w = wire({ natted: false, forceEncapsulation: true, psk: 'wrong' });
  w.start();
  for (let t = 1; t < 200 && w.client.state !== 'down'; t++) w.tick(t * 1000);
  const down = w.clientEvents.find((o) => o.kind === 'down');
  assert.ok(down && down.kind === 'down' && down.reason === 'timeout', JSON.stringify(w.clientEvents));
  const p1 = w.serverEvents.find((o) => o.kind === 'phase1');
  assert.ok(p1 && p1.kind === 'phase1' && p1.event.type === 'failed' && p1.event.reason === 'psk-mismatch');
  assert.equal(w.server.ikeSaCount, 0);
});

test('server DPD probes are answered; a server that goes silent brings the client down (dead-peer)', () => {
  const w = wire({ natted: true, forceEncapsulation: true, client: { deadAfterMs: 90_000 } });
  w.start();
  assert.equal(w.client.state, 'up');
  // The server probes after 30 s of silence; the client answers, so the server keeps the SAs.
  w.tick(31_000);
  w.tick(62_000);
  assert.equal(w.server.ikeSaCount, 1);
  // The server's R-U-THERE counts as life on the client too; then the server vanishes.
  const silentServer = w.client.timeout(62_000 + 90_000);
  assert.deepEqual(silentServer.map((o) => o.kind === 'down' && o.reason), ['dead-peer']);
});
