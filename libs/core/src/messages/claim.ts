import { sql } from 'kysely';
import type { Executor } from '../database/database';
import { formatReceipt } from '../database/receipt';
import { type SchemaOption, tablesFor } from '../database/tables';
import { InvalidInputError } from '../errors';
import type { ReceivedMessage } from './message';

export interface ClaimOptions extends SchemaOption {
  /** Lease length for this claim; default is the queue's visibilityTimeoutMs. */
  visibilityTimeoutMs?: number;
  /** Count the delivery as an attempt now (default; every caller does, the consumer included). */
  countAttempt?: boolean;
}

interface ClaimedRow {
  id: string;
  lease_token: string;
  body: unknown;
  headers: Record<string, string> | null;
  attempts: number;
  enqueued_at_ms: number;
  group_key: string | null;
  priority: number;
  available_at_ms: number;
}

/**
 * Claims up to `max` ready messages in one statement: the candidates are
 * picked straight off messages_claim_idx with FOR UPDATE SKIP LOCKED (so
 * competing consumers never wait on, or get, each other's rows), then leased
 * by setting leased_until (an unindexed column: the UPDATE is HOT) and
 * drawing a fresh lease token.
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
  // The statement lives in the claim_messages SQL function
  // (migrations/functions/30-claim.sql), which psql's receive() runs too: its
  // plan is cached per connection and pinned to the ordered index scan; see
  // there for what that measured.
  const claimMessages = sql.id(t.schema, 'claim_messages');
  // id and lease_token come back as text: pg's int8 parser runs a regex per
  // value (220 B of garbage per message in a lease drain's heap profile).
  // Timestamps come back as epoch milliseconds: pg parses a timestamptz text
  // with a regex (postgres-date), 2.1% of a default consumer's CPU in a
  // 40,000-message drain profile for the two per message, against a
  // parseFloat for a number (as lock_messages, 31-lock.sql).
  const { rows } = await sql<ClaimedRow>`
    select id::text, lease_token::text, body, headers, attempts, group_key, priority,
           extract(epoch from enqueued_at)::float8 * 1000 as enqueued_at_ms,
           extract(epoch from available_at)::float8 * 1000 as available_at_ms
    from ${claimMessages}(${queue}, ${max}::int, ${vt ?? null}::int, ${options.countAttempt ?? true})`.execute(db);
  return rows.map((row) => ({
    id: String(row.id),
    receipt: formatReceipt(String(row.id), String(row.lease_token)),
    queue,
    body: row.body,
    headers: row.headers ?? {},
    attempts: row.attempts,
    enqueuedAt: new Date(row.enqueued_at_ms),
    groupKey: row.group_key,
    priority: row.priority,
    leaseExpiresAt: new Date(row.available_at_ms),
  }));
}
