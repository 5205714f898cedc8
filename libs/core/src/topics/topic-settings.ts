import { InvalidInputError, NotFoundError } from '../errors';
import { MESSAGE_LIMITS, type OutgoingMessage } from '../messages/message';
import { assertPostgresText } from '../messages/postgres-text';
import { MAX_RETENTION_MS, QUEUE_NAME } from '../queues/queue-settings';

/** Headers Postbox adds to every group's copy of a published message. */
export const TOPIC_HEADER = 'x-postbox-topic';
export const TOPIC_MESSAGE_ID_HEADER = 'x-postbox-topic-message-id';
export const TAG_HEADER = 'x-postbox-tag';
// Replays are an archive feature (queues have them too): archive/replay-settings.ts.
export { checkReplayFrom, REPLAY_HEADER, REPLAY_OF_HEADER } from '../archive/replay-settings';

export interface Topic {
  name: string;
  /** How long published messages stay replayable; null = not archived. */
  retentionMs: number | null;
  createdAt: Date;
}

export interface TopicOptions {
  retentionMs?: number | null;
}

/** What a publisher sends: a queue message plus an optional RocketMQ-style tag. */
export interface PublishedMessage extends Omit<OutgoingMessage, 'dedupKey'> {
  tag?: string;
}

export interface TopicRow {
  name: string;
  retention_ms: string | null;
  created_at: Date;
}

export class TopicNotFoundError extends NotFoundError {
  override name = 'TopicNotFoundError';
  constructor(readonly topic: string) {
    super(`topic "${topic}" does not exist`);
  }
}

export class SubscriptionNotFoundError extends NotFoundError {
  override name = 'SubscriptionNotFoundError';
  constructor(
    readonly topic: string,
    readonly group: string,
  ) {
    super(`subscription "${group}" of topic "${topic}" does not exist`);
  }
}

export function assertTopicName(name: unknown, field = 'name'): asserts name is string {
  if (typeof name !== 'string' || !QUEUE_NAME.test(name)) {
    throw new InvalidInputError(field, 'must match ^[a-zA-Z0-9][a-zA-Z0-9._-]{0,127}$');
  }
}

export function resolveRetentionMs(value: unknown, field = 'retentionMs'): number | null {
  if (value === undefined || value === null) return null;
  // The same bound as a queue's: maintain_archive() subtracts the longest retention from now().
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_RETENTION_MS) {
    throw new InvalidInputError(field, `must be an integer between 1 and ${MAX_RETENTION_MS}`);
  }
  return value;
}

const TAG_MAX = MESSAGE_LIMITS.keyLength.max;

export function checkTag(value: unknown, field: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.length === 0 || value.length > TAG_MAX) {
    throw new InvalidInputError(field, `must be a string of 1 to ${TAG_MAX} characters`);
  }
  assertPostgresText(value, field);
  return value;
}

/**
 * A subscription's tag filter: null receives everything (so does RocketMQ's
 * "*"); otherwise the exact tags it wants, deduplicated.
 */
export function resolveTagFilter(tags: unknown, field = 'tags'): string[] | null {
  if (tags === undefined || tags === null) return null;
  const list = typeof tags === 'string' ? [tags] : tags;
  if (!Array.isArray(list) || list.length === 0 || list.length > 100) {
    throw new InvalidInputError(field, 'must be a tag or a list of 1 to 100 tags');
  }
  const checked = list.map((tag, i) => checkTag(tag, `${field}[${i}]`) as string);
  if (checked.includes('*')) return null;
  return [...new Set(checked)].sort();
}

export function topicFromRow(row: TopicRow): Topic {
  return {
    name: row.name,
    retentionMs: row.retention_ms === null ? null : Number(row.retention_ms),
    createdAt: row.created_at,
  };
}
