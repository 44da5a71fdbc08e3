/**
 * Hand-written samples of the client formats users paste, each in the
 * layout its tool writes (sources below), with the cause doctor must name:
 *
 *  - Windows Event Viewer, "Copy details as text" of RasClient events 20221
 *    (dialling, with the tunnel type) and 20227 (failed, with the error code):
 *    the field layout is Event Viewer's; the description wording is
 *    Windows' RasClient message (English; German and Simplified Chinese as
 *    users post them in forums). Error codes from raserror.h.
 *  - PowerShell `Get-WinEvent … | Format-List` of the same event.
 *  - The Windows 10/11 connection error dialog ("Can't connect to …").
 *  - macOS `log show` default and compact styles, and Console's "Copy"
 *    format, of pppd with Apple's L2TP plugin (messages as in Apple's ppp
 *    sources, the same wording as the macOS ppp.log lines doctor reads).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeTexts } from '../../src/doctor/analyze.js';

const GUID = 'CoId={8F0C6E5A-3B1D-4F2E-9A77-5C2E1D0B4A91}';

const eventViewer = (id: number, description: string[], labels = ['Log Name:', 'Source:', 'Date:', 'Event ID:', 'Task Category:', 'Level:', 'Keywords:', 'User:', 'Computer:', 'Description:'], values = ['Application', 'RasClient', '3/2/2024 10:08:54 AM', String(id), 'None', 'Error', 'Classic', 'DESKTOP-7\\alice', 'DESKTOP-7', '']): string[] =>
  [...labels.map((l, i) => (values[i] ? `${l.padEnd(14)} ${values[i]}` : l)), ...description];

const dial20221 = (strategy: string, device: string): string[] => [
  `${GUID}: The user DESKTOP-7\\alice has started dialing a VPN connection using a per-user connection profile named Office VPN. The connection settings are: `,
  'Dial-in User = alice',
  `VpnStrategy = ${strategy}`,
  'DataEncryption = Require',
  'PrerequisiteEntry = ',
  'AutoLogon = No',
  'UseRasCredentials = Yes',
  'Authentication Type = MS-CHAPv2 ',
  'Ipv4DefaultGateway = Yes',
  'Ipv4AddressAssignment = By Server',
  'Ipv4DNSServerAssignment = By Server',
  'Ipv6DefaultGateway = Yes',
  'Ipv6AddressAssignment = By Server',
  'Ipv6DNSServerAssignment = By Server',
  'IpDnsFlags = ',
  'IpNBTEnabled = Yes',
  'UseFlags = Private Connection',
  'ConnectOnWinlogon = No',
  'Mobility enabled for IKEv2 = Yes.',
  `Device = ${device}`,
];

const failed20227 = (code: number): string => `${GUID}: The user DESKTOP-7\\alice dialed a connection named Office VPN which has failed. The error code returned on failure is ${code}.`;

const CASES: { name: string; lines: string[]; cause: string }[] = [
  { name: 'Windows event 20227, error 691 (English)', lines: eventViewer(20227, [failed20227(691)]), cause: 'auth-bad-credentials' },
  {
    name: 'Windows event 20227, error 691 (German)',
    lines: eventViewer(
      20227,
      [`${GUID}: Der Benutzer "DESKTOP-7\\alice" hat eine Verbindung mit dem Namen "Büro-VPN" gewählt, die nicht hergestellt werden konnte. Der bei dem Fehler zurückgegebene Fehlercode ist 691.`],
      ['Protokollname:', 'Quelle:', 'Datum:', 'Ereignis-ID:', 'Aufgabenkategorie:', 'Ebene:', 'Schlüsselwörter:', 'Benutzer:', 'Computer:', 'Beschreibung:'],
      ['Application', 'RasClient', '02.03.2024 10:08:54', '20227', 'Keine', 'Fehler', 'Klassisch', 'DESKTOP-7\\alice', 'DESKTOP-7', ''],
    ),
    cause: 'auth-bad-credentials',
  },
  {
    name: 'Windows event 20227, error 789 (Simplified Chinese)',
    lines: eventViewer(
      20227,
      [`${GUID}: 用户 DESKTOP-7\\alice 拨打了名为 办公室VPN 的连接，但连接失败。失败时返回的错误代码为 789。`],
      ['日志名称:', '来源:', '日期:', '事件 ID:', '任务类别:', '级别:', '关键字:', '用户:', '计算机:', '描述:'],
      ['Application', 'RasClient', '2024/3/2 10:08:54', '20227', '无', '错误', '经典', 'DESKTOP-7\\alice', 'DESKTOP-7', ''],
    ),
    cause: 'ipsec-psk-mismatch',
  },
  { name: 'Windows event 20227, error 13801 (IKEv2)', lines: eventViewer(20227, [failed20227(13801)]), cause: 'ipsec-cert-rejected' },
  { name: 'Windows event 20227, error 720', lines: eventViewer(20227, [failed20227(720)]), cause: 'ipcp-not-negotiated' },
  { name: 'Windows event 20227, error 812', lines: eventViewer(20227, [failed20227(812)]), cause: 'auth-protocol-mismatch' },
  { name: 'Windows event 20227, error 619', lines: eventViewer(20227, [failed20227(619)]), cause: 'gre-blocked' },
  { name: 'Windows event 20227, error 809 on L2TP/IPsec', lines: [...eventViewer(20221, dial20221('L2TP', 'WAN Miniport (L2TP)')), '', ...eventViewer(20227, [failed20227(809)])], cause: 'ipsec-nat-t' },
  { name: 'Windows event 20227, error 809 on PPTP is no NAT-T finding', lines: [...eventViewer(20221, dial20221('PPTP', 'WAN Miniport (PPTP)')), '', ...eventViewer(20227, [failed20227(809)])], cause: 'pptp-control-unreachable' },
  {
    name: 'Windows event 20226 (terminated) with reason code 829 is no finding of its own, 20227 with 809 of a PPTP dial is',
    lines: ['Id          : 20227', 'ProviderName : RasClient', `Message     : ${failed20227(809)}`, '', 'Id          : 20221', `Message     : ${dial20221('PPTP', 'WAN Miniport (PPTP)')[0]}`, 'VpnStrategy = PPTP'],
    cause: 'pptp-control-unreachable',
  },
  { name: 'Windows 10/11 dialog, error code named', lines: ["Can't connect to Office VPN", '', 'The remote connection was denied because the user name and password combination you provided is not recognized, or the selected authentication protocol is not permitted on the remote access server.', '', 'Error code: 691'], cause: 'auth-bad-credentials' },
  { name: 'Windows 10/11 dialog, sentence only', lines: ["Can't connect to Office VPN", 'The network connection between your computer and the VPN server could not be established because the remote server is not responding. This could be because one of the network devices (e.g, firewalls, NAT, routers, etc) between your computer and the remote server is not configured to allow VPN connections.'], cause: 'ipsec-nat-t' },
  {
    name: 'macOS log show (default style)',
    lines: [
      'Timestamp                       Thread     Type        Activity             PID    TTL  ',
      "2024-03-02 10:08:54.513456-0800 0x2c3d     Default     0x0                  412    0    pppd: [com.apple.ppp:ppp] L2TP connecting to server 'vpn.example.com' (203.0.113.5)...",
      '2024-03-02 10:08:54.520011-0800 0x2c3d     Default     0x0                  412    0    pppd: [com.apple.ppp:ppp] IPSec connection started',
      '2024-03-02 10:09:24.530722-0800 0x2c3d     Default     0x0                  412    0    pppd: [com.apple.ppp:ppp] IPSec connection failed <IKE Error 14 (0xe) No proposal chosen>',
    ],
    cause: 'ipsec-proposal-mismatch',
  },
  {
    name: 'macOS log show (compact style)',
    lines: [
      "2024-03-02 10:08:54.513 Df pppd[412:2c3d] [com.apple.ppp:ppp] L2TP connecting to server 'vpn.example.com' (203.0.113.5)...",
      '2024-03-02 10:08:54.600 Df pppd[412:2c3d] [com.apple.ppp:ppp] L2TP: no user shared secret found.',
    ],
    cause: 'l2tp-ipsec-secret-missing',
  },
  {
    name: 'macOS Console copy format',
    lines: [
      "3/2/17 10:08:54.513 AM pppd[412]: L2TP connecting to server 'vpn.example.com' (203.0.113.5)...",
      '3/2/17 10:08:54.620 AM pppd[412]: L2TP connection established.',
      '3/2/17 10:08:55.102 AM pppd[412]: MS-CHAP authentication failed: E=691 Authentication failure',
    ],
    cause: 'auth-bad-credentials',
  },
];

for (const c of CASES) {
  test(`client format: ${c.name} → ${c.cause}`, () => {
    const r = analyzeTexts([{ name: 'pasted.txt', text: `${c.lines.join('\n')}\n` }], { year: 2024 });
    assert.equal(r.findings[0]?.cause, c.cause, JSON.stringify(r.findings.map((f) => f.cause)));
    assert.ok(!r.findings.some((f) => f.cause === 'ipsec-nat-t') || c.cause === 'ipsec-nat-t', 'an 809 of a PPTP dial is no NAT-T finding');
    // The event's field lines are no daemon lines: nothing left "not understood" beyond a header.
    assert.ok(r.stats.unknownLines <= 2, `unknown lines: ${r.stats.unknownLines}`);
  });
}

test('client formats: times of Console and log show lines are read', () => {
  const r = analyzeTexts([{ name: 'c.txt', text: '3/2/17 1:08:54.513 PM pppd[412]: MS-CHAP authentication failed: E=691 Authentication failure\n' }], { year: 2024 });
  assert.equal(r.sessions[0]?.start, '2017-03-02T13:08:54');
  const l = analyzeTexts([{ name: 'l.txt', text: '2024-03-02 10:09:24.530722-0800 0x2c3d     Default     0x0                  412    0    pppd: IPSec connection failed <IKE Error 14 (0xe) No proposal chosen>\n' }]);
  assert.equal(l.sessions[0]?.start, '2024-03-02T10:09:24');
  assert.equal(l.sessions[0]?.pppdPid, 412);
});
