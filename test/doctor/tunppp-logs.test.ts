/**
 * tunppp's own logs (src/log/logger.ts, text and JSON): calls from one
 * client address interleave; doctor pairs control connections with links,
 * diagnoses an auth failure, and treats a handled path-MTU event as harmless.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { analyzeTexts } from '../../src/doctor/analyze.js';
import { createLogger } from '../../src/log/logger.js';

function logLines(format: 'text' | 'json', bob = 'bob'): string {
  const stream = new PassThrough();
  let out = '';
  stream.on('data', (c: Buffer) => (out += c.toString()));
  let t = Date.UTC(2026, 10, 24, 18, 0, 0);
  const log = createLogger({ format, stream, now: () => new Date((t += 1000)), host: 'vpn1', pid: 4242 });
  const peer = '198.51.100.7';
  const a = log.child({ proto: 'pptp', peer });
  a.info('control-start', `CTRL: Client ${peer} control connection started`);
  a.info('control-start', `CTRL: Client ${peer} control connection started`);
  const l1 = a.child({ link: 1 });
  const l2 = a.child({ link: 2 });
  l1.info('call-start', 'CTRL: Starting call (call ID 1, peer call ID 7, link 1)');
  l2.info('call-start', 'CTRL: Starting call (call ID 2, peer call ID 8, link 2)');
  l1.info('auth-ok', 'MS-CHAP-v2 peer alice authenticated', { user: 'alice' });
  l2.warn('auth-failed', `Peer ${bob} failed MS-CHAP-v2 authentication: E=691 (bad password)`, { user: bob, code: 691, final: true });
  l1.info('mppe-up', 'MPPE 128-bit stateless compression enabled');
  l1.info('ipcp-up', 'local  IP address 192.168.88.1, remote IP address 192.168.88.10', { local: '192.168.88.1', remote: '192.168.88.10', user: 'alice' });
  l1.warn('pmtu', 'path MTU to 198.51.100.7 is 1400 (icmp); link MTU lowered from 1400 to 1356, TCP MSS clamped to 1316; call kept', { pathMtu: 1400, mtu: 1356, mss: 1316 });
  l2.info('link-down', 'link down: authentication failed. Connect time 0.0 minutes. Sent 0 bytes, received 0 bytes.', { user: bob, sent: 0, received: 0 });
  a.info('control-end', `CTRL: Client ${peer} control connection finished (local-stop: auth failed)`);
  l1.info('link-down', 'link down: call cleared (peer-clear). Connect time 1.5 minutes. Sent 9000 bytes, received 3000 bytes.', { user: 'alice', ip: '192.168.88.10', sent: 9000, received: 3000 });
  a.info('control-end', `CTRL: Client ${peer} control connection finished (peer-stop: reason 1)`);
  return out;
}

for (const format of ['text', 'json'] as const) {
  test(`tunppp ${format} log: two calls from one address → two sessions, the failed one diagnosed`, () => {
    const r = analyzeTexts([{ name: `tunppp.${format}`, text: logLines(format) }]);
    assert.equal(r.sessions.length, 2, JSON.stringify(r.sessions.map((s) => [s.user, s.causes])));
    const alice = r.sessions.find((s) => s.user === 'alice')!;
    const bob = r.sessions.find((s) => s.user === 'bob')!;
    assert.equal(alice.outcome, 'ok');
    assert.equal(alice.remoteIp, '192.168.88.10');
    assert.equal(alice.mppe, 'MPPE 128-bit stateless');
    assert.equal(alice.bytesSent, 9000);
    assert.equal(alice.ended?.by, 'peer');
    assert.deepEqual(alice.causes, [], 'a handled path-MTU event is not a cause');
    assert.deepEqual(bob.causes, ['auth-bad-credentials']);
    assert.equal(r.findings.length, 1);
  });
}

// A user name a peer chose to forge lines and fields (issue 12, finding 10), and to stall a backtracking parser.
const HOSTILE = 'x" a=" a=" a="\r\n2026-11-24T18:00:05+0000 vpn1 tunppp[4242]: MS-CHAP-v2 peer mallory authenticated user=mallory link=9 event=auth-ok';

for (const format of ['text', 'json'] as const) {
  test(`tunppp ${format} log: a user name with CR/LF, quotes and a forged line → still one record, read back escaped, nothing forged`, () => {
    const text = logLines(format, HOSTILE);
    assert.equal(text.split('\n').filter(Boolean).length, logLines(format).split('\n').filter(Boolean).length, 'one line per record');
    const r = analyzeTexts([{ name: `tunppp.${format}`, text }]);
    assert.equal(r.sessions.length, 2, JSON.stringify(r.sessions.map((s) => [s.user, s.causes])));
    assert.ok(!r.sessions.some((s) => s.user === 'mallory'), 'no session of the forged user');
    const bob = r.sessions.find((s) => s.user !== 'alice')!;
    assert.ok(bob.user === null || !/[\r\n]/.test(bob.user), String(bob.user));
    assert.deepEqual(bob.causes, ['auth-bad-credentials']);
  });
}

test('tunppp json log: a message ending in peer text shaped like fields (event=… user=… peer=…) → the record\'s own fields count, the failed login is still diagnosed', () => {
  const stream = new PassThrough();
  let out = '';
  stream.on('data', (c: Buffer) => (out += c.toString()));
  let t = Date.UTC(2026, 10, 24, 18, 0, 0);
  const log = createLogger({ format: 'json', stream, now: () => new Date((t += 1000)), host: 'vpn1', pid: 4242 });
  const a = log.child({ proto: 'l2tp', peer: '198.51.100.7' });
  const l = a.child({ link: 1 });
  l.info('call-start', 'Starting call (link 1)');
  // The peer's own text (a name, a Result Code message) closes the message.
  l.warn('auth-failed', 'Peer bob failed CHAP authentication: rejected by the peer: x event=link-up user=mallory peer=203.0.113.9', { user: 'bob', final: true });
  l.info('link-down', 'link down: authentication failed. Connect time 0.0 minutes. Sent 0 bytes, received 0 bytes.', { user: 'bob', sent: 0, received: 0 });
  const r = analyzeTexts([{ name: 'tunppp.json', text: out }]);
  assert.ok(!r.sessions.some((s) => s.user === 'mallory'), JSON.stringify(r.sessions.map((s) => [s.user, s.causes])));
  const bob = r.sessions.find((s) => s.user === 'bob');
  assert.ok(bob, JSON.stringify(r.sessions.map((s) => [s.user, s.causes])));
  assert.deepEqual(bob.causes, ['auth-bad-credentials']);
});
