import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { createLogger } from './logger.js';

function collect(): { stream: PassThrough; lines: () => string[] } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return { stream, lines: () => text.split('\n').filter(Boolean) };
}
const fixed = { now: () => new Date('2026-11-24T18:55:00.123Z'), host: 'vpn1', pid: 4242 };

test('text format: journalctl short-iso shape, fields as key=value, level prefix for non-info', () => {
  const c = collect();
  const log = createLogger({ format: 'text', stream: c.stream, ...fixed }).child({ session: 3 });
  log.info('pmtu', 'GRE path MTU to 10.0.0.2 is 1400; session MTU lowered', { peer: '10.0.0.2', mtu: 1352 });
  log.warn('auth-failed', 'MS-CHAP authentication failed: E=691 (rejected)', { user: 'alice smith' });
  log.debug('drop', 'not shown at info level');
  assert.deepEqual(c.lines(), [
    '2026-11-24T18:55:00+0000 vpn1 tunppp[4242]: GRE path MTU to 10.0.0.2 is 1400; session MTU lowered session=3 peer=10.0.0.2 mtu=1352 event=pmtu',
    '2026-11-24T18:55:00+0000 vpn1 tunppp[4242]: warn: MS-CHAP authentication failed: E=691 (rejected) session=3 user="alice smith" event=auth-failed',
  ]);
});

const FORGED = 'x\n2026-11-24T18:55:01+0000 vpn1 tunppp[4242]: link up user=alice event=link-up';

test('text format: a peer string with CR/LF in the message or a field → one line, escaped', () => {
  const c = collect();
  const log = createLogger({ format: 'text', stream: c.stream, ...fixed });
  log.warn('auth-failed', `Peer ${FORGED} failed CHAP authentication (rejected)`, { user: `${FORGED}\r\x1b[2J"\\` });
  const lines = c.lines();
  assert.equal(lines.length, 1, lines.join('\n'));
  assert.equal(
    lines[0],
    '2026-11-24T18:55:00+0000 vpn1 tunppp[4242]: warn: Peer x\\n2026-11-24T18:55:01+0000 vpn1 tunppp[4242]: link up user=alice event=link-up failed CHAP authentication (rejected)' +
      ' user="x\\n2026-11-24T18:55:01+0000 vpn1 tunppp[4242]: link up user=alice event=link-up\\r\\x1b[2J\\"\\\\" event=auth-failed',
  );
});

test('text format: a message ending in key=value text (peer text at its end) → its `=` written \\x3d, not read as fields', () => {
  const c = collect();
  const log = createLogger({ format: 'text', stream: c.stream, ...fixed });
  log.info('tunnel-down', 'tunnel closed by the peer: bye user=alice ip=10.0.0.9', { peer: '192.0.2.7' });
  assert.deepEqual(c.lines(), ['2026-11-24T18:55:00+0000 vpn1 tunppp[4242]: tunnel closed by the peer: bye user\\x3dalice ip\\x3d10.0.0.9 peer=192.0.2.7 event=tunnel-down']);
});

test('json format: control characters, invisible characters and quotes in peer strings → escaped in msg, values and keys', async () => {
  const c = collect();
  const log = createLogger({ format: 'json', stream: c.stream, ...fixed });
  log.warn('auth-failed', `Peer ${FORGED} failed`, { user: 'a\u202eb\u0085"', ['k\n']: 1 });
  await new Promise((r) => setImmediate(r));
  const lines = c.lines();
  assert.equal(lines.length, 1);
  const obj = JSON.parse(lines[0]!);
  assert.equal(obj.msg, 'Peer x\\n2026-11-24T18:55:01+0000 vpn1 tunppp[4242]: link up user=alice event=link-up failed');
  assert.equal(obj.user, 'a\\u202eb\\x85\\"');
  assert.equal(obj['k\\n'], 1);
});

test('json format: pino lines with the event id and fields', async () => {
  const c = collect();
  const log = createLogger({ format: 'json', stream: c.stream, ...fixed });
  log.info('session-up', 'session up', { session: 7, user: 'bob' });
  await new Promise((r) => setImmediate(r));
  const [line] = c.lines();
  const obj = JSON.parse(line!);
  assert.equal(obj.event, 'session-up');
  assert.equal(obj.session, 7);
  assert.equal(obj.msg, 'session up');
  assert.equal(obj.level, 30);
  assert.equal(obj.name, 'tunppp');
  assert.equal(obj.time, Date.parse('2026-11-24T18:55:00.123Z'));
});

test('debug lines are rate-limited per event id', () => {
  const c = collect();
  const log = createLogger({ format: 'text', stream: c.stream, level: 'debug', debugPerSecond: 3, ...fixed });
  for (let i = 0; i < 10; i++) log.debug('drop', `bad packet ${i}`);
  log.debug('other', 'another id is counted apart');
  assert.equal(c.lines().length, 4);
});
