-- What a queue admits, in one place, for every path that sends: the
-- TypeScript send statements (libs/core/src/messages/send.ts), publish
-- (TypeScript and publish() below in 60-publish.sql), half-message commit
-- (which sends or publishes) and send() below. Each path calls these inside
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

-- SQL-level send, so a psql user (or any language) can use a queue without
-- TypeScript. Returns the new message's id.
create or replace function :POSTBOX_SCHEMA.send(
  queue_name text,
  body jsonb,
  headers jsonb default null,
  delay_ms int default 0,
  priority int default 0,
  expires_at timestamptz default null
) returns bigint
language plpgsql as $$
declare
  q :POSTBOX_SCHEMA.queues;
  new_id bigint;
begin
  select * into q from :POSTBOX_SCHEMA.queues where name = queue_name;
  if not found then
    raise exception 'queue "%" does not exist', queue_name using errcode = 'P0002';
  end if;
  perform :POSTBOX_SCHEMA.admit_message(
    queue_name, q.max_message_bytes, :POSTBOX_SCHEMA.message_bytes(send.body, send.headers), 'message');
  if q.max_length is not null then perform :POSTBOX_SCHEMA.admit_length(queue_name, 1); end if;
  insert into :POSTBOX_SCHEMA.messages (queue, body, headers, priority, available_at, expires_at)
  values (queue_name, send.body, send.headers, send.priority, now() + delay_ms * interval '1 millisecond',
          :POSTBOX_SCHEMA.expiry(send.expires_at, q.message_ttl_ms))
  returning id into new_id;
  perform pg_notify(':POSTBOX_SCHEMA.wakeup', queue_name);
  return new_id;
end;
$$;
