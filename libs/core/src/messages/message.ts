import { InvalidInputError } from '../errors';
import { assertPostgresJson, assertPostgresText } from './postgres-text';

/** What a producer sends. */
/**
 * T as written by the caller, never inferred from the argument: `send(q, m)`
 * takes any JSON, `send<Order>(q, m)` checks m's body against Order (and a
 * batch of mixed bodies is not refused for lacking a common type). NoInfer's
 * effect without needing TypeScript 5.4.
 */
export type ExplicitBody<T> = [T][T extends unknown ? 0 : never];

export interface OutgoingMessage<T = unknown> {
  body: T;
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
  /**
   * Never delivered after this time: it then goes to the dead letters with
   * reason "expired", or is dropped (the queue's expiredTo). Overrides the
   * queue's messageTtlMs.
   */
  expiresAt?: Date | string;
}

/** What a consumer receives. */
export interface ReceivedMessage<T = unknown> {
  id: string;
  receipt: string;
  queue: string;
  body: T;
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

/**
 * Times the API takes (availableAt, replay's from): four-digit years.
 * Postgres timestamptz holds 4713 BC to 294276 AD, JavaScript dates ±275760
 * years: outside the first, the statement fails instead of the check.
 */
export const TIME_RANGE = {
  min: -62_135_596_800_000, // 0001-01-01T00:00:00Z
  max: Date.UTC(9999, 11, 31, 23, 59, 59, 999),
} as const;

/**
 * The bounds of every send option, in one place: the core checks them and
 * the REST DTOs declare the same constants. priority is a Postgres int.
 */
export const MESSAGE_LIMITS = {
  priority: { min: -(2 ** 31), max: 2 ** 31 - 1 },
  delayMs: { min: 0, max: MAX_DELAY_MS },
  /** dedupKey, groupKey and topic tags: characters. */
  keyLength: { min: 1, max: 256 },
  availableAt: TIME_RANGE,
  expiresAt: TIME_RANGE,
} as const;

function checkKey(value: unknown, field: string): string | null {
  if (value === undefined || value === null) return null;
  const { min, max } = MESSAGE_LIMITS.keyLength;
  if (typeof value !== 'string' || value.length < min || value.length > max) {
    throw new InvalidInputError(field, `must be a string of ${min} to ${max} characters`);
  }
  assertPostgresText(value, field);
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
  expiresAt: string | null;
  /** body + headers as the JSON text sent, in UTF-8 bytes: what maxMessageBytes limits (40-send.sql). */
  bytes: number;
}

/** A time the API takes (availableAt, expiresAt) as ISO-8601, or null when absent. */
function checkTime(value: Date | string | undefined | null, field: string): string | null {
  if (value === undefined || value === null) return null;
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) throw new InvalidInputError(field, 'must be an ISO-8601 time');
  const time = date.getTime();
  if (time < TIME_RANGE.min || time > TIME_RANGE.max) {
    throw new InvalidInputError(field, 'must be a time between years 0001 and 9999');
  }
  return date.toISOString();
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
    assertPostgresJson(headers, `${prefix}headers`);
  }
  const priority = message.priority ?? 0;
  const p = MESSAGE_LIMITS.priority;
  if (!Number.isInteger(priority) || priority < p.min || priority > p.max) {
    throw new InvalidInputError(`${prefix}priority`, 'must be a 32-bit integer');
  }
  const delayMs = message.delayMs ?? 0;
  const d = MESSAGE_LIMITS.delayMs;
  if (!Number.isInteger(delayMs) || delayMs < d.min || delayMs > d.max) {
    throw new InvalidInputError(`${prefix}delayMs`, `must be an integer between ${d.min} and ${d.max}`);
  }
  let availableAt: string | null = null;
  if (message.availableAt !== undefined && message.availableAt !== null) {
    if (message.delayMs !== undefined) {
      throw new InvalidInputError(`${prefix}availableAt`, 'cannot be combined with delayMs');
    }
    availableAt = checkTime(message.availableAt, `${prefix}availableAt`);
  }
  let body: string;
  try {
    body = JSON.stringify(message.body);
  } catch {
    throw new InvalidInputError(`${prefix}body`, 'must be JSON-serializable');
  }
  // A function or a symbol serializes to undefined: there is nothing to store.
  if (body === undefined) throw new InvalidInputError(`${prefix}body`, 'must be JSON-serializable');
  assertPostgresJson(body, `${prefix}body`);
  return {
    body,
    headers,
    priority,
    delayMs,
    availableAt,
    dedupKey: checkKey(message.dedupKey, `${prefix}dedupKey`),
    groupKey: checkKey(message.groupKey, `${prefix}groupKey`),
    expiresAt: checkTime(message.expiresAt, `${prefix}expiresAt`),
    bytes: Buffer.byteLength(body) + (headers === null ? 0 : Buffer.byteLength(headers)),
  };
}
