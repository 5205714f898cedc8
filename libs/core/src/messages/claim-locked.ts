import { sql, type Transaction } from 'kysely';
import { formatReceipt } from '../database/receipt';
import { type SchemaOption, tablesFor } from '../database/tables';
import { InvalidInputError } from '../errors';
import type { ReceivedMessage } from './message';

/** A message held by a row lock of the caller's open transaction. */
export interface LockedMessage extends ReceivedMessage {
  /** The row's lease token as it stands (null if never leased): what ack/nack match on. */
  leaseToken: string | null;
  /**
   * A lease-mode consumer's final lease on it ran out: dead-letter it (nack
   * with heldLock) instead of running the handler.
   */
  exhausted: boolean;
}

interface LockedRow {
  id: string;
  lease_token: string | null;
  body: unknown;
  headers: Record<string, string> | null;
  attempts: number;
  enqueued_at_ms: number;
  group_key: string | null;
  priority: number;
  exhausted: boolean;
}

/** A lock has no end of its own; the field says "until the transaction ends". */
const NO_LEASE = new Date(8_640_000_000_000_000);

/**
 * Claims up to `max` ready messages by locking their rows (FOR UPDATE SKIP
 * LOCKED) in `trx`, which the caller keeps open while it handles them and
 * ends with ack/nack(heldLock) + commit. Nothing is written: no lease, no
 * attempt counted. Rollback, a dropped connection or a dead process makes
 * them claimable again at once. See migrations/functions/31-lock.sql
 * (lock_messages, which this calls) for the trade-off.
 *
 * `attempts` on each message is this delivery's number (the failed ones
 * before it + 1), as in lease mode.
 */
export async function claimLocked(
  // biome-ignore lint/suspicious/noExplicitAny: the caller's Transaction<TheirDB> must fit
  trx: Transaction<any>,
  queue: string,
  max: number,
  { schema }: SchemaOption = {},
): Promise<LockedMessage[]> {
  if (!Number.isInteger(max) || max < 1 || max > 1000) {
    throw new InvalidInputError('max', 'must be an integer between 1 and 1000');
  }
  const lockMessages = sql.id(tablesFor(schema).schema, 'lock_messages');
  // id and lease_token as text: pg's int8 parser runs a regex per value (claim.ts).
  const { rows } = await sql<LockedRow>`
    select id::text, lease_token::text, body, headers, attempts, enqueued_at_ms, group_key, priority, exhausted
    from ${lockMessages}(${queue}, ${max}::int)`.execute(trx);
  return rows.map((row) => {
    const leaseToken = row.lease_token === null ? null : String(row.lease_token);
    return {
      id: String(row.id),
      // Not an ackable receipt (lease tokens are random 53-bit numbers, never 0 in practice): the
      // consumer holding the lock acks it; an outside ack would wait on the lock.
      receipt: formatReceipt(String(row.id), '0'),
      queue,
      body: row.body,
      headers: row.headers ?? {},
      attempts: row.attempts + 1,
      enqueuedAt: new Date(row.enqueued_at_ms),
      groupKey: row.group_key,
      priority: row.priority,
      leaseExpiresAt: NO_LEASE,
      leaseToken,
      exhausted: row.exhausted,
    };
  });
}
