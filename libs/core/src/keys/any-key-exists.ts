import { sql } from 'kysely';
import type { Executor } from '../database/database';
import type { SchemaOption } from '../database/tables';
import { apiKeysTable } from './api-key';

/** Whether any key is stored: with none (and no bootstrap key) the service runs open, in dev mode. */
export async function anyKeyExists(db: Executor, { schema }: SchemaOption = {}): Promise<boolean> {
  const { rows } = await sql<{ found: boolean }>`
    select exists (select 1 from ${apiKeysTable(schema)}) as found`.execute(db);
  return rows[0]?.found ?? false;
}
