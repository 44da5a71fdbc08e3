/**
 * `tunppp doctor [FILE...]`: reads VPN logs (files, rotated .gz, `-` for
 * stdin), rebuilds the sessions and names what went wrong and how to fix it.
 * Exit codes: 0 no findings, 1 findings, 2 usage or input error, 3 no
 * findings but the logs were mostly not understood (report.summary.coverage).
 */
import { writeFile } from 'node:fs/promises';
import { UsageError } from '../core/errors.js';
import { Analyzer } from '../doctor/analyze.js';
import { InputError, inputSize, readInput, type ReadProgress } from '../doctor/input.js';
import { renderHtml } from '../doctor/report-html.js';
import { renderText } from '../doctor/report-text.js';
import { canRedraw, wantsColor } from './color.js';
import { EXIT, type CliContext, type Subcommand } from './context.js';

const HELP = `Usage: tunppp doctor [options] [FILE...]

Reads pptpd, pppd, pptp, xl2tpd, strongSwan (charon), libreswan/openswan (pluto),
racoon and macOS ppp.log lines, rebuilds each VPN session and says what went
wrong and how to fix it. FILE may be a rotated .gz; '-' or no FILE reads stdin.
Formats: RFC 3164/5424 syslog, journalctl short/short-iso/short-full/json/
json-pretty, BusyBox syslogd, OpenWrt logread, macOS ppp.log/log show/Console,
Windows RasClient events (any language), JSON lines; docker/compose/kubectl
prefixes and --timestamps are taken off first.

Options:
  --json              print the report as JSON (schema: docs/doctor.md)
  --html FILE         also write a self-contained HTML page with a session timeline
  --all-sessions      list every session in the text report, not only failing ones
  --year N            year for timestamps without one (default: this year)
  --max-sessions N    sessions kept in the report (default 2000; the rest are counted)
  --color / --no-color  force colours on or off (default: on for a terminal;
                      FORCE_COLOR=1 forces them, NO_COLOR or TERM=dumb turns them off)
  -h, --help          this text

Exit codes: 0 no findings, 1 findings, 2 usage or input error, 3 no findings
but most lines were not understood (or none is from a VPN daemon).
`;

/** No findings, and doctor could not read most of the input: "no fault" would be a guess. */
const EXIT_NOT_UNDERSTOOD = 3;

interface Args {
  files: string[];
  json: boolean;
  html: string | null;
  allSessions: boolean;
  year: number;
  maxSessions: number;
  color: boolean | null;
}

function parseArgs(argv: string[]): Args | 'help' {
  const a: Args = { files: [], json: false, html: null, allSessions: false, year: new Date().getFullYear(), maxSessions: 2000, color: null };
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${x} needs a value`, "see 'tunppp doctor --help'");
      return v;
    };
    const int = (v: string, min: number, max: number): number => {
      if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new UsageError(`${x}: expected a number ${min}..${max}, got '${v}'`);
      return Number(v);
    };
    if (x === '-h' || x === '--help') return 'help';
    else if (x === '--json') a.json = true;
    else if (x === '--html') a.html = value();
    else if (x === '--all-sessions') a.allSessions = true;
    else if (x === '--year') a.year = int(value(), 1970, 9999);
    else if (x === '--max-sessions') a.maxSessions = int(value(), 0, 10_000_000);
    else if (x === '--color') a.color = true;
    else if (x === '--no-color') a.color = false;
    else if (x === '--') {
      a.files.push(...argv.slice(i + 1));
      i = argv.length;
    }
    else if (x.startsWith('-') && x !== '-') throw new UsageError(`unknown option '${x}'`, "see 'tunppp doctor --help'");
    else a.files.push(x);
  }
  if (!a.files.length) a.files.push('-');
  return a;
}

function mb(n: number): string {
  return (n / 1e6).toFixed(n < 1e7 ? 1 : 0);
}

/** The `tunppp doctor` subcommand. */
export const doctorCommand: Subcommand = {
  name: 'doctor',
  summary: 'Read pptpd/pppd/xl2tpd/IPsec/macOS logs, name the cause and the fix',
  help: HELP,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    const args = parseArgs(argv);
    if (args === 'help') {
      ctx.stdout.write(HELP);
      return EXIT.OK;
    }
    if (args.files.filter((f) => f === '-').length > 1) throw new UsageError("stdin ('-') can be read only once");
    if (args.files.includes('-') && ctx.stdin.isTTY && args.files.length === 1) {
      ctx.stderr.write("tunppp doctor: reading logs from stdin (Ctrl-D to end); see 'tunppp doctor --help'\n");
    }
    const analyzer = new Analyzer({ year: args.year, maxSessions: args.maxSessions });
    let inputFailed = false;

    // Progress on stderr for large inputs when stderr is a terminal.
    const sizes = await Promise.all(args.files.map(inputSize));
    const total = sizes.reduce<number>((s, x) => s + (x ?? 0), 0);
    // TUNPPP_DOCTOR_PROGRESS_BYTES lowers the threshold (tests).
    const progressFrom = Number(ctx.env.TUNPPP_DOCTOR_PROGRESS_BYTES ?? 32e6);
    const showProgress = canRedraw(ctx.stderr.isTTY, ctx.env) && total > progressFrom;
    const prog: ReadProgress = { rawBytes: 0 };
    const t0 = Date.now();
    let lastDraw = 0;

    for (const name of args.files) {
      const label = name === '-' ? 'stdin' : name;
      const file = analyzer.beginInput(label);
      const sp = analyzer.splitter(file);
      let error: string | null = null;
      try {
        for await (const chunk of readInput(name, ctx.stdin, prog)) {
          sp.push(chunk);
          if (showProgress) {
            const now = Date.now();
            if (now - lastDraw > 250 || lastDraw === 0) {
              lastDraw = now;
              const secs = (now - t0) / 1000;
              ctx.stderr.write(`\r\x1b[Kdoctor: ${label} ${mb(prog.rawBytes)}/${mb(total)} MB, ${(prog.rawBytes / 1e6 / Math.max(secs, 0.001)).toFixed(0)} MB/s`);
            }
          }
        }
      } catch (err) {
        if (!(err instanceof InputError)) throw err;
        error = err.message;
        inputFailed = true;
        ctx.stderr.write(`${showProgress ? '\r\x1b[K' : ''}tunppp doctor: ${err.message}\n${err.hint ? `  fix: ${err.hint}\n` : ''}`);
      }
      sp.end();
      analyzer.endInput(file, sp.bytes, sp.lines, error);
    }
    if (showProgress) ctx.stderr.write('\r\x1b[K');

    const report = analyzer.report();
    if (args.json) ctx.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else {
      const color = wantsColor(args.color, ctx.stdout.isTTY, ctx.env);
      ctx.stdout.write(renderText(report, { color, allSessions: args.allSessions || undefined, width: ctx.stdout.columns }));
    }
    if (args.html) {
      await writeFile(args.html, renderHtml(report));
      if (!args.json) ctx.stdout.write(`HTML report: ${args.html}\n`);
    }
    if (inputFailed) return EXIT.USAGE;
    if (report.findings.length) return EXIT.FINDINGS;
    return report.summary.coverage.verdict === 'ok' ? EXIT.OK : EXIT_NOT_UNDERSTOOD;
  },
};
