import { sql } from 'kysely';
import type { Executor } from '../database/database';
import { type SchemaOption, tablesFor } from '../database/tables';

/**
 * Deletes a topic and its subscriptions (not the groups' queues, which may
 * still hold messages being worked on) and its archived messages, in one
 * statement. Returns false when there was no such topic.
 */
export async function deleteTopic(db: Executor, name: string, { schema }: SchemaOption = {}): Promise<boolean> {
  const t = tablesFor(schema);
  const { rows } = await sql<{ deleted: boolean }>`
    with archived as (delete from ${t.publishedMessages} where topic = ${name}),
    topic as (delete from ${t.topics} where name = ${name} returning 1)
    select exists (select 1 from topic) as deleted`.execute(db);
  return rows[0]?.deleted ?? false;
}
