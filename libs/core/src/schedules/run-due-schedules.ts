import { sql } from 'kysely';
import type { Executor } from '../database/database';
import type { SchemaOption } from '../database/tables';
import { toMessageColumns } from '../messages/message';
import { insertMessages } from '../messages/send';
import { publish } from '../topics/publish';
import { type Cadence, cadenceOf } from './cadence';
import {
  SCHEDULE_HEADER,
  SCHEDULE_MISSED_SINCE_HEADER,
  SCHEDULE_TICK_HEADER,
  type ScheduleRow,
  scheduleTables,
} from './schedule';

export interface TickOptions extends SchemaOption {
  /**
   * A tick later than this (default 60 s) counts as missed: no process ran
   * the tick runner at its time. Missed ticks follow the schedule's policy
   * ("skip": none sent; "once": one catch-up message for all of them); a
   * tick found within the grace is sent late rather than dropped.
   */
  graceMs?: number;
}

export interface TickPass {
  /** Messages enqueued (ticks this process won). */
  enqueued: number;
  /** The earliest next tick of any running schedule; null when none is running. */
  nextDueAt: Date | null;
}

/** Ticks handled per schedule and transaction; a backlog of due ticks continues in the next pass. */
const MAX_TICKS = 1000;
/** Tick rows are kept a day (lastAt, auditing); the guarantee only needs the ones not yet past next_at. */
const TICK_HISTORY = "interval '1 day'";

interface Tick {
  at: Date;
  catchUp: boolean;
}

/**
 * One pass of the tick runner: every due schedule, each in its own
 * transaction. Exactly once per tick, however many processes run passes at
 * once: the schedule row is locked (FOR UPDATE SKIP LOCKED, so the others
 * move on), and each tick is inserted into schedule_ticks, whose primary key
 * (schedule, tick) refuses a tick a second time; the message is sent in the
 * same transaction only for ticks whose insert went through. No leader to
 * elect, nothing to split.
 */
export async function runDueSchedules(db: Executor, options: TickOptions = {}): Promise<TickPass> {
  const t = scheduleTables(options.schema);
  // One statement when nothing is due (an idle process runs this every pollMs):
  // the earliest schedules, whether each is due by the database's clock.
  const { rows: heads } = await sql<{ name: string; next_at: Date | null; due: boolean }>`
    select name, next_at, next_at is null or next_at <= statement_timestamp() as due
    from ${t.schedules} where not paused
    order by next_at nulls first limit 100`.execute(db);
  const due = heads.filter((h) => h.due);
  if (due.length === 0) return { enqueued: 0, nextDueAt: heads[0]?.next_at ?? null };
  let enqueued = 0;
  for (const { name } of due) {
    try {
      enqueued += await db.transaction().execute((trx) => tickSchedule(trx, name, options));
    } catch (error) {
      await recordFailure(db, name, error, options);
    }
  }
  const { rows } = await sql<{ next_at: Date | null; pending: boolean }>`
    select min(next_at) as next_at, bool_or(next_at is null) as pending
    from ${t.schedules} where not paused`.execute(db);
  const next = rows[0];
  return { enqueued, nextDueAt: next?.pending ? new Date() : (next?.next_at ?? null) };
}

async function tickSchedule(trx: Executor, name: string, options: TickOptions): Promise<number> {
  const t = scheduleTables(options.schema);
  const { rows } = await sql<ScheduleRow & { now: Date }>`
    select *, statement_timestamp() as now from ${t.schedules}
    where name = ${name} and not paused and (next_at is null or next_at <= statement_timestamp())
    for update skip locked`.execute(trx);
  const row = rows[0];
  if (!row) return 0; // another process has it, or it is no longer due
  const cadence = cadenceOf(cadenceFields(row));
  if (row.next_at === null) {
    await sql`update ${t.schedules} set next_at = ${cadence.after(row.now).toISOString()}::timestamptz
              where name = ${name}`.execute(trx);
    return 0;
  }
  const { ticks, nextAt } = dueTicks(row, cadence, options.graceMs ?? 60_000);
  const { rows: won } = await sql<{ tick: Date; catch_up: boolean }>`
    insert into ${t.ticks} (schedule, tick, catch_up)
    select ${name}, u.tick, u.catch_up
    from unnest(${ticks.map((k) => k.at.toISOString())}::timestamptz[], ${ticks.map((k) => k.catchUp)}::boolean[])
      as u(tick, catch_up)
    on conflict (schedule, tick) do nothing
    returning tick, catch_up`.execute(trx);
  won.sort((a, b) => a.tick.getTime() - b.tick.getTime());
  const ids: string[] = [];
  for (const tick of won) ids.push(await enqueueTick(trx, row, tick.tick, tick.catch_up, options));
  if (won.length > 0) {
    await sql`
      update ${t.ticks} k set message_id = u.id
      from unnest(${won.map((w) => w.tick.toISOString())}::timestamptz[], ${ids}::text[]) as u(tick, id)
      where k.schedule = ${name} and k.tick = u.tick`.execute(trx);
  }
  const lastAt = won.length > 0 ? won[won.length - 1]?.tick : row.last_at;
  await sql`
    update ${t.schedules}
    set next_at = ${nextAt.toISOString()}::timestamptz, last_at = ${lastAt?.toISOString() ?? null}::timestamptz,
        last_error = null
    where name = ${name}`.execute(trx);
  await sql`delete from ${t.ticks} where schedule = ${name} and tick < now() - ${sql.raw(TICK_HISTORY)}`.execute(trx);
  return won.length;
}

/** The ticks to send now and the one after them, with the missed policy applied. */
export function dueTicks(
  row: Pick<ScheduleRow, 'next_at' | 'missed'> & { now: Date },
  cadence: Cadence,
  graceMs: number,
): { ticks: Tick[]; nextAt: Date } {
  const ticks: Tick[] = [];
  const graceCut = new Date(row.now.getTime() - graceMs);
  let at = row.next_at as Date;
  if (at < graceCut) {
    // Ticks before graceCut were missed (no runner ran then).
    const lastMissed = cadence.before(graceCut);
    if (row.missed === 'once' && lastMissed) ticks.push({ at: lastMissed, catchUp: true });
    at = cadence.after(new Date(graceCut.getTime() - 1));
  }
  while (at <= row.now && ticks.length < MAX_TICKS) {
    ticks.push({ at, catchUp: false });
    at = cadence.after(at);
  }
  return { ticks, nextAt: at };
}

async function enqueueTick(
  trx: Executor,
  row: ScheduleRow,
  tick: Date,
  catchUp: boolean,
  options: TickOptions,
): Promise<string> {
  const headers: Record<string, string> = {
    ...row.message.headers,
    [SCHEDULE_HEADER]: row.name,
    [SCHEDULE_TICK_HEADER]: tick.toISOString(),
  };
  if (catchUp) headers[SCHEDULE_MISSED_SINCE_HEADER] = (row.next_at as Date).toISOString();
  const message = { ...row.message, headers };
  if (row.target_kind === 'topic') {
    return (await publish(trx, row.target, message, { schema: options.schema })).id;
  }
  const { ids } = await insertMessages(trx, row.target, [toMessageColumns(message)], {
    schema: options.schema,
    notifyInStatement: true,
  });
  return ids[0] as string;
}

/** A tick that cannot be sent (its queue was deleted): recorded on the schedule, which moves on to its next tick. */
async function recordFailure(db: Executor, name: string, error: unknown, options: TickOptions): Promise<void> {
  const t = scheduleTables(options.schema);
  const { rows } = await sql<ScheduleRow & { now: Date }>`
    select *, statement_timestamp() as now from ${t.schedules} where name = ${name}`.execute(db);
  const row = rows[0];
  if (!row) return;
  const message = (error instanceof Error ? error.message : String(error)).slice(0, 1000);
  let nextAt: Date;
  try {
    nextAt = cadenceOf(cadenceFields(row)).after(row.now);
  } catch {
    // A cron expression that does not parse (a schedule created from SQL): paused until fixed.
    await sql`update ${t.schedules} set last_error = ${message}, paused = true where name = ${name}`.execute(db);
    return;
  }
  await sql`
    update ${t.schedules} set last_error = ${message}, next_at = ${nextAt.toISOString()}::timestamptz
    where name = ${name}`.execute(db);
}

function cadenceFields(row: ScheduleRow) {
  return { cron: row.cron, everyMs: row.every_ms === null ? null : Number(row.every_ms), timezone: row.timezone };
}
