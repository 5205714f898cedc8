import { sql } from 'kysely';
import type { Executor } from '../database/database';
import { type SchemaOption, tablesFor } from '../database/tables';
import { QueueNotFoundError } from '../errors';
import { type Queue, type QueueRow, queueFromRow } from './queue-settings';

export async function findQueue(db: Executor, name: string, { schema }: SchemaOption = {}): Promise<Queue | null> {
  const t = tablesFor(schema);
  const { rows } = await sql<QueueRow>`select * from ${t.queues} where name = ${name}`.execute(db);
  return rows[0] ? queueFromRow(rows[0]) : null;
}

export async function getQueue(db: Executor, name: string, options: SchemaOption = {}): Promise<Queue> {
  const queue = await findQueue(db, name, options);
  if (!queue) throw new QueueNotFoundError(name);
  return queue;
}
