import { sql } from 'kysely';
import type { Executor } from '../database/database';
import type { SchemaOption } from '../database/tables';
import { ConflictError, InvalidInputError } from '../errors';
import { apiKeysTable, formatKey, newKeyParts, sha256 } from './api-key';
import { checkNamesGlob, checkScopes, type KeyScope } from './key-scopes';
import { type SigningCredentials, signingCredentialsFor } from './signing-key';

export const KEY_NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,127}$/;

export interface CreateKeyInput {
  name: string;
  scopes: readonly KeyScope[];
  /** Glob of the queues and topics the key may touch (key-scopes.ts); omitted = all. */
  names?: string | null;
}

/**
 * Stores a new key and returns it whole: the only time the secret exists
 * outside the caller's hands. Only sha256(secret) is stored (see migration
 * 000006 for why sha256 and not scrypt). A name already taken is a 409.
 */
export async function createKey(
  db: Executor,
  input: CreateKeyInput,
  { schema }: SchemaOption = {},
): Promise<{ name: string; key: string; sqs: SigningCredentials }> {
  if (typeof input.name !== 'string' || !KEY_NAME_PATTERN.test(input.name)) {
    throw new InvalidInputError('name', `must match ${KEY_NAME_PATTERN.source}`);
  }
  const scopes = checkScopes(input.scopes);
  const names = input.names === undefined || input.names === null ? null : checkNamesGlob(input.names);
  const parts = newKeyParts();
  const { rows } = await sql<{ name: string }>`
    insert into ${apiKeysTable(schema)} (name, key_id, secret_sha256, scopes, names)
    values (${input.name}, ${parts.keyId}, ${sha256(parts.secret)}, ${scopes}::text[], ${names})
    on conflict (name) do nothing
    returning name`.execute(db);
  if (rows.length === 0) throw new ConflictError(`API key "${input.name}" already exists`);
  return { name: input.name, key: formatKey(parts), sqs: signingCredentialsFor(parts) };
}
