import { sql } from 'kysely';
import type { Executor } from '../database/database';
import { bigintArray, type Delivery, type ParsedReceipt, parseReceipt } from '../database/receipt';
import { type SchemaOption, tablesFor } from '../database/tables';
import { InvalidInputError } from '../errors';
import { deliveryKey } from './ack';
import { deadLetter } from './dead-letter';
import { MAX_DELAY_MS } from './message';

export interface NackItem {
  receipt: string;
  /** Recorded as the message's last error (and kept on the dead letter). */
  error?: string | null;
  /** Retry after exactly this long instead of the queue's backoff. */
  delayMs?: number | null;
  /** Dead-letter now, whatever attempts are left (a handler's UnrecoverableError). */
  deadLetter?: boolean;
}

export interface NackResult {
  retried: number;
  deadLettered: number;
  stale: string[];
}

const MAX_ERROR_LENGTH = 10_000;

/**
 * Returns a batch of deliveries to the queue, one statement. A message with
 * attempts left becomes visible again after the queue's exponential backoff
 * (the retry_delay_ms SQL function, migrations/functions/45-nack.sql); a
 * message on its final attempt is dead-lettered with its error (the
 * dead_letter SQL function). psql's nack_messages() is the same statement;
 * test/conformance runs each branch through both.
 */
export async function nack(
  db: Executor,
  queue: string,
  items: readonly NackItem[],
  { schema }: SchemaOption = {},
): Promise<NackResult> {
  if (items.length === 0) return { retried: 0, deadLettered: 0, stale: [] };
  const parsed = items.map((item, i) => parseReceipt(item.receipt, `receipts[${i}]`));
  items.forEach((item, i) => {
    const d = item.delayMs;
    if (d != null && (!Number.isInteger(d) || d < 0 || d > MAX_DELAY_MS)) {
      throw new InvalidInputError(
        items.length === 1 ? 'delayMs' : `items[${i}].delayMs`,
        `must be an integer between 0 and ${MAX_DELAY_MS}`,
      );
    }
  });
  const rows = await nackDeliveries(
    db,
    queue,
    items.map((item, i) => ({
      ...(parsed[i] as ParsedReceipt),
      error: item.error,
      delayMs: item.delayMs,
      deadLetter: item.deadLetter,
    })),
    { schema },
  );
  const touched = new Set(rows.map((r) => deliveryKey(r.id, r.token as string)));
  return {
    retried: rows.filter((r) => r.outcome === 'retried').length,
    deadLettered: rows.filter((r) => r.outcome === 'dead').length,
    stale: items
      .filter((_, i) => !touched.has(deliveryKey(parsed[i]?.id as string, parsed[i]?.token as string)))
      .map((i) => i.receipt),
  };
}

export interface FailedDelivery extends Delivery {
  error?: string | null;
  delayMs?: number | null;
  deadLetter?: boolean;
}

/**
 * The nack statement over validated deliveries. With `heldLock` the caller's
 * transaction holds the rows (lock mode, messages/claim-locked.ts): claiming
 * them counted no attempt, so this delivery's failure is counted here
 * (attempts + 1) and the retry/dead-letter decision uses that count.
 */
export async function nackDeliveries(
  db: Executor,
  queue: string,
  items: readonly FailedDelivery[],
  { schema, heldLock = false }: SchemaOption & { heldLock?: boolean } = {},
): Promise<{ id: string; token: string | null; outcome: 'retried' | 'dead' }[]> {
  const { rows } = await nackStatement(queue, items, { schema, heldLock }).execute(db);
  return rows;
}

/** @internal The nack statement (exported for the plan test). */
export function nackStatement(
  queue: string,
  items: readonly FailedDelivery[],
  // Stryker disable next-line BooleanLiteral: nackDeliveries always passes heldLock; only the plan test relies on this default
  { schema, heldLock = false }: SchemaOption & { heldLock?: boolean } = {},
) {
  const t = tablesFor(schema);
  const counted = heldLock ? 1 : 0;
  // Every read of messages probes the primary key per receipt, whatever the
  // statistics say (see matchesDelivery in database/receipt.ts).
  const ids = bigintArray(items.map((r) => r.id));
  return sql<{ id: string; token: string | null; outcome: 'retried' | 'dead' }>`
    with q as (
      select max_attempts, backoff_initial_ms, backoff_max_ms
      from ${t.queues} where name = ${queue}
    ),
    input as (
      select * from unnest(
        ${ids},
        ${bigintArray(items.map((r) => r.token))},
        ${items.map((i) => (i.error == null ? null : String(i.error).slice(0, MAX_ERROR_LENGTH)))}::text[],
        ${items.map((i) => i.delayMs ?? null)}::bigint[],
        ${items.map((i) => i.deadLetter === true)}::boolean[]
      ) as r(id, token, error, delay_ms, dead_now)
    ),
    target as (
      -- (a lock-mode delivery of a row whose final lease already ran out is
      -- not counted again: it dies with the attempts it had)
      select m.id, i.token, i.error, i.delay_ms, i.dead_now,
             m.attempts + case when m.attempts < q.max_attempts then ${counted}::int else 0 end as attempts,
             ${counted}::int = 1 and m.attempts >= q.max_attempts as lease_expired
      from ${t.messages} m
      join input i on m.id = i.id and m.lease_token is not distinct from i.token
      cross join q
      where m.id = any(${ids}) and m.queue = ${queue}
      for update of m
    ),
    retried as (
      update ${t.messages} m
      set lease_token = null,
          attempts = x.attempts,
          last_error = coalesce(x.error, m.last_error),
          -- statement_timestamp(): a lock-mode batch's transaction began
          -- before its handlers ran, and the backoff counts from the failure.
          available_at = statement_timestamp() + interval '1 millisecond' * coalesce(
            x.delay_ms, ${sql.id(t.schema, 'retry_delay_ms')}(x.attempts, q.backoff_initial_ms, q.backoff_max_ms))
      from target x, q
      where m.id = any(${ids}) and m.id = x.id and x.attempts < q.max_attempts and not x.dead_now
      returning m.id, x.token
    ),
    exhausted as (
      delete from ${t.messages} m using target x, q
      where m.id = any(${ids}) and m.id = x.id and (x.attempts >= q.max_attempts or x.dead_now)
      returning m.id, x.token, ${deadLetter(t, sql`m`, sql`x.attempts`, sql`x.error`, sql`x.lease_expired`)} as dead_letter_queue
    )
    select id, token, 'retried' as outcome from retried
    union all
    select id, token, 'dead' as outcome from exhausted`;
}
