--! Previous: sha1:5004307704744b906971418a8a5dfab42e4c6b60
--! Hash: sha1:8ba9f45d7d287010e0a6cb8e7679557059cdc409

-- Pub/sub and the archive: topics, subscriptions (consumer groups, each backed
-- by an ordinary queue), and two time-partitioned archives that keep acked
-- queue messages and published topic messages for their retention period.

create table :POSTBOX_SCHEMA.topics (
  name text primary key
    check (name ~ '^[a-zA-Z0-9][a-zA-Z0-9._-]{0,127}$'),
  -- null: published messages are not archived and cannot be replayed.
  retention_ms bigint check (retention_ms > 0),
  created_at timestamptz not null default now()
);

-- A subscription is a consumer group: every message published to the topic
-- after it subscribed (and matching its tags) is inserted into its queue, so
-- the group gets leases, retries, DLQ, FIFO, delay and priority from the queue.
create table :POSTBOX_SCHEMA.subscriptions (
  topic text not null references :POSTBOX_SCHEMA.topics (name) on delete cascade,
  group_name text not null
    check (group_name ~ '^[a-zA-Z0-9][a-zA-Z0-9._-]{0,127}$'),
  -- Deleting the queue ends the subscription. Publishing never touches this
  -- key (it inserts into messages, which has no foreign keys), so the
  -- constraint costs the hot path nothing.
  queue text not null references :POSTBOX_SCHEMA.queues (name) on delete cascade,
  -- RocketMQ-style tag filter, matched exactly; null receives every message.
  tags text[] check (tags is null or cardinality(tags) > 0),
  created_at timestamptz not null default now(),
  primary key (topic, group_name)
);
create index subscriptions_queue_idx on :POSTBOX_SCHEMA.subscriptions (queue);

-- Topic message ids: one per published message whether or not it is archived,
-- shared by every group's copy (header x-postbox-topic-message-id).
create sequence :POSTBOX_SCHEMA.topic_message_id_seq;

-- The archives are range-partitioned by the time a row entered them, one
-- partition per hour, created ahead by maintain_archive() and expired by
-- DROPPING whole partitions once every row in them is past the longest
-- retention of the table's queues/topics: no DELETE, no dead tuples, no
-- vacuum debt. Each queue/topic sees only its own retention window (replay
-- filters on it), so a long retention elsewhere only delays disk reclaim.
--
-- The default partition is a safety net: if maintenance has not run, acks
-- and publishes still succeed; maintain_archive() moves such rows into their
-- hourly partition later.
create table :POSTBOX_SCHEMA.archived_messages (
  id bigint not null,
  queue text not null,
  priority int not null,
  attempts int not null,
  enqueued_at timestamptz not null,
  acked_at timestamptz not null default now(),
  group_key text,
  headers jsonb,
  body jsonb not null
) partition by range (acked_at);
create index archived_messages_queue_idx on :POSTBOX_SCHEMA.archived_messages (queue, enqueued_at, id);
create table :POSTBOX_SCHEMA.archived_messages_default
  partition of :POSTBOX_SCHEMA.archived_messages default;

create table :POSTBOX_SCHEMA.published_messages (
  id bigint not null,
  topic text not null,
  tag text,
  published_at timestamptz not null default now(),
  priority int not null,
  group_key text,
  -- As delivered to the groups (with the x-postbox-topic* headers).
  headers jsonb not null,
  body jsonb not null
) partition by range (published_at);
create index published_messages_topic_idx on :POSTBOX_SCHEMA.published_messages (topic, published_at, id);
create table :POSTBOX_SCHEMA.published_messages_default
  partition of :POSTBOX_SCHEMA.published_messages default;

-- Creates the hourly partitions of both archives from the hour of `at_time`
-- up to `ahead`, moves stray rows out of the default partitions, and drops
-- partitions whose rows are all past retention. Run it periodically (the
-- REST service does, every few minutes; or pg_cron). `at_time` is a
-- parameter so tests can run maintenance "in the future" instead of waiting.
create function :POSTBOX_SCHEMA.maintain_archive(
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

-- SQL-level publish, so a psql user (or any language) can publish without
-- TypeScript: the same fan-out, archive and headers as the TypeScript
-- publish, one message at a time. Returns the topic message id.
create function :POSTBOX_SCHEMA.publish(
  topic_name text,
  body jsonb,
  headers jsonb default null,
  tag text default null
) returns bigint
language plpgsql as $$
declare
  topic_retention_ms bigint;
  new_id bigint;
  delivered_headers jsonb;
begin
  select t.retention_ms into topic_retention_ms from :POSTBOX_SCHEMA.topics t where t.name = topic_name;
  if not found then
    raise exception 'topic "%" does not exist', topic_name using errcode = 'P0002';
  end if;
  new_id := nextval(':POSTBOX_SCHEMA.topic_message_id_seq');
  delivered_headers := coalesce(publish.headers, '{}'::jsonb)
    || jsonb_build_object('x-postbox-topic', topic_name, 'x-postbox-topic-message-id', new_id::text)
    || case when publish.tag is null then '{}'::jsonb else jsonb_build_object('x-postbox-tag', publish.tag) end;
  if topic_retention_ms is not null then
    insert into :POSTBOX_SCHEMA.published_messages (id, topic, tag, priority, headers, body)
    values (new_id, topic_name, publish.tag, 0, delivered_headers, publish.body);
  end if;
  insert into :POSTBOX_SCHEMA.messages (queue, body, headers)
  select s.queue, publish.body, delivered_headers
  from :POSTBOX_SCHEMA.subscriptions s
  where s.topic = topic_name and (s.tags is null or publish.tag = any (s.tags))
  order by s.queue;
  perform pg_notify(':POSTBOX_SCHEMA.wakeup', s.queue)
  from :POSTBOX_SCHEMA.subscriptions s
  where s.topic = topic_name and (s.tags is null or publish.tag = any (s.tags));
  return new_id;
end;
$$;

-- Inspection for psql users: every topic with its groups, each group's queue
-- depth and the age of its oldest ready message.
create view :POSTBOX_SCHEMA.topic_stats as
select
  t.name as topic,
  t.retention_ms,
  s.group_name,
  s.queue,
  s.tags,
  qs.ready,
  qs.delayed,
  qs.in_flight,
  qs.dead,
  qs.oldest_ready_age_ms,
  s.created_at as subscribed_at
from :POSTBOX_SCHEMA.topics t
left join :POSTBOX_SCHEMA.subscriptions s on s.topic = t.name
left join :POSTBOX_SCHEMA.queue_stats qs on qs.queue = s.queue;
