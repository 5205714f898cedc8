import { sql } from 'kysely';
import type { Executor } from '../database/database';
import { type SchemaOption, tablesFor } from '../database/tables';

/**
 * Deletes up to `limit` dedup keys whose window has passed (maintenance runs
 * it every minute). Sends ignore expired keys anyway (they are taken over),
 * so this only keeps the table small.
 */
export async function purgeExpiredDedupKeys(
  db: Executor,
  { schema, limit = 10_000 }: SchemaOption & { limit?: number } = {},
): Promise<number> {
  const t = tablesFor(schema);
  const result = await sql`
    delete from ${t.dedupKeys} where ctid = any(array(
      select ctid from ${t.dedupKeys} where expires_at <= now() limit ${limit}
    ))`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
