/**
 * The only doctor module that touches files: opens a path (or stdin for
 * `-`) as a stream of byte chunks, gunzips `.gz` (detected by magic, not by
 * name) as a stream, and refuses binary or otherwise compressed input with a
 * clear error. Memory stays flat: chunks are handed on as they arrive.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { VpnError } from '../core/errors.js';

/** An input that cannot be read as a text log (exit code 2). */
export class InputError extends VpnError {
  constructor(code: 'INPUT_NOT_FOUND' | 'INPUT_BINARY' | 'INPUT_TRUNCATED' | 'INPUT_COMPRESSED' | 'INPUT_READ', message: string, hint?: string) {
    super(code, message, hint);
  }
}

const CHUNK = 1 << 20;

/** Size of a file in bytes, or null for stdin / unknown. */
export async function inputSize(name: string): Promise<number | null> {
  if (name === '-') return null;
  try {
    return (await stat(name)).size;
  } catch {
    return null;
  }
}

/** Bytes of the raw (possibly compressed) input consumed so far, for progress. */
export interface ReadProgress {
  rawBytes: number;
}

function magic(b: Buffer): 'gzip' | 'bzip2' | 'xz' | 'zstd' | null {
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) return 'gzip';
  if (b.length >= 3 && b[0] === 0x42 && b[1] === 0x5a && b[2] === 0x68) return 'bzip2';
  if (b.length >= 6 && b[0] === 0xfd && b[1] === 0x37 && b[2] === 0x7a && b[3] === 0x58 && b[4] === 0x5a && b[5] === 0x00) return 'xz';
  if (b.length >= 4 && b[0] === 0x28 && b[1] === 0xb5 && b[2] === 0x2f && b[3] === 0xfd) return 'zstd';
  return null;
}

/**
 * Text logs have no NUL bytes and few control characters. Checks the first
 * 8 KiB of the (decompressed) data.
 */
function looksBinary(b: Buffer): boolean {
  const n = Math.min(b.length, 8192);
  let ctrl = 0;
  for (let i = 0; i < n; i++) {
    const c = b[i]!;
    if (c === 0) return true;
    if (c < 9 || (c > 13 && c < 32 && c !== 27)) ctrl++;
  }
  return n > 0 && ctrl / n > 0.1;
}

async function* chunks(src: Readable): AsyncGenerator<Buffer> {
  for await (const c of src) yield typeof c === 'string' ? Buffer.from(c) : (c as Buffer);
}

/**
 * Reads `name` ('-' = `stdin`) as decompressed byte chunks. Throws
 * InputError for missing, binary, truncated-gzip or bzip2/xz/zstd input.
 */
export async function* readInput(name: string, stdin: Readable, progress?: ReadProgress): AsyncGenerator<Buffer> {
  const label = name === '-' ? 'stdin' : name;
  let src: Readable;
  if (name === '-') src = stdin;
  else {
    try {
      const st = await stat(name);
      if (st.isDirectory()) throw new InputError('INPUT_READ', `${label}: is a directory`, 'pass log files, e.g. /var/log/syslog /var/log/syslog.1.gz');
    } catch (err) {
      if (err instanceof InputError) throw err;
      throw new InputError('INPUT_NOT_FOUND', `${label}: cannot open (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    src = createReadStream(name, { highWaterMark: CHUNK });
  }
  const raw = chunks(src);
  const counted = async function* (): AsyncGenerator<Buffer> {
    for await (const c of raw) {
      if (progress) progress.rawBytes += c.length;
      yield c;
    }
  };
  const it = counted();
  const first = await it.next();
  if (first.done) return;
  const kind = magic(first.value);
  if (kind && kind !== 'gzip') throw new InputError('INPUT_COMPRESSED', `${label}: ${kind}-compressed`, `decompress it first, e.g. ${kind === 'bzip2' ? 'bzcat' : kind === 'xz' ? 'xzcat' : 'zstdcat'} ${label} | tunppp doctor -`);
  let body: AsyncGenerator<Buffer>;
  if (kind === 'gzip') body = gunzip(first.value, it, label);
  else
    body = (async function* () {
      yield first.value;
      yield* it;
    })();
  let checked = false;
  for await (const c of body) {
    if (!checked) {
      checked = true;
      if (looksBinary(c)) throw new InputError('INPUT_BINARY', `${label}: binary data, not a text log`, 'pass syslog/journal text (journalctl -o short-iso > file) or a .gz of it');
    }
    yield c;
  }
}

async function* gunzip(first: Buffer, rest: AsyncGenerator<Buffer>, label: string): AsyncGenerator<Buffer> {
  const gz = createGunzip({ chunkSize: CHUNK });
  let pumpError: unknown = null;
  const pump = (async () => {
    try {
      const write = (b: Buffer): Promise<void> | void => {
        if (!gz.write(b))
          return new Promise((r) => {
            gz.once('drain', () => r());
            gz.once('close', () => r());
          });
      };
      await write(first);
      for await (const c of rest) {
        if (gz.destroyed) return;
        await write(c);
      }
      gz.end();
    } catch (err) {
      pumpError = err;
      gz.destroy(err as Error);
    }
  })();
  try {
    for await (const c of gz) yield c as Buffer;
  } catch (err) {
    if (pumpError) throw pumpError;
    const msg = (err as Error).message;
    throw new InputError('INPUT_TRUNCATED', `${label}: gzip data is ${/unexpected end/i.test(msg) ? 'truncated' : 'corrupt'} (${msg})`, 'the lines before the damage were analysed; re-copy the file or use zcat -f to salvage it');
  } finally {
    if (!gz.destroyed) gz.destroy();
    await pump;
  }
}
