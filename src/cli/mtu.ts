/**
 * `tunppp mtu` — prints the headers of a PPTP / L2TP / L2TP-over-IPsec tunnel
 * byte by byte, the resulting PPP MTU/MRU, IP MTU and TCP MSS, and the config
 * lines that apply them. The arithmetic is src/mtu/ (shared with the server).
 */
import { UsageError } from '../core/errors.js';
import { espSuiteExamples, parseEspSuite } from '../mtu/esp.js';
import { bestTunnelMtu, TUNNEL_PROTOS, typicalOptions, type TunnelOptions, type TunnelProto } from '../mtu/overhead.js';
import { mtuReport, reportJson, reportText } from '../mtu/render.js';
import { EXIT, type Subcommand } from './context.js';

const HELP = `Usage: tunppp mtu --proto pptp|l2tp|l2tp-ipsec [--path-mtu N] [--nat-t] [--cipher NAME] [--pppoe] [options]

Prints every header between the path and the inner IP packet with its size,
the PPP MTU/MRU, the IP MTU and the TCP MSS (IPv4 and IPv6), and the config
lines for pptpd/pppd, xl2tpd, Linux MSS clamping, macOS, Windows and tunppp.
Defaults are the worst case (largest optional headers), which holds for every packet.

Options:
  --proto P          pptp, l2tp or l2tp-ipsec (required)
  --path-mtu N       path MTU, 576..65535 (1280..65535 with --ipv6); default 1500.
                     With --pppoe it is the MTU of the link under PPPoE.
  --pppoe            the path crosses PPPoE (8 bytes: 1500 becomes 1492)
  --ipv6             outer header is IPv6 (40 bytes) instead of IPv4 (20)
  --nat-t            l2tp-ipsec behind NAT: ESP in UDP 4500 (8 bytes)
  --esp-tunnel       l2tp-ipsec in ESP tunnel mode: an inner IP header (20 or 40
                     bytes). For strongSwan kernel-libipsec use --proto l2tp
                     --path-mtu 1400 instead: its ipsec0 TUN (MTU 1400) is the limit
  --cipher NAME      ESP suite for l2tp-ipsec (default aes-cbc-sha1), e.g.
                     ${espSuiteExamples().join(', ')}
  --acfc, --pfc      PPP address/control and protocol field compression negotiated
  --no-gre-ack       PPTP: no GRE acknowledgment number (4 bytes less)
  --no-length        L2TP: no Length field (xl2tpd "length bit = no")
  --no-sequence      L2TP: no Ns/Nr on data messages
  --offset N         L2TP: Offset field present with N pad bytes
  --mppe, --no-mppe  MPPE on or off (default: on for pptp, off for l2tp)
  --typical          ACFC+PFC and no optional GRE/L2TP fields
  --json             machine-readable output

Exit codes: 0 ok, 2 usage error.
`;

const FLAGS = new Set(['--pppoe', '--ipv6', '--nat-t', '--esp-tunnel', '--acfc', '--pfc', '--no-gre-ack', '--no-length', '--no-sequence', '--mppe', '--no-mppe', '--typical', '--json']);
const VALUED = new Set(['--proto', '--path-mtu', '--cipher', '--offset']);

/** Parsed `tunppp mtu` arguments. */
export interface MtuArgs {
  options: TunnelOptions;
  pathMtu: number;
  json: boolean;
  typical: boolean;
}

function integer(flag: string, v: string): number {
  if (!/^\d+$/.test(v)) throw new UsageError(`${flag} needs a whole number, got '${v}'`, `write e.g. ${flag} 1500`);
  return Number(v);
}

/** Parses the arguments; throws `UsageError` naming the fix. */
export function parseMtuArgs(argv: string[]): MtuArgs {
  const flags = new Set<string>();
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    if (VALUED.has(name)) {
      const v = eq > 0 && a.startsWith('--') ? a.slice(eq + 1) : argv[++i];
      if (v === undefined || v === '') throw new UsageError(`${name} needs a value`, `write e.g. ${name === '--proto' ? '--proto pptp' : name === '--cipher' ? '--cipher aes-cbc-sha1' : `${name} 1500`}`);
      values.set(name, v);
    } else if (FLAGS.has(a)) {
      flags.add(a);
    } else {
      throw new UsageError(`unknown argument '${a}'`, "see 'tunppp mtu --help' for the options");
    }
  }
  const protoArg = values.get('--proto');
  if (protoArg === undefined) throw new UsageError('--proto is required', 'add --proto pptp, --proto l2tp or --proto l2tp-ipsec');
  if (!(TUNNEL_PROTOS as readonly string[]).includes(protoArg)) {
    throw new UsageError(`unknown protocol '${protoArg}'`, `use --proto ${TUNNEL_PROTOS.join('|')}`);
  }
  const proto = protoArg as TunnelProto;
  const ipv6 = flags.has('--ipv6');
  const pathMtu = values.has('--path-mtu') ? integer('--path-mtu', values.get('--path-mtu')!) : 1500;
  const min = ipv6 ? 1280 : 576;
  if (pathMtu < min || pathMtu > 65535) {
    throw new UsageError(
      `path MTU ${pathMtu} is out of range ${min}..65535${ipv6 ? ' for an IPv6 path' : ''}`,
      ipv6 ? 'IPv6 links carry at least 1280 (RFC 8200 §5): give --path-mtu 1280..65535' : 'give --path-mtu 576..65535 (1500 for Ethernet; add --pppoe for DSL)',
    );
  }
  const ipsec = proto === 'l2tp-ipsec';
  if (flags.has('--nat-t') && !ipsec) throw new UsageError('--nat-t applies only to L2TP/IPsec', 'use --proto l2tp-ipsec --nat-t, or drop --nat-t');
  if (flags.has('--esp-tunnel') && !ipsec) throw new UsageError('--esp-tunnel applies only to L2TP/IPsec', 'use --proto l2tp-ipsec --esp-tunnel, or drop --esp-tunnel');
  const cipherArg = values.get('--cipher');
  if (cipherArg !== undefined && !ipsec) throw new UsageError('--cipher applies only to L2TP/IPsec', 'use --proto l2tp-ipsec --cipher NAME, or drop --cipher');
  let esp;
  if (cipherArg !== undefined) {
    esp = parseEspSuite(cipherArg);
    if (!esp) throw new UsageError(`unknown ESP cipher suite '${cipherArg}'`, `use one of ${espSuiteExamples().join(', ')} (AEAD ciphers such as aes-gcm take no integrity suffix)`);
  }
  if (flags.has('--mppe') && flags.has('--no-mppe')) throw new UsageError('--mppe and --no-mppe contradict each other', 'keep one of them');
  if (proto === 'pptp' && (flags.has('--no-length') || flags.has('--no-sequence') || values.has('--offset'))) {
    throw new UsageError('--no-length, --no-sequence and --offset are L2TP header options', 'drop them for --proto pptp');
  }
  if (proto !== 'pptp' && flags.has('--no-gre-ack')) throw new UsageError('--no-gre-ack is a PPTP option', 'drop it for L2TP');
  const typical = flags.has('--typical');
  let options: TunnelOptions = { proto, outerIpv6: ipv6, pppoe: flags.has('--pppoe'), natT: flags.has('--nat-t') };
  if (flags.has('--esp-tunnel')) options.espTunnel = true;
  if (esp) options.esp = esp;
  if (typical) options = typicalOptions(options);
  if (flags.has('--acfc')) options.acfc = true;
  if (flags.has('--pfc')) options.pfc = true;
  if (flags.has('--no-gre-ack')) options.greAck = false;
  if (flags.has('--no-length')) options.l2tpLength = false;
  if (flags.has('--no-sequence')) options.l2tpSequence = false;
  if (values.has('--offset')) {
    const n = integer('--offset', values.get('--offset')!);
    if (n > 65535) throw new UsageError(`--offset ${n} is larger than 65535`, 'give the number of offset pad bytes, usually 0');
    options.l2tpOffsetPadBytes = n;
  }
  if (flags.has('--mppe')) options.mppe = true;
  if (flags.has('--no-mppe')) options.mppe = false;
  return { options, pathMtu, json: flags.has('--json'), typical };
}

/** The `tunppp mtu` subcommand. */
export const mtuCommand: Subcommand = {
  name: 'mtu',
  summary: 'Tunnel overhead: headers, PPP MTU/MRU, TCP MSS and config lines',
  help: HELP,
  async run(argv, ctx) {
    if (argv.includes('--help') || argv.includes('-h')) {
      ctx.stdout.write(HELP);
      return EXIT.OK;
    }
    const args = parseMtuArgs(argv);
    let result;
    try {
      result = bestTunnelMtu(args.pathMtu, args.options);
    } catch (err) {
      throw new UsageError((err as Error).message, 'give a larger --path-mtu or fewer optional headers');
    }
    const typical = args.typical ? undefined : bestTunnelMtu(args.pathMtu, typicalOptions(args.options));
    const rep = mtuReport(result, typical);
    ctx.stdout.write(args.json ? `${JSON.stringify(reportJson(rep), null, 2)}\n` : reportText(rep));
    return EXIT.OK;
  },
};
