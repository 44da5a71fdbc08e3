/** Non-fatal findings of the config readers: shown at startup, never silent. */

/** One warning with the place it concerns and what to do about it. */
export interface ConfigWarning {
  file: string;
  /** 1-based line, when the warning is about one line. */
  line?: number;
  message: string;
  /** What the user can do. */
  hint?: string;
}

/** `file:line: message (hint)` for logs and the CLI. */
export function formatWarning(w: ConfigWarning): string {
  const at = w.line !== undefined ? `${w.file}:${w.line}` : w.file;
  return `${at}: ${w.message}${w.hint ? ` (${w.hint})` : ''}`;
}
