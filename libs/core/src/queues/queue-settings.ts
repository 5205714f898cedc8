import { InvalidInputError } from '../errors';

export const QUEUE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,127}$/;

export interface BackoffSettings {
  /** Delay before the first retry; doubles each attempt (with jitter). */
  initialMs: number;
  /** Ceiling for the doubled delay. */
  maxMs: number;
}

export interface QueueSettings {
  maxAttempts: number;
  visibilityTimeoutMs: number;
  deadLetterQueue: string | null;
  fifo: boolean;
  retentionMs: number | null;
  backoff: BackoffSettings;
  dedupWindowMs: number;
  /** A message not delivered within this expires (null: never); per message, OutgoingMessage.expiresAt. */
  messageTtlMs: number | null;
  /** Where expired messages go: the dead letters (reason "expired") or nowhere. */
  expiredTo: ExpiredTo;
  /** At most this many messages (ready, delayed and in flight); null: no limit. */
  maxLength: number | null;
  /** At maxLength: refuse the send (QueueFullError, 429) or dead-letter the oldest ready messages. */
  overflow: Overflow;
  /** Largest body plus headers, as JSON text in UTF-8 bytes (MessageTooLargeError, 413). */
  maxMessageBytes: number;
}

export type ExpiredTo = 'deadLetter' | 'drop';
export type Overflow = 'reject' | 'dropOldest';
export const EXPIRED_TO: readonly ExpiredTo[] = ['deadLetter', 'drop'];
export const OVERFLOW: readonly Overflow[] = ['reject', 'dropOldest'];

export interface Queue extends QueueSettings {
  name: string;
  createdAt: Date;
  /** Paused: receives and consumers get nothing; sends still land (pause-queue.ts). */
  paused: boolean;
}

export type QueueOptions = Partial<Omit<QueueSettings, 'backoff'>> & {
  backoff?: Partial<BackoffSettings>;
};

/**
 * How long acked (or published) messages may be kept for replay: 100 years.
 * maintain_archive() computes `now() - retention`, which must stay a
 * timestamp: 9007199254740991 ms (285,000 years) made it fail with
 * "timestamp out of range" for every queue, not only the one that set it.
 */
export const MAX_RETENTION_MS = 100 * 365 * 86_400_000;

/**
 * Every numeric queue setting's bounds, in one place: resolveQueueSettings
 * checks them (library and REST alike) and the REST DTOs declare the same
 * constants. Each fits its column (int or bigint) and the interval
 * arithmetic done with it in SQL.
 */
export const QUEUE_LIMITS = {
  maxAttempts: { min: 1, max: 1000 },
  /** 12 h, as SQS. */
  visibilityTimeoutMs: { min: 1, max: 43_200_000 },
  retentionMs: { min: 1, max: MAX_RETENTION_MS },
  /** backoff.initialMs and backoff.maxMs: up to a day. */
  backoffMs: { min: 0, max: 86_400_000 },
  /** 7 days. */
  dedupWindowMs: { min: 1, max: 604_800_000 },
  /** Up to 100 years, as retentionMs. */
  messageTtlMs: { min: 1, max: MAX_RETENTION_MS },
  /**
   * A send counts the queue's rows up to maxLength (an index-only scan), so
   * the limit bounds the cost: ~1M rows is ~50-100 ms per send at the top.
   */
  maxLength: { min: 1, max: 1_000_000 },
  /** 16 MiB; the default is 1 MiB, as SQS's largest message. */
  maxMessageBytes: { min: 1, max: 16 * 1024 * 1024 },
} as const;

/** SQS-like defaults: 30 s visibility, 5 deliveries, 1 s → 5 min backoff. */
export const DEFAULT_QUEUE_SETTINGS: QueueSettings = {
  maxAttempts: 5,
  visibilityTimeoutMs: 30_000,
  deadLetterQueue: null,
  fifo: false,
  retentionMs: null,
  backoff: { initialMs: 1_000, maxMs: 300_000 },
  dedupWindowMs: 300_000,
  messageTtlMs: null,
  expiredTo: 'deadLetter',
  maxLength: null,
  overflow: 'reject',
  maxMessageBytes: 1024 * 1024,
};

export function assertQueueName(name: unknown, field = 'name'): asserts name is string {
  if (typeof name !== 'string' || !QUEUE_NAME.test(name)) {
    throw new InvalidInputError(field, 'must match ^[a-zA-Z0-9][a-zA-Z0-9._-]{0,127}$');
  }
}

function intIn(value: number, field: string, { min, max }: { min: number; max: number }): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidInputError(field, `must be an integer between ${min} and ${max}`);
  }
  return value;
}

function oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) throw new InvalidInputError(field, `must be one of ${allowed.join(', ')}`);
  return value as T;
}

/** Applies defaults and range checks; the result is what the queue row holds. */
export function resolveQueueSettings(options: QueueOptions = {}): QueueSettings {
  const d = DEFAULT_QUEUE_SETTINGS;
  const l = QUEUE_LIMITS;
  const settings: QueueSettings = {
    maxAttempts: intIn(options.maxAttempts ?? d.maxAttempts, 'maxAttempts', l.maxAttempts),
    visibilityTimeoutMs: intIn(
      options.visibilityTimeoutMs ?? d.visibilityTimeoutMs,
      'visibilityTimeoutMs',
      l.visibilityTimeoutMs,
    ),
    deadLetterQueue: options.deadLetterQueue ?? null,
    fifo: options.fifo ?? d.fifo,
    retentionMs: options.retentionMs == null ? null : intIn(options.retentionMs, 'retentionMs', l.retentionMs),
    backoff: {
      initialMs: intIn(options.backoff?.initialMs ?? d.backoff.initialMs, 'backoff.initialMs', l.backoffMs),
      maxMs: intIn(options.backoff?.maxMs ?? d.backoff.maxMs, 'backoff.maxMs', l.backoffMs),
    },
    dedupWindowMs: intIn(options.dedupWindowMs ?? d.dedupWindowMs, 'dedupWindowMs', l.dedupWindowMs),
    messageTtlMs: options.messageTtlMs == null ? null : intIn(options.messageTtlMs, 'messageTtlMs', l.messageTtlMs),
    expiredTo: oneOf(options.expiredTo ?? d.expiredTo, 'expiredTo', EXPIRED_TO),
    maxLength: options.maxLength == null ? null : intIn(options.maxLength, 'maxLength', l.maxLength),
    overflow: oneOf(options.overflow ?? d.overflow, 'overflow', OVERFLOW),
    maxMessageBytes: intIn(options.maxMessageBytes ?? d.maxMessageBytes, 'maxMessageBytes', l.maxMessageBytes),
  };
  if (typeof settings.fifo !== 'boolean') throw new InvalidInputError('fifo', 'must be a boolean');
  if (settings.backoff.maxMs < settings.backoff.initialMs) {
    throw new InvalidInputError('backoff.maxMs', 'must be greater than or equal to backoff.initialMs');
  }
  if (settings.deadLetterQueue !== null) assertQueueName(settings.deadLetterQueue, 'deadLetterQueue');
  return settings;
}

export interface QueueRow {
  name: string;
  max_attempts: number;
  visibility_timeout_ms: number;
  dead_letter_queue: string | null;
  fifo: boolean;
  retention_ms: string | null;
  backoff_initial_ms: number;
  backoff_max_ms: number;
  dedup_window_ms: number;
  created_at: Date;
  paused: boolean;
  message_ttl_ms: string | null;
  expired_to: ExpiredTo;
  max_length: number | null;
  overflow: Overflow;
  max_message_bytes: number;
}

export function queueFromRow(row: QueueRow): Queue {
  return {
    name: row.name,
    maxAttempts: row.max_attempts,
    visibilityTimeoutMs: row.visibility_timeout_ms,
    deadLetterQueue: row.dead_letter_queue,
    fifo: row.fifo,
    retentionMs: row.retention_ms === null ? null : Number(row.retention_ms),
    backoff: { initialMs: row.backoff_initial_ms, maxMs: row.backoff_max_ms },
    dedupWindowMs: row.dedup_window_ms,
    createdAt: row.created_at,
    paused: row.paused,
    messageTtlMs: row.message_ttl_ms === null ? null : Number(row.message_ttl_ms),
    expiredTo: row.expired_to,
    maxLength: row.max_length,
    overflow: row.overflow,
    maxMessageBytes: row.max_message_bytes,
  };
}

export function sameSettings(a: QueueSettings, b: QueueSettings): boolean {
  return (
    a.maxAttempts === b.maxAttempts &&
    a.visibilityTimeoutMs === b.visibilityTimeoutMs &&
    a.deadLetterQueue === b.deadLetterQueue &&
    a.fifo === b.fifo &&
    a.retentionMs === b.retentionMs &&
    a.backoff.initialMs === b.backoff.initialMs &&
    a.backoff.maxMs === b.backoff.maxMs &&
    a.dedupWindowMs === b.dedupWindowMs &&
    a.messageTtlMs === b.messageTtlMs &&
    a.expiredTo === b.expiredTo &&
    a.maxLength === b.maxLength &&
    a.overflow === b.overflow &&
    a.maxMessageBytes === b.maxMessageBytes
  );
}
