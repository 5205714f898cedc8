-- Recurring schedules for psql users (issue 13, item 9). The tick runner is
-- the library's (libs/core/src/schedules/run-due-schedules.ts, inside every
-- Postbox's maintenance): cron expressions are read by croner there, so a
-- schedule created here gets its first tick computed by the next runner pass
-- (next_at null), and a cron expression that does not parse pauses the
-- schedule with last_error set.

-- Creates a schedule on a queue or topic: give every_ms or cron. Returns its row.
create or replace function :POSTBOX_SCHEMA.create_schedule(
  schedule_name text,
  target_kind text,
  target text,
  message jsonb,
  every_ms bigint default null,
  cron text default null,
  timezone text default 'UTC',
  missed text default 'skip'
) returns setof :POSTBOX_SCHEMA.schedules
language plpgsql as $$
begin
  if target_kind = 'queue' and not exists (select 1 from :POSTBOX_SCHEMA.queues where name = target) then
    raise exception 'queue "%" does not exist', target using errcode = 'P0002';
  end if;
  if target_kind = 'topic' and not exists (select 1 from :POSTBOX_SCHEMA.topics where name = target) then
    raise exception 'topic "%" does not exist', target using errcode = 'P0002';
  end if;
  perform now() at time zone create_schedule.timezone; -- an unknown time zone fails here
  if jsonb_typeof(message) <> 'object' or not message ? 'body' then
    raise exception 'message must be an object with a body' using errcode = '22023';
  end if;
  return query
  insert into :POSTBOX_SCHEMA.schedules as s (name, target_kind, target, cron, every_ms, timezone, message, missed, next_at)
  values (schedule_name, target_kind, target, cron, every_ms, create_schedule.timezone, message, missed,
          -- everyMs ticks fall on multiples of the interval since the epoch (as schedules/cadence.ts).
          case when every_ms is not null then
            to_timestamp((floor(extract(epoch from now()) * 1000 / every_ms) + 1) * every_ms / 1000.0)
          end)
  returning s.*;
end;
$$;

create or replace function :POSTBOX_SCHEMA.pause_schedule(schedule_name text) returns boolean
language sql as $$
  update :POSTBOX_SCHEMA.schedules set paused = true where name = schedule_name returning true
$$;

-- Resumes at the first tick after now (the runner computes it: next_at null),
-- as schedules/pause-schedule.ts.
create or replace function :POSTBOX_SCHEMA.resume_schedule(schedule_name text) returns boolean
language sql as $$
  update :POSTBOX_SCHEMA.schedules
  set paused = false, next_at = case when paused then null else next_at end
  where name = schedule_name returning true
$$;

create or replace function :POSTBOX_SCHEMA.delete_schedule(schedule_name text) returns boolean
language sql as $$
  delete from :POSTBOX_SCHEMA.schedules where name = schedule_name returning true
$$;

-- Inspection: every schedule with its next and last tick and ticks sent today.
create or replace view :POSTBOX_SCHEMA.schedule_stats as
select s.name, s.target_kind, s.target, s.cron, s.every_ms, s.timezone, s.missed, s.paused,
       s.next_at, s.last_at, s.last_error,
       (select count(*) from :POSTBOX_SCHEMA.schedule_ticks k where k.schedule = s.name) as ticks_last_day
from :POSTBOX_SCHEMA.schedules s;
