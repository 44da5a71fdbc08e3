/**
 * Runs tshark over a pcap we wrote and reports what it decoded, so tests can
 * check our wire format with an independent dissector (STYLE.md §7.6).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePcap, type PcapRecord } from '../../src/wire/pcap.js';

/** True when tshark is on the PATH. */
export function haveTshark(): boolean {
  return spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** The reason to skip a tshark test, or undefined when it can run. */
export function tsharkSkipReason(): string | undefined {
  return haveTshark() ? undefined : 'tshark is not installed (apt-get install tshark; npm test installs it when run as root)';
}

/** One decoded frame: tshark's `_source.layers`. */
export type TsharkLayers = Record<string, unknown>;

/** Problems tshark flagged: malformed packets and expert info at warning or error level. */
export interface TsharkProblem {
  frame: number;
  what: string;
}

// Expert info severities (epan/proto.h): PI_WARN 0x00600000, PI_ERROR 0x00800000.
const PI_WARN = 0x00600000;

function walk(node: unknown, visit: (key: string, value: unknown) => void): void {
  if (Array.isArray(node)) for (const v of node) walk(v, visit);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      visit(k, v);
      walk(v, visit);
    }
  }
}

/** Writes `records` as a pcap of `linkType`, runs `tshark -T json` and returns the frames and problems. */
export function dissect(linkType: number, records: readonly PcapRecord[], extraArgs: string[] = []): { frames: TsharkLayers[]; problems: TsharkProblem[] } {
  const dir = mkdtempSync(join(tmpdir(), 'tunppp-tshark-'));
  try {
    const file = join(dir, 'out.pcap');
    writeFileSync(file, encodePcap(linkType, records));
    const r = spawnSync('tshark', ['-r', file, '-T', 'json', '-o', 'tcp.analyze_sequence_numbers:FALSE', ...extraArgs], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`tshark failed: ${r.stderr}`);
    const parsed = JSON.parse(r.stdout || '[]') as { _source: { layers: TsharkLayers } }[];
    const frames = parsed.map((p) => p._source.layers);
    const problems: TsharkProblem[] = [];
    frames.forEach((layers, i) => {
      walk(layers, (key, value) => {
        if (key === '_ws.malformed') problems.push({ frame: i + 1, what: `malformed: ${JSON.stringify(value).slice(0, 200)}` });
        if (key === '_ws.expert.severity' && Number(value) >= PI_WARN) {
          problems.push({ frame: i + 1, what: `expert info severity ${value}: ${JSON.stringify(layers).slice(0, 300)}` });
        }
      });
    });
    return { frames, problems };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The first value of a field anywhere in a frame's layers (tshark JSON nests by protocol tree). */
export function field(layers: TsharkLayers, name: string): unknown {
  let found: unknown;
  walk(layers, (k, v) => {
    if (found === undefined && k === name) found = v;
  });
  return found;
}

/** Every value of a field in a frame. */
export function fields(layers: TsharkLayers, name: string): unknown[] {
  const out: unknown[] = [];
  walk(layers, (k, v) => {
    if (k === name) out.push(v);
  });
  return out;
}
