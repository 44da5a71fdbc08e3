/**
 * RADIUS counters in /metrics: RadiusService (src/server/radius/index.ts) on
 * loopback against a silent server and a small answering server made from our
 * codec, read through createServerMetrics as `tunppp serve --api` does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { cryptoRng } from '../../src/io/rng.js';
import { silentLogger } from '../../src/log/logger.js';
import { defaultConfig, type Config } from '../../src/config/schema.js';
import type { VerifyRequest } from '../../src/ppp/auth/types.js';
import { utf8 } from '../../src/ppp/auth/mschap.js';
import {
  ATTR,
  RADIUS_CODE,
  attrText,
  encodeRadiusPacket,
  findAttr,
  intAttr,
  messageAuthenticatorPlaceholder,
  parseRadiusPacket,
  signRequest,
  signResponse,
  textAttr,
  unhidePassword,
} from '../../src/radius/codec.js';
import { RadiusService, type RadiusEndpoint } from '../../src/server/radius/index.js';
import type { PppLink } from '../../src/server/link.js';
import { createServerMetrics } from '../../src/metrics/metrics.js';
import { newServerStats } from '../../src/server/stats.js';
import { fakeLink } from './fake-link.js';

const SECRET = 'metrics-secret';

/** Answers PAP user "good" (password "pw") with Accept, everyone else with Reject; acks accounting. */
async function answeringServer(): Promise<{ port: number; close(): void }> {
  const sock = createSocket('udp4');
  sock.on('message', (m, rinfo) => {
    const r = parseRadiusPacket(new Uint8Array(m));
    if (!r.ok) return;
    const p = r.value;
    let code: number = RADIUS_CODE.ACCOUNTING_RESPONSE;
    if (p.code === RADIUS_CODE.ACCESS_REQUEST) {
      const pw = unhidePassword(findAttr(p, ATTR.USER_PASSWORD) ?? new Uint8Array(), SECRET, p.authenticator);
      const good = attrText(findAttr(p, ATTR.USER_NAME) ?? new Uint8Array()) === 'good' && pw.ok && new TextDecoder().decode(pw.value) === 'pw';
      code = good ? RADIUS_CODE.ACCESS_ACCEPT : RADIUS_CODE.ACCESS_REJECT;
    }
    sock.send(signResponse(encodeRadiusPacket({ code, identifier: p.identifier, authenticator: new Uint8Array(16), attributes: [] }), p.authenticator, SECRET), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  return { port: sock.address().port, close: () => sock.close() };
}

async function silentServer(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return s;
}

function pap(user: string, password: string): VerifyRequest {
  return { requestId: 1, protocol: 'pap', username: user, usernameBytes: utf8(user), authenticatorName: 'tunppp', proof: { protocol: 'pap', password: utf8(password) } };
}

function value(body: string, series: string): number | undefined {
  for (const line of body.split('\n')) if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  return undefined;
}

/** Sends one RFC 5176 request (with a current Event-Timestamp) from 127.0.0.1 and waits for the answer code (undefined after 1 s). */
async function dae(port: number, secret: string, code: number, attributes: ReturnType<typeof textAttr>[]): Promise<number | undefined> {
  const sock = createSocket('udp4');
  try {
    const now = intAttr(ATTR.EVENT_TIMESTAMP, Math.floor(Date.now() / 1000));
    const bytes = signRequest(encodeRadiusPacket({ code, identifier: 7, authenticator: new Uint8Array(16), attributes: [...attributes, now, messageAuthenticatorPlaceholder()] }), secret);
    const answer = new Promise<number | undefined>((resolve) => {
      const t = setTimeout(() => resolve(undefined), 1000);
      sock.once('message', (m) => {
        clearTimeout(t);
        resolve(m[0]);
      });
    });
    sock.send(bytes, port, '127.0.0.1');
    return await answer;
  } finally {
    sock.close();
  }
}

test('RADIUS: server 1 silent, server 2 answers; Accept, Reject, accounting, Disconnect → /metrics counts each per server and type', async () => {
  const silent = await silentServer();
  const srv = await answeringServer();
  const endpoints: RadiusEndpoint[] = [
    { address: '127.0.0.1', port: silent.address().port, acctPort: silent.address().port, secret: SECRET },
    { address: '127.0.0.1', port: srv.port, acctPort: srv.port, secret: SECRET },
  ];
  const d = defaultConfig();
  const config: Config = {
    ...d,
    auth: { ...d.auth, backends: ['radius'] },
    radius: {
      ...d.radius,
      servers: endpoints.map((e) => ({ address: e.address, port: e.port, acctPort: e.acctPort, secret: SECRET })),
      timeoutMs: 100,
      retries: 1,
      accounting: true,
      disconnect: { ...d.radius.disconnect, enabled: true, address: '127.0.0.1', port: 0 },
    },
  };
  const svc = new RadiusService(config, [], endpoints, { now: () => performance.now() }, cryptoRng, silentLogger);
  svc.pollIntervalMs = 0;
  const metrics = createServerMetrics({ links: () => [], stats: newServerStats(), gre: () => undefined, tun: () => undefined, radius: () => svc.stats }, { processMetrics: false });
  await svc.start();
  const s1 = `127.0.0.1:${silent.address().port}`;
  const s2 = `127.0.0.1:${srv.port}`;
  try {
    const closed: string[] = [];
    const fake = fakeLink(1, { username: 'good', peerIp: '192.168.9.10' });
    fake.closed = closed;
    const link = fake as unknown as PppLink;
    // Server 1 takes 1 + 1 transmissions and 200 ms, then server 2 accepts; later requests go to server 2 first.
    assert.equal((await svc.verifyForLink(pap('good', 'pw'), link)).ok, true);
    assert.equal((await svc.verify(pap('bad', 'pw'))).ok, false);
    svc.linkUp(link, performance.now());
    // Accounting-On went to server 1 at start and fails over too; wait until both accounting records are acknowledged.
    for (let i = 0; i < 50 && (svc.stats.clients().find((c) => c.type === 'acct')?.outstanding ?? 1) > 0; i++) await new Promise((r) => setTimeout(r, 20));
    const port = svc.disconnectPort!;
    assert.equal(await dae(port, SECRET, RADIUS_CODE.DISCONNECT_REQUEST, [textAttr(ATTR.USER_NAME, 'good')]), RADIUS_CODE.DISCONNECT_ACK);
    assert.equal(await dae(port, SECRET, RADIUS_CODE.DISCONNECT_REQUEST, [textAttr(ATTR.USER_NAME, 'nobody')]), RADIUS_CODE.DISCONNECT_NAK);
    assert.equal(await dae(port, SECRET, RADIUS_CODE.COA_REQUEST, [textAttr(ATTR.USER_NAME, 'good'), intAttr(ATTR.SESSION_TIMEOUT, 600)]), RADIUS_CODE.COA_ACK);
    assert.equal(await dae(port, SECRET, RADIUS_CODE.COA_REQUEST, [textAttr(ATTR.USER_NAME, 'nobody'), intAttr(ATTR.SESSION_TIMEOUT, 600)]), RADIUS_CODE.COA_NAK);
    assert.equal(await dae(port, 'wrong-secret', RADIUS_CODE.DISCONNECT_REQUEST, [textAttr(ATTR.USER_NAME, 'good')]), undefined);
    assert.deepEqual(closed, ['Disconnect-Request (admin reset)']);

    const body = (await metrics.scrape()).body;
    const v = (series: string): number | undefined => value(body, series);
    assert.equal(v(`tunppp_radius_requests_total{server="${s2}",type="auth",result="accept"}`), 1);
    assert.equal(v(`tunppp_radius_requests_total{server="${s2}",type="auth",result="reject"}`), 1);
    assert.equal(v(`tunppp_radius_requests_total{server="${s1}",type="auth",result="timeout"}`), 1);
    assert.equal(v(`tunppp_radius_requests_total{server="${s1}",type="auth",result="accept"}`), 0);
    assert.equal(v(`tunppp_radius_sent_total{server="${s1}",type="auth"}`), 1);
    assert.equal(v(`tunppp_radius_sent_total{server="${s2}",type="auth"}`), 2);
    assert.equal(v(`tunppp_radius_retransmissions_total{server="${s1}",type="auth"}`), 1);
    assert.equal(v(`tunppp_radius_retransmissions_total{server="${s2}",type="auth"}`), 0);
    assert.equal(v(`tunppp_radius_failovers_total{server="${s1}",type="auth"}`), 1);
    // Accounting-On timed out at server 1 and was acknowledged by server 2, as was the Start.
    assert.equal(v(`tunppp_radius_requests_total{server="${s1}",type="acct",result="timeout"}`), 1);
    assert.equal(v(`tunppp_radius_requests_total{server="${s2}",type="acct",result="ack"}`), 2);
    assert.equal(v('tunppp_radius_unanswered_total{type="auth"}'), 0);
    assert.equal(v('tunppp_radius_outstanding{type="acct"}'), 0);
    // Response times: two auth and two accounting answers, all from server 2, timed from the first transmission to server 2.
    assert.equal(v(`tunppp_radius_response_seconds_count{server="${s2}",type="auth"}`), 2);
    assert.equal(v(`tunppp_radius_response_seconds_count{server="${s2}",type="acct"}`), 2);
    assert.ok((v(`tunppp_radius_response_seconds_sum{server="${s2}",type="auth"}`) ?? 1) < 0.1, 'time at server 2 only, not the 200 ms spent on server 1');
    assert.equal(v('tunppp_radius_disconnect_requests_total{result="ack"}'), 1);
    assert.equal(v('tunppp_radius_disconnect_requests_total{result="nak-not-found"}'), 1);
    assert.equal(v('tunppp_radius_disconnect_requests_total{result="coa-ack"}'), 1);
    assert.equal(v('tunppp_radius_disconnect_requests_total{result="coa-nak"}'), 1);
    assert.equal(v('tunppp_radius_disconnect_requests_total{result="bad-authenticator"}'), 1);
    assert.equal(v('tunppp_radius_disconnect_sessions_closed_total'), 1);
  } finally {
    await svc.stop();
    silent.close();
    srv.close();
  }
});

test('RADIUS: no server answers → unanswered and timeouts per server; no RADIUS in use → no RADIUS series', async () => {
  const silent = await silentServer();
  const port = silent.address().port;
  const d = defaultConfig();
  const config: Config = { ...d, auth: { ...d.auth, backends: ['radius'] }, radius: { ...d.radius, servers: [{ address: '127.0.0.1', port, acctPort: port, secret: SECRET }], timeoutMs: 50, retries: 2 } };
  const svc = new RadiusService(config, [], [{ address: '127.0.0.1', port, acctPort: port, secret: SECRET }], { now: () => performance.now() }, cryptoRng, silentLogger);
  svc.pollIntervalMs = 0;
  const metrics = createServerMetrics({ links: () => [], stats: newServerStats(), gre: () => undefined, tun: () => undefined, radius: () => svc.stats }, { processMetrics: false });
  await svc.start();
  try {
    const verdict = await svc.verify(pap('good', 'pw'));
    assert.equal(verdict.ok, false);
    const body = (await metrics.scrape()).body;
    assert.equal(value(body, 'tunppp_radius_unanswered_total{type="auth"}'), 1);
    assert.equal(value(body, `tunppp_radius_requests_total{server="127.0.0.1:${port}",type="auth",result="timeout"}`), 1);
    assert.equal(value(body, `tunppp_radius_retransmissions_total{server="127.0.0.1:${port}",type="auth"}`), 2);
    assert.equal(value(body, `tunppp_radius_response_seconds_count{server="127.0.0.1:${port}",type="auth"}`), undefined);
  } finally {
    await svc.stop();
    silent.close();
  }
  const none = createServerMetrics({ links: () => [], stats: newServerStats(), gre: () => undefined, tun: () => undefined }, { processMetrics: false });
  assert.doesNotMatch((await none.scrape()).body, /^tunppp_radius_\w+\{/m);
});
