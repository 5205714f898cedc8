-- Operating a queue from psql: pause, resume, change settings in place.
-- The TypeScript verbs (libs/core/src/queues/pause-queue.ts,
-- resume-queue.ts, update-queue.ts) call these same functions, so each
-- change is written in one place. docs/queue-controls.md says what each
-- setting does to messages already queued or in flight.

-- Pauses (or, with false, resumes) a queue; returns its row. While paused,
-- claims hand nothing out (may_hand_out, 10-ready.sql); sends still land.
-- Resuming NOTIFYs the queue's wake-up channel at commit, so waiting
-- receives and consumers claim at once instead of at their next poll.
create or replace function :POSTBOX_SCHEMA.pause_queue(queue_name text, pause boolean default true)
returns :POSTBOX_SCHEMA.queues
language plpgsql as $$
declare
  row :POSTBOX_SCHEMA.queues;
begin
  update :POSTBOX_SCHEMA.queues q set paused = pause where q.name = queue_name returning q.* into row;
  if not found then
    raise exception 'queue "%" does not exist', queue_name using errcode = 'P0002';
  end if;
  if not pause then perform pg_notify(':POSTBOX_SCHEMA.wakeup', queue_name); end if;
  return row;
end;
$$;

create or replace function :POSTBOX_SCHEMA.resume_queue(queue_name text)
returns :POSTBOX_SCHEMA.queues
language sql as $$ select * from :POSTBOX_SCHEMA.pause_queue(queue_name, false) $$;

-- Changes any subset of a queue's settings in place, named as in the REST
-- API: {"maxAttempts": 3, "messageTtlMs": null, "backoff": {"maxMs": 60000}}.
-- A key set to null clears a nullable setting (deadLetterQueue, retentionMs,
-- messageTtlMs, maxLength) and is refused for the others. Bounds are the
-- table's CHECK constraints (the TypeScript verb checks the same bounds
-- first, to name the field). Errors: 22023 with the field in DETAIL.
create or replace function :POSTBOX_SCHEMA.update_queue(queue_name text, settings jsonb)
returns :POSTBOX_SCHEMA.queues
language plpgsql as $$
declare
  row :POSTBOX_SCHEMA.queues;
  field text;
  dlq text := settings ->> 'deadLetterQueue';
  b jsonb := settings -> 'backoff';
begin
  if jsonb_typeof(settings) is distinct from 'object' then
    raise exception 'settings must be a JSON object' using errcode = '22023', detail = 'settings';
  end if;
  select k into field from jsonb_object_keys(settings) k
  where k not in ('maxAttempts', 'visibilityTimeoutMs', 'deadLetterQueue', 'fifo', 'retentionMs', 'backoff',
                  'dedupWindowMs', 'messageTtlMs', 'expiredTo', 'maxLength', 'overflow', 'maxMessageBytes')
  limit 1;
  if field is not null then
    raise exception '% is not a queue setting', field using errcode = '22023', detail = field;
  end if;
  select k into field from jsonb_each(settings) e(k, v)
  where v = 'null'::jsonb
    and k not in ('deadLetterQueue', 'retentionMs', 'messageTtlMs', 'maxLength')
  limit 1;
  if field is not null then
    raise exception '% cannot be null', field using errcode = '22023', detail = field;
  end if;
  if dlq is not null then
    if dlq = queue_name then
      raise exception 'deadLetterQueue must name another queue, not the queue itself'
        using errcode = '22023', detail = 'deadLetterQueue';
    end if;
    if not exists (select 1 from :POSTBOX_SCHEMA.queues where name = dlq) then
      raise exception 'deadLetterQueue names queue "%", which does not exist', dlq
        using errcode = '22023', detail = 'deadLetterQueue';
    end if;
  end if;
  update :POSTBOX_SCHEMA.queues q set
    max_attempts = coalesce((settings ->> 'maxAttempts')::int, q.max_attempts),
    visibility_timeout_ms = coalesce((settings ->> 'visibilityTimeoutMs')::int, q.visibility_timeout_ms),
    dead_letter_queue = case when settings ? 'deadLetterQueue' then dlq else q.dead_letter_queue end,
    fifo = coalesce((settings ->> 'fifo')::boolean, q.fifo),
    retention_ms = case when settings ? 'retentionMs' then (settings ->> 'retentionMs')::bigint else q.retention_ms end,
    backoff_initial_ms = coalesce((b ->> 'initialMs')::int, q.backoff_initial_ms),
    backoff_max_ms = coalesce((b ->> 'maxMs')::int, q.backoff_max_ms),
    dedup_window_ms = coalesce((settings ->> 'dedupWindowMs')::int, q.dedup_window_ms),
    message_ttl_ms = case when settings ? 'messageTtlMs' then (settings ->> 'messageTtlMs')::bigint
                          else q.message_ttl_ms end,
    expired_to = coalesce(settings ->> 'expiredTo', q.expired_to),
    max_length = case when settings ? 'maxLength' then (settings ->> 'maxLength')::int else q.max_length end,
    overflow = coalesce(settings ->> 'overflow', q.overflow),
    max_message_bytes = coalesce((settings ->> 'maxMessageBytes')::int, q.max_message_bytes)
  where q.name = queue_name
  returning q.* into row;
  if not found then
    raise exception 'queue "%" does not exist', queue_name using errcode = 'P0002';
  end if;
  return row;
end;
$$;
