import type { ReceivedMessage } from '../messages/message';
import type { DeliveryEvents } from './delivery-events';

/** A claimed message in the consumer's hands, buffered or running. */
export interface Held {
  message: ReceivedMessage;
  /** Local clock: when the lease ends unless extended (lock mode: never). */
  leaseEndsAt: number;
  /**
   * Created on first use of the handler's `signal` (or to abort it): one
   * AbortController per message cost ~5% of the process's CPU in a 30k msg/s
   * drain, and most handlers never look at the signal.
   */
  controller?: AbortController;
}

/** A handler's result, for the source to write back. */
export type Outcome = { ack: true } | { ack: false; error: string | null; deadLetter?: boolean };

/** What a claim source may ask of the run loop that owns it. */
export interface SourceContext {
  readonly queue: string;
  readonly schema?: string;
  readonly events: DeliveryEvents;
  /** draining or stopped: claim nothing more. */
  stopping(): boolean;
  /** Every message in hand (buffered, running): what lease extensions cover. */
  held(): Iterable<Held>;
  /** Room may have opened up for another claim. */
  wake(): void;
  report(error: unknown, messageId?: string): void;
}

/**
 * The seam between the run loop (consumer.ts: buffer, concurrency, handlers,
 * state) and how a claim holds its messages: a lease written on the row
 * (lease-claims.ts) or a row lock of an open transaction (lock-claims.ts).
 */
export interface ClaimSource {
  /** Messages to claim now with `inFlight` in hand; 0: not now. */
  want(inFlight: number): number;
  /**
   * Claims up to `want`. `full`: the claim took all it asked for, so more is
   * probably waiting. Throws when the database is unreachable.
   */
  claim(want: number): Promise<{ held: Held[]; full: boolean }>;
  /** A handler slot is free and nothing is ready to start (the claims are behind). */
  starved?(): void;
  /** A handler finished (whatever its outcome, exactly-once included). */
  finished?(): void;
  /** A handler finished: ack or nack it (batched; reported to events when written). */
  settle(held: Held, outcome: Outcome): void;
  /** Claimed messages no handler started, given back (stop, or claimed while stopping). */
  release(held: Held[]): Promise<void>;
  /** stop() timed out on this running handler: leave it to the queue, write no outcome for it. */
  abandon(held: Held): void;
  /** After every handler has finished or been abandoned: write what is pending, end every transaction and timer. */
  drain(deadline: number): Promise<void>;
}

export function signalOf(held: Held): AbortSignal {
  held.controller ??= new AbortController();
  return held.controller.signal;
}

/** Aborts the handler's signal, including one it has not asked for yet (its getter then returns it aborted). */
export function abort(held: Held, reason: Error): void {
  held.controller ??= new AbortController();
  held.controller.abort(reason);
}
