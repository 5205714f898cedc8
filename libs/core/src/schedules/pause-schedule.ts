import { sql } from 'kysely';
import type { Executor } from '../database/database';
import type { SchemaOption } from '../database/tables';
import { type Schedule, ScheduleNotFoundError, type ScheduleRow, scheduleFromRow, scheduleTables } from './schedule';

/** Stops enqueueing ticks until resumeSchedule; pausing a paused schedule is a no-op. */
export async function pauseSchedule(db: Executor, name: string, { schema }: SchemaOption = {}): Promise<Schedule> {
  const { rows } = await sql<ScheduleRow>`
    update ${scheduleTables(schema).schedules} set paused = true where name = ${name} returning *`.execute(db);
  if (!rows[0]) throw new ScheduleNotFoundError(name);
  return scheduleFromRow(rows[0]);
}

/**
 * Resumes at the first tick after now: ticks that fell in the pause are not
 * sent (a pause is not downtime; the `missed` policy does not apply).
 * next_at null makes the tick runner compute that tick. Resuming a running
 * schedule changes nothing.
 */
export async function resumeSchedule(db: Executor, name: string, { schema }: SchemaOption = {}): Promise<Schedule> {
  const { rows } = await sql<ScheduleRow>`
    update ${scheduleTables(schema).schedules}
    set paused = false, next_at = case when paused then null else next_at end
    where name = ${name} returning *`.execute(db);
  if (!rows[0]) throw new ScheduleNotFoundError(name);
  return scheduleFromRow(rows[0]);
}
