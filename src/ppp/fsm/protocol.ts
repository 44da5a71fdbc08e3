/**
 * Base for network and compression control protocols (IPCP, IPV6CP, CCP):
 * one `Fsm` driven with the protocol itself as its NegotiationHandler,
 * plus a way for callbacks to give up ("close with this reason") without
 * re-entering the automaton from inside a callback.
 */
import type { Millis } from '../../core/machine.js';
import { Fsm, type CiResult, type FsmOptions, type FsmOutput, type NegotiationHandler, type ReqciResult } from './fsm.js';

/** Outputs of a control protocol: the automaton's plus protocol events `E`. */
export type CpOutput<E> = FsmOutput | { kind: 'event'; event: E };

/** A control protocol built on the generic automaton. */
export abstract class ControlProtocol<E> implements NegotiationHandler {
  readonly fsm: Fsm;
  /** Outputs of the call in progress (callbacks push protocol events here). */
  protected out: CpOutput<E>[] = [];
  /** Set by a callback that gives up; applied as Close after the automaton returns. */
  protected pendingClose: string | undefined;

  constructor(protocol: number, fsmOptions: Partial<FsmOptions> | undefined) {
    this.fsm = new Fsm(protocol, this, fsmOptions);
  }

  /** Restart-timer deadline. */
  nextDeadline(): Millis | undefined {
    return this.fsm.nextDeadline();
  }

  /** Lower layer up. */
  lowerUp(now: Millis, out: CpOutput<E>[]): void { this.run(now, out, (o) => this.fsm.lowerUp(now, o)); }
  /** Lower layer down. */
  lowerDown(now: Millis, out: CpOutput<E>[]): void { this.run(now, out, (o) => this.fsm.lowerDown(now, o)); }
  /** Administrative Open. */
  open(now: Millis, out: CpOutput<E>[]): void { this.run(now, out, (o) => this.fsm.open(now, o)); }
  /** Administrative Close. */
  close(reason: string, now: Millis, out: CpOutput<E>[]): void { this.run(now, out, (o) => this.fsm.close(reason, now, o)); }
  /** Restart timer. */
  timeout(now: Millis, out: CpOutput<E>[]): void { this.run(now, out, (o) => this.fsm.timeout(now, o)); }
  /** A received packet of this protocol. */
  receive(bytes: Uint8Array, now: Millis, out: CpOutput<E>[]): void { this.run(now, out, (o) => this.fsm.receive(bytes, now, o)); }

  private run(now: Millis, out: CpOutput<E>[], fn: (o: FsmOutput[]) => void): void {
    const prev = this.out;
    this.out = out;
    try {
      fn(out as FsmOutput[]);
      if (this.pendingClose !== undefined) {
        const reason = this.pendingClose;
        this.pendingClose = undefined;
        this.fsm.close(reason, now, out as FsmOutput[]);
      }
    } finally {
      this.out = prev;
    }
  }

  /** Pushes a protocol event into the current call's outputs. */
  protected emit(event: E): void {
    this.out.push({ kind: 'event', event });
  }

  abstract resetci(): void;
  abstract addci(): Uint8Array;
  abstract ackci(options: Uint8Array): boolean;
  abstract nakci(options: Uint8Array): CiResult;
  abstract rejci(options: Uint8Array): CiResult;
  abstract reqci(options: Uint8Array, rejectIfDisagree: boolean): ReqciResult;
  abstract up(): void;
  abstract down(): void;
  starting(): void {}
  finished(): void {}
}
