import { sql } from 'kysely';
import type { Executor } from '../database/database';
import { type SchemaOption, tablesFor } from '../database/tables';

/**
 * Removes expired messages that no claim has met yet, queue by queue, through
 * the same expire_due() the claims call (migrations/functions/20-dead-letter.sql):
 * dead-lettered with reason `expired` or dropped, as the queue says. Claims
 * expire what they pass, but a queue nobody claims from (or claimed only in
 * lock mode, whose empty claims roll back) would keep its expired messages
 * counted as ready; maintenance runs this so they leave on time. Each queue
 * costs one probe of messages_expiry_idx, empty for queues without TTLs.
 * Returns how many left.
 */
export async function expireMessages(
  db: Executor,
  { schema, limit }: SchemaOption & { limit: number },
): Promise<number> {
  const t = tablesFor(schema);
  const { rows } = await sql<{ expired: number }>`
    select coalesce(sum(${sql.id(t.schema, 'expire_due')}(q.name, ${limit}::int)), 0)::int as expired
    from ${t.queues} q`.execute(db);
  return rows[0]?.expired ?? 0;
}
