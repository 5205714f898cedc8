import { sql } from 'kysely';
import type { Executor } from '../database/database';
import { type SchemaOption, tablesFor } from '../database/tables';
import { QueueNotFoundError } from '../errors';

/**
 * A protocol endpoint's own attributes of a queue (migrations/committed/000012.sql):
 * flat keys prefixed by the protocol ("sqs.DelaySeconds"), values as JSON.
 * The core never reads them; they are kept in the queue row so every
 * service instance sees the same ones and a restart loses none. One
 * primary-key lookup.
 */
export async function getProtocolAttributes(
  db: Executor,
  queue: string,
  { schema }: SchemaOption = {},
): Promise<Record<string, unknown>> {
  const t = tablesFor(schema);
  const { rows } = await sql<{
    protocol_attributes: Record<string, unknown>;
  }>`select protocol_attributes from ${t.queues} where name = ${queue}`.execute(db);
  if (!rows[0]) throw new QueueNotFoundError(queue);
  return rows[0].protocol_attributes;
}
