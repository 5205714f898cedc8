import { isDeepStrictEqual } from 'node:util';
import { sql } from 'kysely';
import type { Executor } from '../database/database';
import type { SchemaOption } from '../database/tables';
import { ConflictError } from '../errors';
import { getQueue } from '../queues/get-queue';
import { getTopic } from '../topics/list-topics';
import { cadenceOf } from './cadence';
import {
  assertScheduleName,
  checkScheduleInput,
  type Schedule,
  type ScheduleInput,
  type ScheduleRow,
  type ScheduleSettings,
  scheduleFromRow,
  scheduleTables,
} from './schedule';

export interface CreateScheduleResult {
  schedule: Schedule;
  /** false: it existed already with the same settings (then nothing changed). */
  created: boolean;
}

function sameSettings(row: ScheduleRow, s: ScheduleSettings): boolean {
  return (
    row.target_kind === s.targetKind &&
    row.target === s.target &&
    row.cron === s.cron &&
    (row.every_ms === null ? null : Number(row.every_ms)) === s.everyMs &&
    row.timezone === s.timezone &&
    row.missed === s.missed &&
    isDeepStrictEqual(row.message, s.message)
  );
}

/**
 * Creates a recurring schedule; its first tick is the first one after now.
 * The same name with the same settings again is a no-op (created: false);
 * with other settings a ConflictError. The queue or topic must exist.
 */
export async function createSchedule(
  db: Executor,
  name: string,
  input: ScheduleInput,
  { schema }: SchemaOption = {},
): Promise<CreateScheduleResult> {
  assertScheduleName(name);
  const s = checkScheduleInput(input);
  if (s.targetKind === 'queue') await getQueue(db, s.target, { schema });
  else await getTopic(db, s.target, { schema });
  const nextAt = cadenceOf(s).after(new Date());
  const t = scheduleTables(schema);
  const { rows } = await sql<ScheduleRow>`
    insert into ${t.schedules} (name, target_kind, target, cron, every_ms, timezone, message, missed, next_at)
    values (${name}, ${s.targetKind}, ${s.target}, ${s.cron}, ${s.everyMs}, ${s.timezone},
            ${JSON.stringify(s.message)}::jsonb, ${s.missed}, ${nextAt.toISOString()}::timestamptz)
    on conflict (name) do nothing
    returning *`.execute(db);
  if (rows[0]) return { schedule: scheduleFromRow(rows[0]), created: true };
  const existing = await sql<ScheduleRow>`select * from ${t.schedules} where name = ${name}`.execute(db);
  const row = existing.rows[0];
  if (row && sameSettings(row, s)) return { schedule: scheduleFromRow(row), created: false };
  if (!row) return createSchedule(db, name, input, { schema }); // deleted in between: try again
  throw new ConflictError(`schedule "${name}" already exists with other settings`);
}
