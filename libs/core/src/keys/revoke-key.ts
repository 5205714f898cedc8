import { sql } from 'kysely';
import type { Executor } from '../database/database';
import type { SchemaOption } from '../database/tables';
import { apiKeysTable } from './api-key';

/**
 * Deletes a key; false when there was none by that name. Verification reads
 * the row on every request (verify-key.ts), so the key stops working in every
 * instance as soon as this commits.
 */
export async function revokeKey(db: Executor, name: string, { schema }: SchemaOption = {}): Promise<boolean> {
  const { rows } = await sql`delete from ${apiKeysTable(schema)} where name = ${name} returning 1`.execute(db);
  return rows.length > 0;
}
