/** A small strict argument parser shared by the subcommands: unknown options are usage errors that name the fix. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../core/errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses `argv` with `options`; throws UsageError naming the command's --help. */
export function parseCommandArgs<T extends Options>(command: string, argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals });
  } catch (err) {
    const msg = (err as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, '');
    throw new UsageError(msg, `see 'tunppp ${command} --help'`);
  }
}

/** Reads a log format option. */
export function logFormat(v: string | undefined, isTty: boolean | undefined): 'json' | 'text' {
  if (v === undefined) return isTty ? 'text' : 'text';
  if (v !== 'json' && v !== 'text') throw new UsageError(`--log-format must be json or text, got '${v}'`, 'use --log-format text or --log-format json');
  return v;
}

/** Reads a log level option. */
export function logLevel(v: string | undefined, debug: boolean | undefined): 'debug' | 'info' | 'warn' | 'error' {
  if (debug) return 'debug';
  if (v === undefined) return 'info';
  if (v !== 'debug' && v !== 'info' && v !== 'warn' && v !== 'error') throw new UsageError(`--log-level must be debug, info, warn or error, got '${v}'`, 'use e.g. --log-level info');
  return v;
}
