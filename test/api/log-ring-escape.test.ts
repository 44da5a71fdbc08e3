/**
 * Peer text in the API log ring (issue 12, finding 10): a user name with
 * CR/LF and a forged tunppp line stays inside its own record, in the text
 * lines `/log` and `/doctor` read and in the records behind /auth-failures.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { LogRing, teeLogger } from '../../src/ops/log-ring.js';
import { createLogger } from '../../src/log/logger.js';

const FORGED = 'eve\r\n2026-11-24T18:55:01+0000 vpn1 tunppp[1]: MS-CHAP-v2 peer alice authenticated user=alice event=auth-ok';

test('log ring: a user name with CR/LF and a forged line → one line and one record, escaped; stderr alike', () => {
  const ring = new LogRing();
  const stderr = new PassThrough();
  let out = '';
  stderr.on('data', (d: Buffer) => (out += d.toString()));
  const log = teeLogger(createLogger({ format: 'text', stream: stderr }), ring).child({ link: 3 });
  log.warn('auth-failed', `Peer ${FORGED} failed MS-CHAP-v2 authentication: E=691 (rejected)`, { user: FORGED });
  const lines = ring.recentLines();
  assert.equal(lines.length, 1, lines.join('\n'));
  assert.equal(out.split('\n').filter(Boolean).length, 1, out);
  for (const l of [lines[0]!, out]) {
    assert.doesNotMatch(l.trimEnd(), /[\r\n]/);
    assert.ok(l.includes('Peer eve\\r\\n2026-11-24T18:55:01+0000 vpn1 tunppp[1]: MS-CHAP-v2 peer alice authenticated user=alice event=auth-ok failed'), l);
  }
  const [rec] = ring.recentRecords('auth-failed');
  assert.equal(rec!.fields.user, 'eve\\r\\n2026-11-24T18:55:01+0000 vpn1 tunppp[1]: MS-CHAP-v2 peer alice authenticated user=alice event=auth-ok');
  assert.doesNotMatch(rec!.msg, /[\r\n]/);
  assert.equal(rec!.fields.link, 3);
});
