import type { SchemaOption } from '../database/tables';
import { InvalidInputError } from '../errors';
import { TIME_RANGE } from '../messages/message';
import type { Wakeup } from '../wakeups/wakeup';

/** Set to "true" on every message re-delivered by a replay (of a queue or a topic group). */
export const REPLAY_HEADER = 'x-postbox-replay';
/** On a replayed queue message: the id the message had when it was first delivered. */
export const REPLAY_OF_HEADER = 'x-postbox-replay-of';

export interface ReplayOptions {
  /** Re-deliver every retained message published (topics) or enqueued (queues) at or after this time. */
  from: Date | string;
}

export interface ReplayCallOptions extends SchemaOption {
  wakeup?: Wakeup;
}

export function checkReplayFrom(from: unknown, field = 'from'): Date {
  const date = from instanceof Date ? from : typeof from === 'string' ? new Date(from) : new Date(Number.NaN);
  if (from === undefined || from === null || Number.isNaN(date.getTime())) {
    throw new InvalidInputError(field, 'must be an ISO-8601 time');
  }
  if (date.getTime() < TIME_RANGE.min || date.getTime() > TIME_RANGE.max) {
    throw new InvalidInputError(field, 'must be a time between years 0001 and 9999');
  }
  return date;
}
