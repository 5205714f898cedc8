import { sql } from 'kysely';
import type { Executor } from '../database/database';
import { type SchemaOption, tablesFor } from '../database/tables';
import { InvalidInputError, QueueNotFoundError } from '../errors';

/**
 * Merges `changes` into a queue's protocol attributes (get-protocol-attributes.ts)
 * and returns them all. One statement: `||` merges under the row lock the
 * UPDATE takes, so two concurrent sets of different keys both survive (a
 * read-modify-write in the caller would lose one). A key set to null is
 * removed (jsonb_strip_nulls; nulls nested inside a value go too).
 */
export async function setProtocolAttributes(
  db: Executor,
  queue: string,
  changes: Record<string, unknown>,
  { schema }: SchemaOption = {},
): Promise<Record<string, unknown>> {
  if (changes === null || typeof changes !== 'object' || Array.isArray(changes)) {
    throw new InvalidInputError('attributes', 'must be an object');
  }
  const t = tablesFor(schema);
  const { rows } = await sql<{ protocol_attributes: Record<string, unknown> }>`
    update ${t.queues}
       set protocol_attributes = jsonb_strip_nulls(protocol_attributes || ${JSON.stringify(changes)}::jsonb)
     where name = ${queue}
 returning protocol_attributes`.execute(db);
  if (!rows[0]) throw new QueueNotFoundError(queue);
  return rows[0].protocol_attributes;
}
