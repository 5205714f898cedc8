import { sql } from 'kysely';
import type { Executor } from '../database/database';
import type { SchemaOption } from '../database/tables';
import { type ApiKeyInfo, type ApiKeyRow, apiKeyFromRow, apiKeysTable, type KeyParts, sha256 } from './api-key';

/** An API key as SigV4 credentials (the SQS endpoint): what an AWS SDK is configured with. */
export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/**
 * SigV4 is an HMAC scheme: the verifier needs the signer's secret itself,
 * not a hash of it. So the secret access key of an API key is derived from
 * it, base64url(sha256(secret)) — the value the keys table already stores —
 * and the access key id names the row. The consequence, stated plainly: a
 * copy of the keys table lets its holder sign SQS requests as these keys
 * (as AWS's own store of secrets would); it still cannot present the bearer
 * key to the REST API, which needs the secret behind the hash.
 */
export function signingCredentialsFor(parts: KeyParts): SigningCredentials {
  return { accessKeyId: `pbk_${parts.keyId}`, secretAccessKey: sha256(parts.secret).toString('base64url') };
}

const ACCESS_KEY_ID = /^pbk_([0-9a-f]{24})$/;

/** The stored key an access key id names, with its signing secret; null for ids of no stored key. */
export async function findSigningKey(
  db: Executor,
  accessKeyId: string,
  { schema }: SchemaOption = {},
): Promise<{ key: ApiKeyInfo; secretAccessKey: string } | null> {
  const match = ACCESS_KEY_ID.exec(accessKeyId);
  if (!match) return null;
  const { rows } = await sql<ApiKeyRow>`
    select name, key_id, secret_sha256, scopes, names, created_at, last_used_at
    from ${apiKeysTable(schema)} where key_id = ${match[1]}`.execute(db);
  const row = rows[0];
  return row ? { key: apiKeyFromRow(row), secretAccessKey: row.secret_sha256.toString('base64url') } : null;
}
