/**
 * A report over lines doctor mostly did not understand says so: the
 * coverage verdict in the JSON, a warning with the first such line in the
 * text, exit 3 instead of 0, and never "nothing in these logs points at a
 * fault". A log with no VPN daemon's line at all says that instead.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { analyzeTexts } from '../../src/doctor/analyze.js';
import type { Report } from '../../src/doctor/types.js';
import { runDoctor } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'doctor-coverage-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A log exporter's CSV (a format doctor does not read) of a pptpd and pppd session. */
const CSV = [
  '"timestamp","host","program","message"',
  '"2025-03-03T10:00:00.000Z","vpn","pptpd[100]","CTRL: Client 198.51.100.7 control connection started"',
  '"2025-03-03T10:00:00.000Z","vpn","pptpd[100]","CTRL: Starting call (launching pppd, opening GRE)"',
  '"2025-03-03T10:00:00.000Z","vpn","pppd[101]","Using interface ppp0"',
  '"2025-03-03T10:00:01.000Z","vpn","pppd[101]","Exit."',
].join('\n');

const OTHERS = ['Mar  3 10:00:00 vpn sshd[5]: Accepted publickey for root from 192.0.2.1 port 5000 ssh2', 'Mar  3 10:01:00 vpn CRON[7]: (root) CMD (run-parts /etc/cron.hourly)'].join('\n');

test('coverage: lines mostly not understood → verdict, example, warning, exit 3, no "no fault"', async () => {
  const f = join(dir, 'export.csv');
  writeFileSync(f, `${CSV}\n`);
  const r = await runDoctor([f]);
  assert.equal(r.code, 3, r.stdout);
  assert.doesNotMatch(r.stdout, /nothing in these logs points at a fault/);
  assert.match(r.stdout, /Warning: 5 of 5 lines were not understood — the format may not be supported/);
  assert.match(r.stdout, /first line not understood: .*export\.csv:1 {2}"timestamp","host"/);
  const j = await runDoctor([f, '--json']);
  assert.equal(j.code, 3);
  const rep = JSON.parse(j.stdout) as Report;
  assert.equal(rep.summary.coverage.verdict, 'not-understood');
  assert.equal(rep.summary.coverage.notUnderstood, 5);
  assert.equal(rep.summary.coverage.of, 5);
  assert.equal(rep.summary.coverage.example?.line, 1);
});

test('coverage: no VPN daemon line at all → verdict no-vpn-lines, exit 3', async () => {
  const f = join(dir, 'others.log');
  writeFileSync(f, `${OTHERS}\n`);
  const r = await runDoctor([f]);
  assert.equal(r.code, 3);
  assert.match(r.stdout, /No line of these logs is from a VPN daemon/);
  assert.doesNotMatch(r.stdout, /nothing in these logs points at a fault/);
});

test('coverage: findings with most lines not understood still warn (exit 1 for the findings)', async () => {
  const f = join(dir, 'mixed.csv');
  // The MPPE line is understood anywhere in a line; the rest of the export is not.
  writeFileSync(f, `${CSV}\n"2025-03-03T10:00:01.000Z","vpn","pppd[101]","MPPE required but peer negotiation failed"\n`);
  const r = await runDoctor([f]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /Warning: 5 of 6 lines were not understood/);
  assert.match(r.stdout, /mppe-not-negotiated/);
});

test('coverage: a log doctor reads → verdict ok, no warning', () => {
  const r = analyzeTexts([{ name: 'ok', text: 'Mar  3 10:00:00 vpn pppd[101]: Using interface ppp0\nMar  3 10:00:01 vpn pppd[101]: local  IP address 10.0.0.1\nMar  3 10:00:05 vpn pppd[101]: some line pppd never wrote\nMar  3 10:20:00 vpn pppd[101]: Exit.\n' }]);
  assert.deepEqual(r.summary.coverage, { verdict: 'ok', notUnderstood: 1, of: 4, example: null, message: null });
});

test('coverage: a pppd debug log (packet dumps no rule reads) → verdict ok, the dumps counted as other lines, not as not understood', () => {
  const dumps = [
    'sent [LCP ConfReq id=0x1 <asyncmap 0x0> <auth chap MS-v2> <magic 0x5c6b1a2e>]',
    'rcvd [LCP ConfAck id=0x1 <asyncmap 0x0> <auth chap MS-v2> <magic 0x5c6b1a2e>]',
    'sent [LCP EchoReq id=0x0 magic=0x5c6b1a2e]',
    'rcvd [LCP EchoRep id=0x0 magic=0x7a1b2c3d]',
    'sent [IPCP ConfReq id=0x1 <addr 10.0.0.1>]',
    'rcvd [IPCP ConfAck id=0x1 <addr 10.0.0.1>]',
    'sent [CCP ConfReq id=0x1 <mppe +H -M +S -L -D -C>]',
  ];
  const lines = ['Mar  3 10:00:00 vpn pppd[101]: pppd 2.4.9 started by root, uid 0', 'Mar  3 10:00:00 vpn pppd[101]: Using interface ppp0', 'Mar  3 10:00:00 vpn pppd[101]: Connect: ppp0 <--> /dev/pts/1'];
  for (let i = 0; i < 40; i++) lines.push(`Mar  3 10:00:${String(1 + (i % 50)).padStart(2, '0')} vpn pppd[101]: ${dumps[i % dumps.length]}`);
  lines.push('Mar  3 10:01:00 vpn pppd[101]: local  IP address 10.0.0.1', 'Mar  3 10:20:00 vpn pppd[101]: Exit.');
  const r = analyzeTexts([{ name: 'debug', text: `${lines.join('\n')}\n` }]);
  assert.equal(r.summary.coverage.verdict, 'ok', JSON.stringify(r.summary.coverage));
  assert.equal(r.summary.coverage.notUnderstood, 0);
});
