import { sql } from 'kysely';
import type { Executor } from '../database/database';
import { formatReceipt } from '../database/receipt';
import { type SchemaOption, tablesFor } from '../database/tables';
import { InvalidInputError } from '../errors';
import { deadLetterCtes } from './dead-letter';
import type { ReceivedMessage } from './message';

export interface ClaimOptions extends SchemaOption {
  /** Lease length for this claim; default is the queue's visibilityTimeoutMs. */
  visibilityTimeoutMs?: number;
}

interface ClaimedRow {
  id: string;
  lease_token: string;
  body: unknown;
  headers: Record<string, string> | null;
  attempts: number;
  enqueued_at: Date;
  group_key: string | null;
  priority: number;
  available_at: Date;
}

/**
 * Claims up to `max` ready messages in one statement: the candidates are
 * picked straight off messages_claim_idx with FOR UPDATE SKIP LOCKED (so
 * competing consumers never wait on, or get, each other's rows), then leased
 * by moving available_at forward and drawing a fresh lease token.
 *
 * A candidate whose previous delivery was its last (attempts = maxAttempts,
 * lease expired without ack or nack: the consumer died) is dead-lettered in
 * the same statement instead of being delivered again.
 *
 * FIFO queues only consider the head (lowest id) of each message group, so a
 * group has at most one message in flight and is delivered in send order;
 * the head of a busy group is skipped and other groups go on.
 */
export async function claim(
  db: Executor,
  queue: string,
  max: number,
  options: ClaimOptions = {},
): Promise<ReceivedMessage[]> {
  if (!Number.isInteger(max) || max < 1 || max > 1000) {
    throw new InvalidInputError('max', 'must be an integer between 1 and 1000');
  }
  const vt = options.visibilityTimeoutMs;
  if (vt !== undefined && (!Number.isInteger(vt) || vt < 1 || vt > 43_200_000)) {
    throw new InvalidInputError('visibilityTimeoutMs', 'must be an integer between 1 and 43200000');
  }
  const t = tablesFor(options.schema);
  // The candidate scan lives in a SQL function (migration 000004) so that it can
  // pin the ordered index scan; see there for why and what it measured.
  const candidates = sql.id(t.schema, 'claim_candidates');
  const { rows } = await sql<ClaimedRow>`
    with q as (
      select fifo, max_attempts, dead_letter_queue,
             coalesce(${vt ?? null}::int, visibility_timeout_ms) as vt
      from ${t.queues} where name = ${queue}
    ),
    candidates as (
      select c.id, c.attempts
      from ${candidates}(${queue}, ${max}::int, coalesce((select fifo from q), false)) c
    ),
    claimed as (
      update ${t.messages} m
      set attempts = m.attempts + 1,
          available_at = now() + q.vt * interval '1 millisecond',
          lease_token = (random() * 9007199254740991)::bigint
      from candidates c, q
      where m.id = c.id and c.attempts < q.max_attempts
      returning m.id, m.lease_token, m.body, m.headers, m.attempts, m.enqueued_at, m.group_key,
                m.priority, m.available_at
    ),
    exhausted as (
      delete from ${t.messages} m using candidates c, q
      where m.id = c.id and c.attempts >= q.max_attempts
      returning m.*
    ),
    ${deadLetterCtes(t, 'visibility timeout expired on the final attempt')}
    select * from claimed order by priority, id`.execute(db);
  return rows.map((row) => ({
    id: String(row.id),
    receipt: formatReceipt(String(row.id), String(row.lease_token)),
    queue,
    body: row.body,
    headers: row.headers ?? {},
    attempts: row.attempts,
    enqueuedAt: row.enqueued_at,
    groupKey: row.group_key,
    priority: row.priority,
    leaseExpiresAt: row.available_at,
  }));
}
