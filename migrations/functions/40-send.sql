-- Send: up to 1000 messages in one statement, with producer deduplication.
-- `batch` is a JSON array of objects with the keys body (required), headers,
-- priority, delay_ms, available_at, group_key and dedup_key. Returns one row
-- per input message, in input order: its id, and whether a dedup_key made it
-- a duplicate (then the id is the first message's and nothing was enqueued).
-- No row at all: the queue does not exist.
--
-- The library's sendBatch calls this for every batch that carries a dedup
-- key (libs/core/src/messages/send.ts); batches without one take a plain
-- INSERT there (no dedup_keys work: 38k msg/s at 500 per batch). With
-- `notify` the queue's consumers are woken at commit (pg_notify in the statement).
--
-- Dedup: ids are drawn first, each key is claimed in dedup_keys with ON
-- CONFLICT DO UPDATE (which waits for a concurrent producer of the same key
-- and returns its row), and only messages that won their key are inserted.
-- A key whose window has expired is taken over by the new message.
create or replace function :POSTBOX_SCHEMA.send_batch(queue_name text, batch jsonb, notify boolean default true)
returns table (id bigint, duplicate boolean)
language sql as $$
  with q as (select name, dedup_window_ms from :POSTBOX_SCHEMA.queues where name = queue_name),
  input as materialized (
    select t.*, nextval(':POSTBOX_SCHEMA.messages_id_seq'::regclass) as new_id
    from q, rows from (jsonb_to_recordset(batch) as (
      body jsonb, headers jsonb, priority int, delay_ms bigint, available_at timestamptz, group_key text, dedup_key text
    )) with ordinality as t(body, headers, priority, delay_ms, available_at, group_key, dedup_key, ord)
    order by t.ord
  ),
  first_per_key as (
    select distinct on (dedup_key) dedup_key, new_id from input
    where dedup_key is not null order by dedup_key, ord
  ),
  keys as (
    insert into :POSTBOX_SCHEMA.dedup_keys as k (queue, dedup_key, message_id, expires_at)
    select queue_name, f.dedup_key, f.new_id, now() + q.dedup_window_ms * interval '1 millisecond'
    from first_per_key f, q
    on conflict (queue, dedup_key) do update
      set message_id = case when k.expires_at <= now() then excluded.message_id else k.message_id end,
          expires_at = case when k.expires_at <= now() then excluded.expires_at else k.expires_at end
    returning k.dedup_key, k.message_id
  ),
  resolved as (
    select i.*, coalesce(k.message_id, i.new_id) as message_id
    from input i left join keys k on k.dedup_key = i.dedup_key
  ),
  ins as (
    insert into :POSTBOX_SCHEMA.messages (id, queue, body, headers, priority, available_at, group_key, dedup_key)
    select r.new_id, queue_name, coalesce(r.body, 'null'::jsonb), r.headers, coalesce(r.priority, 0),
           coalesce(r.available_at, now() + coalesce(r.delay_ms, 0) * interval '1 millisecond'), r.group_key, r.dedup_key
    from resolved r where r.message_id = r.new_id
    order by r.ord
    returning 1
  ),
  wake as (select pg_notify(':POSTBOX_SCHEMA.wakeup', queue_name) where notify and exists (select 1 from q))
  select r.message_id, r.message_id <> r.new_id
  from resolved r left join wake on true
  order by r.ord
$$;

-- One message, for psql users: the same statement as send_batch. Returns its
-- id (the first message's, when dedup_key matched one within the window).
create or replace function :POSTBOX_SCHEMA.send(
  queue_name text,
  body jsonb,
  headers jsonb default null,
  delay_ms int default 0,
  priority int default 0,
  dedup_key text default null,
  group_key text default null
) returns bigint
language plpgsql as $$
declare
  new_id bigint;
begin
  select b.id into new_id from :POSTBOX_SCHEMA.send_batch(queue_name, jsonb_build_array(jsonb_build_object(
    'body', body, 'headers', headers, 'delay_ms', delay_ms, 'priority', priority,
    'dedup_key', dedup_key, 'group_key', group_key))) b;
  if not found then
    raise exception 'queue "%" does not exist', queue_name using errcode = 'P0002';
  end if;
  return new_id;
end;
$$;
