import { sql } from 'kysely';
import type { Executor } from '../database/database';
import { type SchemaOption, tablesFor } from '../database/tables';

/** Deletes dedup keys whose window has passed (a sweep the service runs every minute). */
export async function purgeExpiredDedupKeys(db: Executor, { schema }: SchemaOption = {}): Promise<number> {
  const t = tablesFor(schema);
  const result = await sql`delete from ${t.dedupKeys} where expires_at <= now()`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
