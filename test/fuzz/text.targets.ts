/**
 * Text fuzz targets: the config file readers (tunppp.json, pptpd.conf, pppd
 * options, chap-secrets, xl2tpd.conf) and doctor's log analysis, fed mutated
 * real files (the sample logs in test/fixtures/logs), lines in the words of
 * the daemons the real logs lack (corpus/daemon-lines.log: strongSwan,
 * Libreswan, racoon, xl2tpd, macOS, Windows; written for this corpus), tunppp's
 * own text and JSON logs made by its logger, and random bytes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/log/logger.js';
import { ConfigError } from '../../src/core/errors.js';
import { parseChapSecrets } from '../../src/config/chap-secrets.js';
import { parsePppOptions } from '../../src/config/ppp-options.js';
import { parsePptpdConf } from '../../src/config/pptpd-conf.js';
import { parseTunpppJson } from '../../src/config/schema.js';
import { parseXl2tpdConf } from '../../src/config/xl2tpd-conf.js';
import { analyzeTexts } from '../../src/doctor/analyze.js';
import { LOGS_URL } from '../helpers/fixtures.js';
import { check, utf8, type FuzzTarget } from './harness.js';

const LOG_DIR = LOGS_URL;
const enc = new TextEncoder();

let logCache: Uint8Array[] | undefined;
/** tunppp's own log of two PPTP calls and an L2TP tunnel, in `format`, from its logger. */
function tunpppLog(format: 'text' | 'json'): Uint8Array {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(c: Buffer, _enc, done) {
      chunks.push(c);
      done();
    },
  });
  let t = Date.UTC(2026, 10, 24, 18, 0, 0);
  const log = createLogger({ format, stream, now: () => new Date((t += 1000)), host: 'vpn1', pid: 4242 });
  const peer = '198.51.100.7';
  const a = log.child({ proto: 'pptp', peer });
  a.info('control-start', `CTRL: Client ${peer} control connection started`);
  const l1 = a.child({ link: 1 });
  l1.info('call-start', 'CTRL: Starting call (call ID 1, peer call ID 7, link 1)');
  l1.warn('auth-failed', 'Peer bob failed MS-CHAP-v2 authentication: E=691 (bad password)', { user: 'bob', code: 691, final: true });
  l1.info('auth-ok', 'MS-CHAP-v2 peer alice authenticated', { user: 'alice' });
  l1.info('mppe-up', 'MPPE 128-bit stateless compression enabled');
  l1.info('ipcp-up', 'local  IP address 192.168.88.1, remote IP address 192.168.88.10', { local: '192.168.88.1', remote: '192.168.88.10', user: 'alice' });
  l1.warn('pmtu', 'path MTU to 198.51.100.7 is 1400 (icmp); link MTU lowered from 1400 to 1356, TCP MSS clamped to 1316; call kept', { pathMtu: 1400, mtu: 1356, mss: 1316 });
  l1.info('link-down', 'link down: call cleared (peer-clear). Connect time 1.5 minutes. Sent 9000 bytes, received 3000 bytes.', { user: 'alice', sent: 9000, received: 3000 });
  a.info('control-end', `CTRL: Client ${peer} control connection finished (peer-stop: reason 1)`);
  const b = log.child({ proto: 'l2tp', peer: '203.0.113.9' });
  b.info('tunnel-up', 'L2TP tunnel up: Host Name "lac" tunnel 5/9', { host: 'lac' });
  b.child({ link: 2 }).warn('link-down', 'link down: LCP timeout', { user: 'carol' });
  return Uint8Array.from(Buffer.concat(chunks));
}

/** Real logs, the daemon-lines corpus and tunppp's own logs (the first 4,000 octets of each). */
export function logSeeds(): Uint8Array[] {
  if (logCache) return logCache;
  const real = readdirSync(LOG_DIR)
    .filter((f) => f.endsWith('.log'))
    .map((f) => readFileSync(new URL(f, LOG_DIR)));
  // The corpus in pieces of 12 lines, so each stays under the 4,000-octet cut.
  const lines = readFileSync(new URL('./corpus/daemon-lines.log', import.meta.url), 'utf8').split('\n');
  const corpus = Array.from({ length: Math.ceil(lines.length / 12) }, (_, i) => Buffer.from(lines.slice(12 * i, 12 * i + 12).join('\n')));
  logCache = [...real, ...corpus, tunpppLog('text'), tunpppLog('json')].map((b) => new Uint8Array(b.subarray(0, 4000)));
  return logCache;
}

/** Small config files of each kind (with examples/strongswan/tunppp-l2tp.json below). */
const CONFIG_SAMPLES = [
  '{"listen":{"pptp":true},"pools":[{"range":"10.9.0.10-10.9.0.50"}]}',
  'localip 192.168.0.1\nremoteip 192.168.0.234-238,192.168.0.245\noption /etc/ppp/pptpd-options\n',
  'name pptpd\nrefuse-pap\nrequire-mschap-v2\nrequire-mppe-128\nms-dns 8.8.8.8\nmtu 1400\nmru 1400\n',
  '# client server secret IP\nalice pptpd "pa ss" *\nbob * secret 10.0.0.5\n',
  '[global]\nport = 1701\n[lns default]\nip range = 10.1.0.2-10.1.0.20\nlocal ip = 10.1.0.1\nrequire chap = yes\npppoptfile = /etc/ppp/options.xl2tpd\n',
  // Fuller files, written for the fuzzer: the keywords, quoting and address forms each reader knows.
  '# Secrets for authentication using CHAP\n"alice" pptpd "pa ss\\"word" 10.0.0.5\nbob * "" *\ncarol * @/etc/ppp/carol.secret 10.0.0.0/24 !10.0.0.9\ndave * @literal -\n"eve smith" * s3cret 10.0.0.7 10.0.0.8\n* * wild *\nalice pptpd again\nfrank pptpd x 10.0.0.10 10.0.0.11\n',
  '[global]\nlisten-addr = 0.0.0.0\nport = 1701\nauth file = /etc/ppp/chap-secrets\naccess control = no\nipsec saref = yes\n[lns default]\nip range = 10.1.0.2-10.1.0.20\nip range = 10.1.1.5\nno ip range = 10.1.0.9\nlac = 0.0.0.0-255.255.255.255\nno lac = 192.0.2.1\nlocal ip range = 10.1.2.1-10.1.2.9\nassign ip = yes\nrefuse pap = yes\nrequire chap = yes\nrequire authentication = yes\nname = l2tpd\nppp debug = no\npppoptfile = /etc/ppp/options.xl2tpd\nlength bit = yes\nhidden bit = no\nflow bit = yes\nexclusive = no\nchallenge = yes\n[lac office]\nlns = 203.0.113.5\nredial = yes\nredial timeout = 15\nmax redials = 5\nautodial = no\nhostname = lac1\n',
  'localip 192.168.0.1,192.168.0.5-9\nremoteip 192.168.0.234-238,192.168.0.245\nlisten 0.0.0.0\nconnections 100\nstimeout 10\nnoipparam\nlogwtmp\nbcrelay eth1\ndelegate\noption /etc/ppp/pptpd-options\nspeed 115200\n',
  'name pptpd\nrefuse-pap\nrefuse-chap\nrefuse-mschap\nrequire-mschap-v2\nrequire-mppe-128\nnomppe-stateful\nms-dns 8.8.8.8\nms-dns 8.8.4.4\nms-wins 10.0.0.3\nproxyarp\nnodefaultroute\nlock\nnobsdcomp\nnovj\nnovjccomp\nnologfd\nlcp-echo-interval 30\nlcp-echo-failure 4\nmtu 1400\nmru 1400\nidle 1800\nplugin radius.so\nauth\n+ipv6\n',
  'eve * s -- ms-dns 1.1.1.1\nipv6 ::1,::2\n',
].map((s) => enc.encode(s));

/** The config samples plus the shipped example config. */
export function configSeeds(): Uint8Array[] {
  return [...CONFIG_SAMPLES, Uint8Array.from(readFileSync(new URL('../../examples/strongswan/tunppp-l2tp.json', import.meta.url)))];
}

/** Every config reader, by name. */
export const CONFIG_PARSERS: readonly (readonly [string, (text: string) => unknown])[] = [
  ['tunppp.json', (t) => parseTunpppJson(t, 'tunppp.json')],
  ['pptpd.conf', (t) => parsePptpdConf(t, 'pptpd.conf')],
  ['ppp-options', (t) => parsePppOptions(t, 'options')],
  ['chap-secrets', (t) => parseChapSecrets(t, 'chap-secrets')],
  ['xl2tpd.conf', (t) => parseXl2tpdConf(t, 'xl2tpd.conf')],
];

function configTarget(name: string, parse: (t: string) => unknown): FuzzTarget {
  return {
    name: `config/${name}`,
    seeds: configSeeds,
    maxPackets: 1,
    maxBytes: 800,
    run([b]) {
      try {
        parse(utf8.decode(b!));
      } catch (e) {
        check(e instanceof ConfigError, `${name} threw ${String(e)}`);
      }
    },
  };
}

/** Every text target. */
export const textTargets: FuzzTarget[] = [
  ...CONFIG_PARSERS.map(([name, parse]) => configTarget(name, parse)),
  {
    name: 'doctor/logs',
    seeds: logSeeds,
    maxPackets: 3,
    maxBytes: 4500,
    run(files) {
      const text = files.map((f) => utf8.decode(f));
      const r = analyzeTexts(text.map((t, i) => ({ name: `log${i}`, text: t })));
      check(typeof r === 'object' && r !== null, 'no report');
    },
  },
];
