import { sql } from 'kysely';
import type { Executor } from '../database/database';
import type { SchemaOption } from '../database/tables';
import { scheduleTables } from './schedule';

/** Deletes a schedule and its tick history; messages already enqueued stay. Returns false if there was none. */
export async function deleteSchedule(db: Executor, name: string, { schema }: SchemaOption = {}): Promise<boolean> {
  const { rows } =
    await sql`delete from ${scheduleTables(schema).schedules} where name = ${name} returning name`.execute(db);
  return rows.length > 0;
}
