import { sql } from 'kysely';
import { DEFAULT_SCHEMA } from '../database/tables';
import { InvalidInputError, NotFoundError } from '../errors';
import { type OutgoingMessage, toMessageColumns } from '../messages/message';
import { QUEUE_NAME } from '../queues/queue-settings';
import { cadenceOf } from './cadence';

/** Header on every scheduled message: the tick it was enqueued for (ISO time). */
export const SCHEDULE_TICK_HEADER = 'x-postbox-schedule-tick';
/** Header on every scheduled message: the schedule's name. */
export const SCHEDULE_HEADER = 'x-postbox-schedule';
/** On the one catch-up message of `missed: "once"`: the first tick that was missed (ISO time). */
export const SCHEDULE_MISSED_SINCE_HEADER = 'x-postbox-schedule-missed-since';

export const MISSED_POLICIES = ['skip', 'once'] as const;
export type MissedPolicy = (typeof MISSED_POLICIES)[number];

/** Fixed intervals: at least 100 ms, at most a year. Ticks fall on multiples of everyMs since the epoch. */
export const EVERY_MS = { min: 100, max: 31_536_000_000 } as const;

/** The message sent at each tick (no dedupKey: every tick would be a duplicate of the first). */
export type ScheduledMessage = Omit<OutgoingMessage, 'dedupKey' | 'availableAt'>;

export interface ScheduleInput {
  /** Exactly one of queue or topic. */
  queue?: string;
  topic?: string;
  /** Exactly one of cron (5 to 7 fields, croner syntax) or everyMs. */
  cron?: string;
  everyMs?: number;
  /** IANA time zone the cron expression is read in (DST included); default UTC. */
  timezone?: string;
  message: ScheduledMessage;
  /** After downtime: "skip" resumes at the next tick, "once" enqueues one catch-up message. Default skip. */
  missed?: MissedPolicy;
}

export interface Schedule {
  name: string;
  queue?: string;
  topic?: string;
  cron?: string;
  everyMs?: number;
  timezone: string;
  message: ScheduledMessage;
  missed: MissedPolicy;
  paused: boolean;
  nextAt: Date | null;
  lastAt: Date | null;
  lastError: string | null;
  createdAt: Date;
}

export interface ScheduleRow {
  name: string;
  target_kind: 'queue' | 'topic';
  target: string;
  cron: string | null;
  every_ms: string | null;
  timezone: string;
  message: ScheduledMessage;
  missed: MissedPolicy;
  paused: boolean;
  next_at: Date | null;
  last_at: Date | null;
  last_error: string | null;
  created_at: Date;
}

export class ScheduleNotFoundError extends NotFoundError {
  override name = 'ScheduleNotFoundError';
  constructor(readonly schedule: string) {
    super(`schedule "${schedule}" does not exist`);
  }
}

export function scheduleTables(schema: string = DEFAULT_SCHEMA) {
  return { schedules: sql.table(`${schema}.schedules`), ticks: sql.table(`${schema}.schedule_ticks`) };
}

export function scheduleFromRow(row: ScheduleRow): Schedule {
  return {
    name: row.name,
    ...(row.target_kind === 'queue' ? { queue: row.target } : { topic: row.target }),
    ...(row.cron !== null ? { cron: row.cron } : { everyMs: Number(row.every_ms) }),
    timezone: row.timezone,
    message: row.message,
    missed: row.missed,
    paused: row.paused,
    nextAt: row.next_at,
    lastAt: row.last_at,
    lastError: row.last_error,
    createdAt: row.created_at,
  };
}

export function assertScheduleName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !QUEUE_NAME.test(name)) {
    throw new InvalidInputError('name', `must match ${QUEUE_NAME.source}`);
  }
}

/** The stored form of a checked input: what "same settings" compares. */
export interface ScheduleSettings {
  targetKind: 'queue' | 'topic';
  target: string;
  cron: string | null;
  everyMs: number | null;
  timezone: string;
  message: ScheduledMessage;
  missed: MissedPolicy;
}

/** Checks everything a schedule is made of; errors name the field. */
export function checkScheduleInput(input: ScheduleInput): ScheduleSettings {
  if (typeof input !== 'object' || input === null) throw new InvalidInputError('schedule', 'must be an object');
  if ((input.queue === undefined) === (input.topic === undefined)) {
    throw new InvalidInputError('queue', 'or topic is required (exactly one of them)');
  }
  const field = input.queue !== undefined ? 'queue' : 'topic';
  const target = input.queue ?? input.topic;
  if (typeof target !== 'string' || !QUEUE_NAME.test(target)) {
    throw new InvalidInputError(field, `must match ${QUEUE_NAME.source}`);
  }
  if ((input.cron === undefined) === (input.everyMs === undefined)) {
    throw new InvalidInputError('cron', 'or everyMs is required (exactly one of them)');
  }
  const everyMs = input.everyMs ?? null;
  if (everyMs !== null && (!Number.isInteger(everyMs) || everyMs < EVERY_MS.min || everyMs > EVERY_MS.max)) {
    throw new InvalidInputError('everyMs', `must be an integer between ${EVERY_MS.min} and ${EVERY_MS.max}`);
  }
  const timezone = input.timezone ?? 'UTC';
  if (typeof timezone !== 'string' || timezone.length > 64 || !isTimeZone(timezone)) {
    throw new InvalidInputError('timezone', 'must be an IANA time zone such as "Europe/Berlin" or "UTC"');
  }
  const cron = input.cron ?? null;
  if (cron !== null) {
    if (typeof cron !== 'string' || cron.length < 1 || cron.length > 256) {
      throw new InvalidInputError('cron', 'must be a cron expression of 1 to 256 characters');
    }
    try {
      cadenceOf({ cron, everyMs: null, timezone }).after(new Date());
    } catch (error) {
      throw new InvalidInputError('cron', `is not a valid cron expression: ${(error as Error).message}`);
    }
  }
  const missed = input.missed ?? 'skip';
  if (!MISSED_POLICIES.includes(missed)) {
    throw new InvalidInputError('missed', `must be one of ${MISSED_POLICIES.join(', ')}`);
  }
  return { targetKind: field, target, cron, everyMs, timezone, message: checkMessage(input.message), missed };
}

function checkMessage(message: unknown): ScheduledMessage {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    throw new InvalidInputError('message', 'must be an object ({body, headers?, priority?, delayMs?, groupKey?})');
  }
  const m = message as Record<string, unknown>;
  for (const key of Object.keys(m)) {
    if (!['body', 'headers', 'priority', 'delayMs', 'groupKey'].includes(key)) {
      throw new InvalidInputError(`message.${key}`, 'is not allowed in a scheduled message');
    }
  }
  toMessageColumns(m as unknown as OutgoingMessage, 'message.'); // the send rules, field names prefixed
  const { body, headers, priority, delayMs, groupKey } = m as ScheduledMessage;
  return {
    body: body ?? null,
    ...(headers !== undefined ? { headers } : {}),
    ...(priority !== undefined ? { priority } : {}),
    ...(delayMs !== undefined ? { delayMs } : {}),
    ...(groupKey !== undefined ? { groupKey } : {}),
  };
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
