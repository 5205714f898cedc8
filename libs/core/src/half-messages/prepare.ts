import { sql } from 'kysely';
import type { Executor } from '../database/database';
import { type SchemaOption, tablesFor } from '../database/tables';
import { InvalidInputError, QueueNotFoundError } from '../errors';
import { type OutgoingMessage, toMessageColumns } from '../messages/message';
import { TopicNotFoundError } from '../topics/topic-settings';
import { type CheckbackAllow, type CheckbackDestinationPolicy, checkbackPolicy } from './checkback-destination';
import { checkTopicMessage, topicTargetRow } from './topic-target';
import { type TransactionTarget, targetColumns, transactionTablesFor } from './transaction';

export interface PrepareOptions extends SchemaOption {
  /** Where the check-back POSTs `{transactionId, queue|topic, headers}`; without it only an in-process checker can answer. */
  checkbackUrl?: string;
  /** Internal destinations checkbackUrl may name (checkback-destination.ts); the rest of the non-public ones are a 400. */
  checkbackAllow?: CheckbackAllow | CheckbackDestinationPolicy;
  /** How long the transaction may stay prepared before the first check-back. Default 60000 (RocketMQ's default). */
  checkAfterMs?: number;
  /** Unanswered check-backs before the transaction expires (is rolled back). Default 15. */
  maxChecks?: number;
  /** A retried prepare with the same key (per queue/topic) returns the same transaction id. */
  dedupKey?: string;
}

export interface PrepareResult {
  transactionId: string;
  /** True when dedupKey matched an earlier prepare (nothing new was stored). */
  duplicate: boolean;
}

export const DEFAULT_CHECK_AFTER_MS = 60_000;
export const DEFAULT_MAX_CHECKS = 15;
const MAX_CHECK_AFTER_MS = 86_400_000;

/**
 * Stores a half message: kept out of the messages table (so no claim can
 * ever see it) until commitTransaction moves it there. One statement; an
 * unknown queue stores nothing (→ 404), and a dedupKey seen before for the
 * same target returns that transaction instead of a new one.
 */
export async function prepareTransaction(
  db: Executor,
  target: TransactionTarget,
  message: OutgoingMessage & { tag?: string },
  options: PrepareOptions = {},
): Promise<PrepareResult> {
  const { kind, name } = targetColumns(target);
  const stored = storedMessage(message);
  if (kind === 'topic') checkTopicMessage(stored);
  else if (stored.tag !== undefined) throw new InvalidInputError('tag', 'is only for messages to a topic');
  const checkAfterMs = options.checkAfterMs ?? DEFAULT_CHECK_AFTER_MS;
  if (!Number.isInteger(checkAfterMs) || checkAfterMs < 0 || checkAfterMs > MAX_CHECK_AFTER_MS) {
    throw new InvalidInputError('checkAfterMs', `must be an integer between 0 and ${MAX_CHECK_AFTER_MS}`);
  }
  const maxChecks = options.maxChecks ?? DEFAULT_MAX_CHECKS;
  if (!Number.isInteger(maxChecks) || maxChecks < 1 || maxChecks > 1000) {
    throw new InvalidInputError('maxChecks', 'must be an integer between 1 and 1000');
  }
  const checkbackUrl = checkUrl(options.checkbackUrl, options.checkbackAllow);
  const dedupKey = options.dedupKey ?? null;
  if (dedupKey !== null && (typeof dedupKey !== 'string' || dedupKey.length === 0 || dedupKey.length > 256)) {
    throw new InvalidInputError('dedupKey', 'must be a string of 1 to 256 characters');
  }
  const t = tablesFor(options.schema);
  const tx = transactionTablesFor(options.schema);
  const targetRow =
    kind === 'queue' ? sql`select name from ${t.queues} where name = ${name}` : topicTargetRow(name, options.schema);
  const { rows } = await sql<{ id: string; duplicate: boolean }>`
    with target as (${targetRow})
    insert into ${tx.transactions} as tr
      (target_kind, target, message, dedup_key, checkback_url, check_after_ms, max_checks, next_check_at)
    select ${kind}, target.name, ${JSON.stringify(stored)}::jsonb, ${dedupKey}, ${checkbackUrl},
           ${checkAfterMs}, ${maxChecks}, now() + ${checkAfterMs} * interval '1 millisecond'
    from target
    on conflict (target_kind, target, dedup_key) where dedup_key is not null
      do update set dedup_key = excluded.dedup_key
    -- xmax is 0 on a freshly inserted row and set on one the conflict updated.
    returning tr.id, (tr.xmax <> 0) as duplicate`.execute(db);
  const row = rows[0];
  if (!row) {
    throw kind === 'queue' ? new QueueNotFoundError(name) : new TopicNotFoundError(name);
  }
  return { transactionId: row.id, duplicate: row.duplicate };
}

/** Validates the message as a send would and keeps only the fields a send takes. */
function storedMessage(message: OutgoingMessage & { tag?: string }): OutgoingMessage & { tag?: string } {
  toMessageColumns(message);
  const { body, headers, delayMs, availableAt, priority, dedupKey, groupKey, tag } = message;
  if (tag !== undefined && (typeof tag !== 'string' || tag.length === 0 || tag.length > 256)) {
    throw new InvalidInputError('tag', 'must be a string of 1 to 256 characters');
  }
  const availableAtText = availableAt instanceof Date ? availableAt.toISOString() : availableAt;
  return { body, headers, delayMs, availableAt: availableAtText, priority, dedupKey, groupKey, tag };
}

function checkUrl(url: unknown, allow: PrepareOptions['checkbackAllow']): string | null {
  if (url === undefined || url === null) return null;
  let parsed: URL;
  try {
    parsed = new URL(String(url));
  } catch {
    throw new InvalidInputError('checkbackUrl', 'must be an absolute http(s) URL');
  }
  if (typeof url !== 'string' || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw new InvalidInputError('checkbackUrl', 'must be an absolute http(s) URL');
  }
  if (url.length > 2048) throw new InvalidInputError('checkbackUrl', 'must be at most 2048 characters');
  // Checked again on the resolved address at every call (call-checkback-url.ts).
  const refusal = checkbackPolicy(allow).literalRefusal(parsed);
  if (refusal) throw new InvalidInputError('checkbackUrl', `is not an allowed destination: ${refusal}`);
  return url;
}
