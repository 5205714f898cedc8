import { sql } from 'kysely';
import type { Executor } from '../database/database';
import { type SchemaOption, tablesFor } from '../database/tables';

/**
 * Deletes a queue with its messages, dead letters and dedup keys, in one
 * statement. Returns false when there was no such queue (DELETE stays
 * idempotent, as SQS DeleteQueue).
 */
export async function deleteQueue(db: Executor, name: string, { schema }: SchemaOption = {}): Promise<boolean> {
  const t = tablesFor(schema);
  const { rows } = await sql<{ deleted: boolean }>`
    with messages as (delete from ${t.messages} where queue = ${name}),
    dead as (delete from ${t.deadLetters} where queue = ${name}),
    keys as (delete from ${t.dedupKeys} where queue = ${name}),
    queue as (delete from ${t.queues} where name = ${name} returning 1)
    select exists (select 1 from queue) as deleted`.execute(db);
  return rows[0]?.deleted ?? false;
}
