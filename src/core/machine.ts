/**
 * The shape every sans-I/O protocol machine shares (STYLE.md §2): input and
 * the time in, outputs out, and the next deadline for the driver to call back.
 */

/** Monotonic milliseconds, supplied by the driver (io/clock.ts). */
export type Millis = number;

/** One result of handling an input. `E` is the machine's event type, `R` its drop reason. */
export type Output<E = unknown, R extends string = string> =
  | { kind: 'send'; proto: number; bytes: Uint8Array }
  | { kind: 'event'; event: E }
  | { kind: 'drop'; reason: R; detail?: string };

/** A protocol machine: pure, driven by `handle` and `nextDeadline`. */
export interface Machine<In, E = unknown, R extends string = string> {
  /** Handles one packet, timeout or local command at time `now`. */
  handle(input: In, now: Millis): Output<E, R>[];
  /** When the driver must call back with a timeout input, if ever. */
  nextDeadline(): Millis | undefined;
}
