/**
 * The acceptance case: `tunppp doctor seed-macos-pptp-mtu.log` names
 * the MTU/EMSGSIZE cause first with its fix, and lists the five lines the
 * .json calls benign as benign (never as evidence).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { Report } from '../../src/doctor/types.js';
import { fixturePath, LOGS_DIR } from '../helpers/fixtures.js';
import { runDoctor } from './helpers.js';

const SEED = fixturePath(LOGS_DIR, 'seed-macos-pptp-mtu.log');
const META = JSON.parse(readFileSync(SEED.replace(/\.log$/, '.json'), 'utf8')) as { benign_lines: string[] };

test('seed log: doctor text → MTU cause first with the mtu/mru fix, exit 1', async () => {
  const r = await runDoctor([SEED, '--no-color']);
  assert.equal(r.code, 1);
  const findings = r.stdout.slice(r.stdout.indexOf('Findings'), r.stdout.indexOf('Harmless'));
  assert.match(findings, /^[ \t]+1\. \[critical\] gre-path-mtu/m);
  assert.match(findings, /EMSGSIZE/);
  assert.match(findings, /Message too long/);
  assert.match(findings, /^[ \t]+mtu 1400$/m);
  assert.match(findings, /^[ \t]+mru 1400$/m);
  assert.doesNotMatch(r.stdout, /\x1b\[/, 'no colour when stdout is not a TTY');
});

test('seed log: --json → gre-path-mtu first, the five benign lines benign, session rebuilt', async () => {
  const r = await runDoctor([SEED, '--json']);
  assert.equal(r.code, 1);
  const rep = JSON.parse(r.stdout) as Report;
  assert.equal(rep.schema, 'tunppp-doctor/1');
  assert.equal(rep.findings[0]!.cause, 'gre-path-mtu');
  assert.equal(rep.summary.topCause, 'gre-path-mtu');
  assert.equal(META.benign_lines.length, 5);
  const benign = rep.benign.flatMap((b) => b.examples.map((e) => e.text));
  const evidence = rep.findings.flatMap((f) => f.evidence.map((e) => e.text));
  for (const line of META.benign_lines) {
    assert.ok(benign.some((t) => t.includes(line)), `not benign: ${line}`);
    assert.ok(!evidence.some((t) => t.includes(line)), `benign line used as evidence: ${line}`);
  }
  assert.equal(rep.findings.length, 1, 'nothing else is a cause in this log');
  const s = rep.sessions.find((x) => x.causes.includes('gre-path-mtu'));
  assert.ok(s);
  assert.equal(s.kind, 'pptp');
  assert.equal(s.role, 'server');
  assert.equal(s.controlPid, 21965);
  assert.equal(s.pppdPid, 21967);
  assert.equal(s.client, '218.88.x.155');
  assert.equal(s.interface, 'ppp0');
  assert.equal(s.user, 'xxxxx');
  assert.equal(s.mppe, 'MPPE 128-bit stateless');
  assert.equal(s.localIp, '192.168.x.1');
  assert.equal(s.remoteIp, '192.168.x.10');
  assert.equal(s.bytesSent, 9063);
  assert.equal(s.bytesReceived, 3553);
  assert.equal(s.connectSeconds, 6);
  assert.equal(s.outcome, 'dropped');
  assert.equal(s.ended?.by, 'network');
  assert.match(s.start ?? '', /-08-01T14:05:34$/);
  assert.match(s.end ?? '', /-08-01T14:05:43$/);
});
