import { sql } from 'kysely';
import type { Executor } from '../database/database';
import type { SchemaOption } from '../database/tables';
import { type Schedule, ScheduleNotFoundError, type ScheduleRow, scheduleFromRow, scheduleTables } from './schedule';

export async function listSchedules(db: Executor, { schema }: SchemaOption = {}): Promise<Schedule[]> {
  const { rows } = await sql<ScheduleRow>`select * from ${scheduleTables(schema).schedules} order by name`.execute(db);
  return rows.map(scheduleFromRow);
}

export async function getSchedule(db: Executor, name: string, { schema }: SchemaOption = {}): Promise<Schedule> {
  const { rows } = await sql<ScheduleRow>`
    select * from ${scheduleTables(schema).schedules} where name = ${name}`.execute(db);
  if (!rows[0]) throw new ScheduleNotFoundError(name);
  return scheduleFromRow(rows[0]);
}
