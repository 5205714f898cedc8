import { InvalidInputError } from '../errors';

/** What a producer sends. */
export interface OutgoingMessage {
  body: unknown;
  headers?: Record<string, string>;
  /** Invisible for this long after the send (the SQS DelaySeconds). */
  delayMs?: number;
  /** Invisible until this time; mutually exclusive with delayMs. */
  availableAt?: Date | string;
  /** Lower is delivered first (Beanstalkd order); default 0. */
  priority?: number;
  /** A second send with the same key within the queue's dedup window returns the first id. */
  dedupKey?: string;
  /** FIFO queues: at most one in-flight message per group, in send order. */
  groupKey?: string;
}

/** What a consumer receives. */
export interface ReceivedMessage {
  id: string;
  receipt: string;
  queue: string;
  body: unknown;
  headers: Record<string, string>;
  /** Deliveries so far, this one included. */
  attempts: number;
  enqueuedAt: Date;
  groupKey: string | null;
  priority: number;
  /** When this delivery's lease ends unless extended. */
  leaseExpiresAt: Date;
}

export const MAX_DELAY_MS = 365 * 24 * 3600 * 1000;
const PG_INT = 2 ** 31;
const KEY_MAX = 256;

function checkKey(value: unknown, field: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.length === 0 || value.length > KEY_MAX) {
    throw new InvalidInputError(field, `must be a string of 1 to ${KEY_MAX} characters`);
  }
  return value;
}

/** Column values for one message, checked; field names in errors are prefixed. */
export interface MessageColumns {
  body: string;
  headers: string | null;
  priority: number;
  delayMs: number;
  availableAt: string | null;
  dedupKey: string | null;
  groupKey: string | null;
}

export function toMessageColumns(message: OutgoingMessage, prefix = ''): MessageColumns {
  if (message === null || typeof message !== 'object') {
    throw new InvalidInputError(prefix || 'message', 'must be an object');
  }
  if (message.body === undefined) throw new InvalidInputError(`${prefix}body`, 'is required');
  let headers: string | null = null;
  if (message.headers !== undefined && message.headers !== null) {
    if (typeof message.headers !== 'object' || Array.isArray(message.headers)) {
      throw new InvalidInputError(`${prefix}headers`, 'must be an object of string values');
    }
    for (const [key, value] of Object.entries(message.headers)) {
      if (typeof value !== 'string') throw new InvalidInputError(`${prefix}headers.${key}`, 'must be a string');
    }
    headers = JSON.stringify(message.headers);
  }
  const priority = message.priority ?? 0;
  if (!Number.isInteger(priority) || priority < -PG_INT || priority >= PG_INT) {
    throw new InvalidInputError(`${prefix}priority`, 'must be a 32-bit integer');
  }
  const delayMs = message.delayMs ?? 0;
  if (!Number.isInteger(delayMs) || delayMs < 0 || delayMs > MAX_DELAY_MS) {
    throw new InvalidInputError(`${prefix}delayMs`, `must be an integer between 0 and ${MAX_DELAY_MS}`);
  }
  let availableAt: string | null = null;
  if (message.availableAt !== undefined && message.availableAt !== null) {
    if (message.delayMs !== undefined) {
      throw new InvalidInputError(`${prefix}availableAt`, 'cannot be combined with delayMs');
    }
    const date = message.availableAt instanceof Date ? message.availableAt : new Date(message.availableAt);
    if (Number.isNaN(date.getTime())) throw new InvalidInputError(`${prefix}availableAt`, 'must be an ISO-8601 time');
    availableAt = date.toISOString();
  }
  let body: string;
  try {
    body = JSON.stringify(message.body);
  } catch {
    throw new InvalidInputError(`${prefix}body`, 'must be JSON-serializable');
  }
  return {
    body,
    headers,
    priority,
    delayMs,
    availableAt,
    dedupKey: checkKey(message.dedupKey, `${prefix}dedupKey`),
    groupKey: checkKey(message.groupKey, `${prefix}groupKey`),
  };
}
