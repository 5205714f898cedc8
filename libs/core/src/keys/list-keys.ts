import { sql } from 'kysely';
import type { Executor } from '../database/database';
import type { SchemaOption } from '../database/tables';
import { type ApiKeyInfo, type ApiKeyRow, apiKeyFromRow, apiKeysTable } from './api-key';

/** Every stored key by name, without secrets or hashes. */
export async function listKeys(db: Executor, { schema }: SchemaOption = {}): Promise<ApiKeyInfo[]> {
  const { rows } = await sql<ApiKeyRow>`
    select name, scopes, names, created_at, last_used_at
    from ${apiKeysTable(schema)} order by name`.execute(db);
  return rows.map(apiKeyFromRow);
}
