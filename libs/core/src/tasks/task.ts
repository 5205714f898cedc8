import { sql } from 'kysely';
import type { Executor } from '../database/database';
import { DEFAULT_SCHEMA, type SchemaOption } from '../database/tables';
import { InvalidInputError, NotFoundError } from '../errors';

/** 'failed' is reserved: a batch that errors is retried (lastError says why), never given up. */
export const TASK_STATES = ['running', 'completed', 'failed'] as const;
export type TaskState = (typeof TASK_STATES)[number];

/** A long-running operation with progress (today: the dead-letter move task). */
export interface TaskInfo {
  id: string;
  kind: 'move';
  state: TaskState;
  /** Messages moved so far. */
  moved: number;
  /** Messages movable when the task started. */
  total: number;
  source: string;
  /** null: back to the queue each message was dead-lettered from. */
  destination: string | null;
  maxPerSecond: number | null;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

interface TaskRow {
  id: string;
  kind: 'move';
  state: TaskState;
  moved: string;
  total: string;
  source: string;
  destination: string | null;
  max_per_second: number | null;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class TaskNotFoundError extends NotFoundError {
  override name = 'TaskNotFoundError';
  constructor(readonly taskId: string) {
    super(`task "${taskId}" does not exist`);
  }
}

export function taskTable(schema: string = DEFAULT_SCHEMA) {
  return sql.table(`${schema}.tasks`);
}

export async function getTask(db: Executor, taskId: string, { schema }: SchemaOption = {}): Promise<TaskInfo> {
  if (typeof taskId !== 'string' || !UUID.test(taskId)) throw new InvalidInputError('taskId', 'must be a UUID');
  const { rows } = await sql<TaskRow>`select * from ${taskTable(schema)} where id = ${taskId}::uuid`.execute(db);
  const row = rows[0];
  if (!row) throw new TaskNotFoundError(taskId);
  return {
    id: row.id,
    kind: row.kind,
    state: row.state,
    moved: Number(row.moved),
    total: Number(row.total),
    source: row.source,
    destination: row.destination,
    maxPerSecond: row.max_per_second,
    lastError: row.last_error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
  };
}
