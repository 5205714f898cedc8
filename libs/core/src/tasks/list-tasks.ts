import { sql } from 'kysely';
import type { Executor } from '../database/database';
import type { SchemaOption } from '../database/tables';
import { InvalidInputError } from '../errors';
import { getTask, type TaskInfo, taskTable } from './task';

export interface ListTasksOptions {
  /** At most this many, newest first (default 10: SQS ListMessageMoveTasks' ceiling). */
  limit?: number;
}

/**
 * The tasks whose source is `source`, newest first (SQS ListMessageMoveTasks).
 * Reads the ids here and each task through getTask, so a task's shape stays
 * defined in one place; at most `limit` (≤ 100) point reads by primary key.
 * tasks has no index on source: a scan, which stays cheap while the table
 * holds operator-started tasks (thousands, not millions).
 */
export async function listTasks(
  db: Executor,
  source: string,
  { limit = 10 }: ListTasksOptions = {},
  { schema }: SchemaOption = {},
): Promise<TaskInfo[]> {
  if (typeof source !== 'string' || source === '') throw new InvalidInputError('source', 'must be a queue name');
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw new InvalidInputError('limit', 'must be an integer between 1 and 100');
  }
  const { rows } = await sql<{ id: string }>`
    select id::text as id from ${taskTable(schema)} where source = ${source}
    order by created_at desc, id desc limit ${limit}`.execute(db);
  const tasks: TaskInfo[] = [];
  for (const { id } of rows) tasks.push(await getTask(db, id, { schema }));
  return tasks;
}
