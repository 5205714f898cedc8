-- What a queue admits, in one place, for every path that sends: the
-- TypeScript send statements (libs/core/src/messages/send.ts), send_batch
-- and send() below, publish (TypeScript and publish() in 60-publish.sql)
-- and half-message commit (which sends or publishes). Each path calls these inside
-- its one statement, so a refused message leaves nothing behind.
--
-- Errors carry their own SQLSTATEs, which libs/core maps to its errors:
--   PB413 message larger than maxMessageBytes → MessageTooLargeError (413)
--   PB429 maxLength reached, overflow "reject"  → QueueFullError (429)
-- The field the error is about is in DETAIL.

-- A message's size: body plus headers as JSON text, in UTF-8 bytes (what
-- maxMessageBytes limits). The TypeScript paths measure the JSON text they
-- send (messages/message.ts, Buffer.byteLength: no work for Postgres);
-- psql send() and publish() measure jsonb's text with this, which prints
-- ", " and ": " and so counts a few bytes more for the same value.
-- Printing every body back to text cost 500-message batches ~15% of their
-- throughput (A/B against main, alternating per batch), hence the split.
create or replace function :POSTBOX_SCHEMA.message_bytes(body jsonb, headers jsonb) returns bigint
language sql immutable parallel safe
as $$ select octet_length(body::text)::bigint + coalesce(octet_length(headers::text), 0) $$;

create or replace function :POSTBOX_SCHEMA.message_too_large(queue_name text, max_bytes int, bytes bigint, field text)
returns boolean
language plpgsql volatile
as $$
begin
  raise exception '% is % bytes, more than queue "%" allows (maxMessageBytes %)', field, bytes, queue_name, max_bytes
    using errcode = 'PB413', detail = field;
end;
$$;

-- True, or raises PB413: the one place the limit is compared. `field`
-- names the message in the error ("message", "messages[3]"). Called once
-- per message; the case keeps the raising function off the path of every
-- message that fits.
create or replace function :POSTBOX_SCHEMA.admit_message(
  queue_name text, max_bytes int, bytes bigint, field text default 'message'
) returns boolean
language sql volatile
as $$
  select case when bytes <= max_bytes then true
    else :POSTBOX_SCHEMA.message_too_large(queue_name, max_bytes, bytes, field) end
$$;

-- maxLength (RabbitMQ's x-max-length), called once per statement with the
-- number of messages it brings; true, or raises PB429 (overflow "reject").
-- With overflow "dropOldest" it dead-letters as many ready messages as the
-- queue would exceed by, from the head (the claim's order), as RabbitMQ's
-- drop-head does; in-flight and delayed messages are never dropped.
--
-- It counts the queue's rows (at most max_length of them, an index-only
-- scan of messages_claim_idx) as this transaction sees them: producers
-- whose sends are not yet committed do not see each other, so N concurrent
-- sends can each pass and the queue overshoot by up to the sum of their
-- batch sizes less one free slot (docs/queue-controls.md). A queue without
-- max_length never calls it (the callers test for null first).
create or replace function :POSTBOX_SCHEMA.admit_length(queue_name text, incoming int) returns boolean
language plpgsql volatile
as $$
declare
  cap int;
  how text;
  queued int;
  excess int;
begin
  select q.max_length, q.overflow into cap, how from :POSTBOX_SCHEMA.queues q where q.name = queue_name;
  if cap is null then return true; end if;
  select count(*) into queued from (select 1 from :POSTBOX_SCHEMA.messages m where m.queue = queue_name limit cap) s;
  excess := queued + incoming - cap;
  if excess <= 0 then return true; end if;
  if how = 'reject' then
    raise exception 'queue "%" is full (maxLength %)', queue_name, cap
      using errcode = 'PB429', detail = 'maxLength';
  end if;
  with dropped as (
    delete from :POSTBOX_SCHEMA.messages m
    where m.id in (
      select o.id from :POSTBOX_SCHEMA.messages o
      where o.queue = queue_name and :POSTBOX_SCHEMA.is_ready(o.available_at, o.leased_until, o.lease_token)
      order by o.priority, o.available_at, o.id
      limit excess
      for update skip locked)
    returning :POSTBOX_SCHEMA.dead_letter(m, m.attempts, 'dropped: queue reached maxLength (overflow: dropOldest)', false)
  )
  select count(*) into excess from dropped;
  return true;
end;
$$;

-- When a message sent now expires: its own expiresAt, else now + the
-- queue's messageTtlMs, else never (null).
create or replace function :POSTBOX_SCHEMA.expiry(expires_at timestamptz, message_ttl_ms bigint)
returns timestamptz
language sql stable parallel safe
as $$ select coalesce(expires_at, now() + message_ttl_ms * interval '1 millisecond') $$;

-- A batch as send_plain and send_batch below take it: a JSON array of
-- objects with the keys body (required), headers, priority, delay_ms,
-- available_at, group_key, dedup_key, expires_at and bytes (the size the
-- library measured; absent: message_bytes), read back as rows in input order.
create or replace function :POSTBOX_SCHEMA.batch_rows(batch jsonb)
returns table (
  body jsonb, headers jsonb, priority int, delay_ms bigint, available_at timestamptz, group_key text, dedup_key text,
  expires_at timestamptz, bytes bigint, ord bigint
)
language sql immutable parallel safe
as $$
  select * from rows from (jsonb_to_recordset(batch) as (
    body jsonb, headers jsonb, priority int, delay_ms bigint, available_at timestamptz, group_key text, dedup_key text,
    expires_at timestamptz, bytes bigint
  )) with ordinality as t(body, headers, priority, delay_ms, available_at, group_key, dedup_key, expires_at, bytes, ord)
$$;

-- admit_message for one row of batch_rows: its size (as measured by the
-- library, else message_bytes), named "message" in a batch of one, else
-- "messages[i]" (from 0, as the caller's array).
create or replace function :POSTBOX_SCHEMA.admit_batch_message(
  queue_name text, max_bytes int, batch jsonb, bytes bigint, body jsonb, headers jsonb, ord bigint
) returns boolean
language sql volatile
as $$
  select :POSTBOX_SCHEMA.admit_message(queue_name, max_bytes,
    coalesce(bytes, :POSTBOX_SCHEMA.message_bytes(coalesce(body, 'null'::jsonb), headers)),
    case when jsonb_array_length(batch) = 1 then 'message' else 'messages[' || (ord - 1) || ']' end)
$$;

-- A batch without dedup keys, as the library sends it (libs/core/src/messages/
-- send.ts: sendBatch, and the group commit of concurrent send() calls):
-- `batch` as for send_batch below, a plain INSERT (no dedup_keys work), the
-- same admission. One row per message, in input order (ids ascending), with
-- the writing transaction's id (the commit watcher's, wakeups/commit-watcher.ts).
-- A function for its plan: sent as a statement, this CTE was planned on
-- every call, ~0.36 ms of backend CPU per statement (pg_stat_statements,
-- 750 group-committed sends of 8 messages, PostgreSQL 18) against ~0.25 ms
-- to run it; here the generic plan is made once per connection (PL/pgSQL
-- keeps it on every version; a SQL function is planned on every call
-- before PostgreSQL 18).
create or replace function :POSTBOX_SCHEMA.send_plain(queue_name text, batch jsonb, notify boolean)
returns table (id bigint, duplicate boolean, xid text)
language plpgsql
set plan_cache_mode = force_generic_plan
as $$
#variable_conflict use_column
begin
  return query
    with q as (
      select name, max_message_bytes, message_ttl_ms,
             case when max_length is null then true
                  else :POSTBOX_SCHEMA.admit_length(name, jsonb_array_length(batch)) end as admitted
      from :POSTBOX_SCHEMA.queues where name = queue_name
    ),
    ins as (
      insert into :POSTBOX_SCHEMA.messages (queue, body, headers, priority, available_at, group_key, dedup_key, expires_at)
      select q.name, coalesce(t.body, 'null'::jsonb), t.headers, coalesce(t.priority, 0),
             coalesce(t.available_at, now() + coalesce(t.delay_ms, 0) * interval '1 millisecond'), t.group_key, t.dedup_key,
             :POSTBOX_SCHEMA.expiry(t.expires_at, q.message_ttl_ms)
      from q, :POSTBOX_SCHEMA.batch_rows(batch) t
      where q.admitted and :POSTBOX_SCHEMA.admit_batch_message(q.name, q.max_message_bytes, batch, t.bytes, t.body, t.headers, t.ord)
      order by t.ord
      returning id
    ),
    wake as (select pg_notify(':POSTBOX_SCHEMA.wakeup', queue_name) where notify)
    select ins.id, false, pg_current_xact_id()::text from ins left join wake on true order by ins.id;
end
$$;

-- Send: up to 1000 messages in one statement, with producer deduplication.
-- `batch` is a JSON array of objects with the keys body (required), headers,
-- priority, delay_ms, available_at, group_key, dedup_key, expires_at and
-- bytes (the size the library measured; absent: message_bytes). The queue
-- admits the batch as above (maxLength, maxMessageBytes, messageTtlMs). Returns one row
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
  with q as materialized (
    select name, dedup_window_ms, max_message_bytes, message_ttl_ms,
           case when max_length is null then true
                else :POSTBOX_SCHEMA.admit_length(name, jsonb_array_length(batch)) end as admitted
    from :POSTBOX_SCHEMA.queues where name = queue_name
  ),
  input as materialized (
    select t.*, nextval(':POSTBOX_SCHEMA.messages_id_seq'::regclass) as new_id,
           :POSTBOX_SCHEMA.expiry(t.expires_at, q.message_ttl_ms) as expiry
    from q, :POSTBOX_SCHEMA.batch_rows(batch) t
    where q.admitted and :POSTBOX_SCHEMA.admit_batch_message(q.name, q.max_message_bytes, batch, t.bytes, t.body, t.headers, t.ord)
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
    insert into :POSTBOX_SCHEMA.messages (id, queue, body, headers, priority, available_at, group_key, dedup_key, expires_at)
    select r.new_id, queue_name, coalesce(r.body, 'null'::jsonb), r.headers, coalesce(r.priority, 0),
           coalesce(r.available_at, now() + coalesce(r.delay_ms, 0) * interval '1 millisecond'), r.group_key, r.dedup_key,
           r.expiry
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
  group_key text default null,
  expires_at timestamptz default null
) returns bigint
language plpgsql as $$
declare
  new_id bigint;
begin
  select b.id into new_id from :POSTBOX_SCHEMA.send_batch(queue_name, jsonb_build_array(jsonb_build_object(
    'body', body, 'headers', headers, 'delay_ms', delay_ms, 'priority', priority,
    'dedup_key', dedup_key, 'group_key', group_key, 'expires_at', expires_at))) b;
  if not found then
    raise exception 'queue "%" does not exist', queue_name using errcode = 'P0002';
  end if;
  return new_id;
end;
$$;
