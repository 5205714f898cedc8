-- Creates the hourly partitions of both archives from the hour of `at_time`
-- up to `ahead`, moves stray rows out of the default partitions, and drops
-- partitions whose rows are all past retention. Run it periodically (the
-- REST service does, every few minutes; or pg_cron). `at_time` is a
-- parameter so tests can run maintenance "in the future" instead of waiting.
create or replace function :POSTBOX_SCHEMA.maintain_archive(
  at_time timestamptz default now(),
  ahead interval default interval '3 hours'
) returns table (action text, partition_name text)
language plpgsql as $$
declare
  schema_name constant text := ':POSTBOX_SCHEMA';
  archive record;
  max_retention interval;
  slot timestamptz;
  part text;
  part_hour timestamptz;
begin
  -- Never wait long behind a transaction holding the archive: a skipped
  -- drop is retried by the next run; a queue of acks blocked behind our
  -- lock request would be worse.
  perform set_config('lock_timeout', '2s', true);
  -- One maintainer at a time (every service process runs this periodically).
  perform pg_advisory_xact_lock(hashtext(schema_name || '.maintain_archive'));
  for archive in
    select * from (values
      ('archived_messages', 'acked_at', (select max(retention_ms) from :POSTBOX_SCHEMA.queues)),
      ('published_messages', 'published_at', (select max(retention_ms) from :POSTBOX_SCHEMA.topics))
    ) as a(tbl, ts, retention_ms)
  loop
    max_retention := coalesce(archive.retention_ms, 0) * interval '1 millisecond';

    -- Stray rows in the default partition that are already past retention
    -- are simply gone (the default partition is normally empty).
    execute format('delete from %I.%I where %I < $1', schema_name, archive.tbl || '_default', archive.ts)
      using at_time - max_retention;

    -- The hours to have a partition for: the coming ones, and any hour a
    -- stray default-partition row belongs to.
    for slot in execute format(
        'select s from generate_series(date_trunc(''hour'', $1, ''UTC''), $1 + $2, interval ''1 hour'') s
         union
         select distinct date_trunc(''hour'', %I, ''UTC'') from %I.%I
         order by 1',
        archive.ts, schema_name, archive.tbl || '_default')
      using at_time, ahead
    loop
      part := archive.tbl || '_p' || to_char(slot at time zone 'UTC', 'YYYYMMDDHH24');
      continue when to_regclass(format('%I.%I', schema_name, part)) is not null;
      -- create + move + attach rather than CREATE ... PARTITION OF: ATTACH
      -- needs only SHARE UPDATE EXCLUSIVE on the parent, so acks and
      -- publishes writing to the archive are not blocked.
      execute format('create table %I.%I (like %I.%I including defaults including constraints)',
        schema_name, part, schema_name, archive.tbl);
      execute format(
        'with moved as (delete from %I.%I where %I >= $1 and %I < $2 returning *) insert into %I.%I select * from moved',
        schema_name, archive.tbl || '_default', archive.ts, archive.ts, schema_name, part)
        using slot, slot + interval '1 hour';
      execute format('alter table %I.%I attach partition %I.%I for values from (%L) to (%L)',
        schema_name, archive.tbl, schema_name, part, slot, slot + interval '1 hour');
      action := 'created';
      partition_name := part;
      return next;
    end loop;

    -- Drop every hourly partition whose newest possible row is past the
    -- longest retention of this archive's queues/topics.
    for part in
      select c.relname from pg_inherits i
      join pg_class c on c.oid = i.inhrelid
      where i.inhparent = format('%I.%I', schema_name, archive.tbl)::regclass
        and c.relname ~ ('^' || archive.tbl || '_p\d{10}$')
      order by c.relname
    loop
      part_hour := to_timestamp(right(part, 10), 'YYYYMMDDHH24')::timestamp at time zone 'UTC';
      continue when part_hour + interval '1 hour' > at_time - max_retention;
      begin
        execute format('drop table %I.%I', schema_name, part);
        action := 'dropped';
      exception when lock_not_available then
        action := 'busy';
      end;
      partition_name := part;
      return next;
    end loop;
  end loop;
end;
$$;
