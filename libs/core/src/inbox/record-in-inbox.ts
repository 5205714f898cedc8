import { sql } from 'kysely';
import type { Executor } from '../database/database';
import type { SchemaOption } from '../database/tables';
import { inboxTableFor } from './inbox';

/**
 * Inserts the (consumer, message) inbox row in the caller's transaction and
 * says whether it is new. False means this consumer already committed this
 * message once. If another transaction is inserting the same row right now,
 * this waits for it (unique index) and then answers: true if that one rolled
 * back, false if it committed.
 */
export async function recordInInbox(
  trx: Executor,
  consumer: string,
  messageId: string,
  { schema }: SchemaOption = {},
): Promise<boolean> {
  const { rows } = await sql`
    insert into ${inboxTableFor(schema)} (consumer, message_id) values (${consumer}, ${messageId})
    on conflict (consumer, message_id) do nothing
    returning 1 as inserted`.execute(trx);
  return rows.length === 1;
}
