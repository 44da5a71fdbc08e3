/**
 * Errors we throw. Network input never throws (parsers return `Parsed`, machines
 * emit `drop` outputs); these are for misuse of our own API, bad configuration
 * or command-line input at startup, and fatal I/O. Every error has a stable
 * `code`; check with `instanceof` or `code`, never by sniffing fields.
 */

/** Base class of every error tunppp throws on purpose. */
export class VpnError extends Error {
  /** Stable machine-readable code, e.g. `'CONFIG_SYNTAX'`, `'TUN_OPEN'`. */
  readonly code: string;
  /** What the user can do about it, printed after the message. */
  readonly hint: string | undefined;
  constructor(code: string, message: string, hint?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.hint = hint;
  }
}

/** A bug: our own API was used the wrong way. */
export class LocalUsageError extends VpnError {
  constructor(message: string) {
    super('LOCAL_USAGE', message);
  }
}

/** Bad configuration, with the file and line it came from. */
export class ConfigError extends VpnError {
  readonly file: string | undefined;
  readonly line: number | undefined;
  constructor(code: string, message: string, where?: { file?: string; line?: number }, hint?: string) {
    const at = where?.file ? `${where.file}${where.line ? `:${where.line}` : ''}: ` : '';
    super(code, at + message, hint);
    this.file = where?.file;
    this.line = where?.line;
  }
}

/** Bad command-line arguments or input files (exit code 2). */
export class UsageError extends VpnError {
  constructor(message: string, hint?: string) {
    super('USAGE', message, hint);
  }
}

/** Fatal I/O: a socket, device or file we cannot do without. */
export class IoError extends VpnError {}
