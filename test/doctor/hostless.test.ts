/**
 * `docker logs` of a container that runs syslog to stdout and whose daemons
 * also write to stderr: syslog lines name the host, the daemons' own lines do
 * not. A line without a host joins the session its pid places it in, on the
 * one host the file names.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeTexts } from '../../src/doctor/analyze.js';

test('hostless daemon lines join the session of the one host the file names', () => {
  const lines = [
    'vpn_1  | Mar  3 10:00:00 5c0b2a7d9e31 pptpd[100]: CTRL: Client 198.51.100.7 control connection started',
    'vpn_1  | Mar  3 10:00:00 5c0b2a7d9e31 pptpd[100]: CTRL: Starting call (launching pppd, opening GRE)',
    'vpn_1  | pppd[101]: Using interface ppp0',
    'vpn_1  | pppd[101]: Connect: ppp0 <--> /dev/pts/0',
    'vpn_1  | pppd[101]: MPPE required but peer negotiation failed',
    'vpn_1  | Mar  3 10:00:05 5c0b2a7d9e31 pptpd[100]: CTRL: Reaping child PPP[101]',
    'vpn_1  | Mar  3 10:00:05 5c0b2a7d9e31 pptpd[100]: CTRL: Client 198.51.100.7 control connection finished',
  ];
  const r = analyzeTexts([{ name: 'compose.log', text: `${lines.join('\n')}\n` }], { year: 2025 });
  assert.equal(r.summary.sessions, 1, JSON.stringify(r.sessions.map((s) => [s.kind, s.host, s.pppdPid])));
  assert.equal(r.sessions[0]?.kind, 'pptp');
  assert.equal(r.sessions[0]?.pppdPid, 101);
  assert.equal(r.findings[0]?.cause, 'mppe-not-negotiated');
});
