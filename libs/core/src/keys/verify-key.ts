import { timingSafeEqual } from 'node:crypto';
import { sql } from 'kysely';
import type { Executor } from '../database/database';
import type { SchemaOption } from '../database/tables';
import { type ApiKeyInfo, type ApiKeyRow, apiKeyFromRow, apiKeysTable, parseKey, sha256 } from './api-key';

/** lastUsedAt is refreshed at most this often per key: one write a minute, not one per request. */
export const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * The stored key a presented one proves, or null. One indexed lookup by key
 * id per call and no cache, so a revoke (revoke-key.ts) holds at once in
 * every instance. The secret's sha256 is compared in constant time; both
 * sides are 32 bytes, so the length says nothing either.
 */
export async function verifyKey(
  db: Executor,
  presented: string,
  { schema, now = new Date() }: SchemaOption & { now?: Date } = {},
): Promise<ApiKeyInfo | null> {
  const parts = parseKey(presented);
  if (!parts) return null;
  const table = apiKeysTable(schema);
  const { rows } = await sql<ApiKeyRow>`
    select name, key_id, secret_sha256, scopes, names, created_at, last_used_at
    from ${table} where key_id = ${parts.keyId}`.execute(db);
  const row = rows[0];
  if (!row || !timingSafeEqual(sha256(parts.secret), row.secret_sha256)) return null;
  if (row.last_used_at === null || now.getTime() - row.last_used_at.getTime() >= LAST_USED_RESOLUTION_MS) {
    // The where clause keeps concurrent requests of several instances to one write a minute.
    await sql`
      update ${table} set last_used_at = now()
      where key_id = ${parts.keyId}
        and (last_used_at is null or last_used_at <= now() - ${`${LAST_USED_RESOLUTION_MS} milliseconds`}::interval)
    `.execute(db);
    row.last_used_at = now;
  }
  return apiKeyFromRow(row);
}
