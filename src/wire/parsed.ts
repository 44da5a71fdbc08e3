/**
 * The result type of every parser (STYLE.md §5): parsers never throw on
 * network input, they return `{ ok: false, error }`.
 */

/** Why bytes did not parse. `offset` is where in the input the problem is. */
export interface WireError {
  code: 'TRUNCATED' | 'BAD_LENGTH' | 'BAD_VALUE' | 'UNSUPPORTED';
  offset: number;
  field?: string;
}

/** A parse result: the value and how many bytes it took, or the error. */
export type Parsed<T> = { ok: true; value: T; bytesRead: number } | { ok: false; error: WireError };

/** Builds a successful result. */
export function ok<T>(value: T, bytesRead: number): Parsed<T> {
  return { ok: true, value, bytesRead };
}

/** Builds a failed result. */
export function fail<T = never>(code: WireError['code'], offset: number, field?: string): Parsed<T> {
  return field === undefined ? { ok: false, error: { code, offset } } : { ok: false, error: { code, offset, field } };
}
