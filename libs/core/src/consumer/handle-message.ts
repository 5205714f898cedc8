import type { Executor } from '../database/database';
import { describeError } from '../errors';
import { processExactlyOnce } from '../inbox/process-exactly-once';
import { checkBody, isUnrecoverable } from './check-body';
import { type Held, type Outcome, signalOf } from './claim-source';
import type { ConsumeOptions, HandlerContext, MessageHandler } from './consumer-options';
import type { DeliveryEvents } from './delivery-events';

/**
 * The handler's second argument. A class, not an object literal with a
 * getter: the literal made a new getter closure per message, part of the
 * ~935 B handleMessage allocated per message in a lease drain's heap profile.
 */
class LazySignalContext implements HandlerContext {
  readonly #held: Held;
  constructor(held: Held) {
    this.#held = held;
  }
  /** Made on first use (claim-source.ts: most handlers never look). */
  get signal(): AbortSignal {
    return signalOf(this.#held);
  }
}

/**
 * Runs the handler on one message and returns what the claim source must
 * write: an ack, a nack with the error's text, or nothing (exactly-once
 * deliveries ack in their own transaction). Every handler of both modes
 * runs through here, reported to `events` as it starts and ends.
 */
export async function handleMessage(
  db: Executor,
  held: Held,
  handler: MessageHandler,
  {
    exactlyOnce,
    schema,
    onError,
    bodySchema,
  }: Pick<ConsumeOptions, 'exactlyOnce' | 'onError' | 'bodySchema'> & {
    schema?: string;
  },
  events: DeliveryEvents,
): Promise<Outcome | null> {
  events.delivered(held.message);
  let message = held.message;
  try {
    if (bodySchema) message = await checkBody(message, bodySchema);
    if (exactlyOnce) {
      // Inbox row, handler effects and ack commit as one transaction.
      const result = await processExactlyOnce(
        db,
        message,
        exactlyOnce.consumer,
        (trx) => handler(message, { signal: signalOf(held), trx }),
        { schema },
      );
      events.handled(message);
      if (result.acked) events.acked(1);
      return null;
    }
    const result = handler(message, new LazySignalContext(held));
    // A synchronous handler costs no extra promise and microtask.
    if (result !== undefined) await result;
    events.handled(message);
    return { ack: true };
  } catch (error) {
    events.handled(message, error);
    onError?.(error, { queue: message.queue, messageId: message.id });
    return { ack: false, error: describeError(error), deadLetter: isUnrecoverable(error) };
  }
}
