-- Operating a queue (issue 13): purge, delete one message, cancel by dedupKey,
-- and the dead-letter move task. Each is the one home of its rule: the
-- library (libs/core/src/queues/purge-queue.ts, messages/delete-message.ts,
-- messages/cancel-by-dedup-key.ts, tasks/) calls these, and so can psql.
--
-- States are message_state() (10-ready.sql), the one definition of ready,
-- delayed and in flight. A row locked by a lock-mode consumer is in flight
-- too: every statement here skips locked rows.

-- One batch of a purge of live messages: deletes up to batch_size messages
-- of the given states (ready, delayed) with after_id < id <= max_id (max_id:
-- the newest id when the purge began, so a purge racing live sends ends) and
-- returns how many and the last id it looked at, where the next batch starts.
-- Keyset batches walk the primary key once: a batch that started from the
-- queue's head again would step over every row the earlier batches deleted
-- (their index entries stay until vacuum), which made 100 batches of 10k take
-- ~10x as long as one DELETE. Each batch is its own transaction when the
-- caller autocommits, so a purge of 1M rows never holds anything a send needs
-- for more than one batch (sends only insert).
create or replace function :POSTBOX_SCHEMA.purge_messages_batch(
  queue_name text, states text[], max_id bigint, after_id bigint, batch_size int default 10000
) returns table (purged int, last_id bigint)
language sql
-- Pinned to the ordered primary-key scan, as claim_messages pins its index
-- (30-claim.sql): the planner cannot estimate message_state(…) = any(states)
-- and, guessing it rare, could read the whole table and sort it per batch.
-- The ORDER BY id has no sort-free plan but that scan. jit off: enable_sort =
-- off inflates the costs past jit_above_cost before PostgreSQL 18.
set enable_sort = off
set jit = off
as $$
  with doomed as (
    select m.id from :POSTBOX_SCHEMA.messages m
    where m.id > after_id and m.id <= max_id and m.queue = queue_name
      and :POSTBOX_SCHEMA.message_state(m.available_at, m.leased_until, m.lease_token) = any (states)
    order by m.id
    limit batch_size
    for update skip locked
  ),
  gone as (
    delete from :POSTBOX_SCHEMA.messages m using doomed d where m.id = d.id returning m.id
  )
  select (select count(*) from gone)::int, (select max(id) from doomed)
$$;

-- The same for the queue's dead letters (dead_letters, keyset on (queue, id)).
create or replace function :POSTBOX_SCHEMA.purge_dead_batch(
  queue_name text, max_id bigint, after_id bigint, batch_size int default 10000
) returns table (purged int, last_id bigint)
language sql
set enable_sort = off -- dead_letters_queue_idx (queue, id) in order, as above
set jit = off
as $$
  with doomed as (
    select d.id from :POSTBOX_SCHEMA.dead_letters d
    where d.queue = queue_name and d.id > after_id and d.id <= max_id
    order by d.id
    limit batch_size
    for update skip locked
  ),
  gone as (
    delete from :POSTBOX_SCHEMA.dead_letters d using doomed x where d.id = x.id returning d.id
  )
  select (select count(*) from gone)::int, (select max(id) from doomed)
$$;

-- The whole purge for psql users: batches until a short one, returns the count.
-- A function runs in one transaction; for millions of rows prefer the library
-- or POST /v1/queues/:queue/purge, which commit each batch.
create or replace function :POSTBOX_SCHEMA.purge_queue(queue_name text, states text[])
returns bigint
language plpgsql as $$
declare
  max_id bigint;
  batch record;
  after_id bigint := 0;
  total bigint := 0;
begin
  if not exists (select 1 from :POSTBOX_SCHEMA.queues where name = queue_name) then
    raise exception 'queue "%" does not exist', queue_name using errcode = 'P0002';
  end if;
  if states is null or cardinality(states) = 0 or not states <@ array['ready', 'delayed', 'dead'] then
    raise exception 'states must list one or more of ready, delayed, dead' using errcode = '22023';
  end if;
  select greatest(
    (select coalesce(max(id), 0) from :POSTBOX_SCHEMA.messages),
    (select coalesce(max(id), 0) from :POSTBOX_SCHEMA.dead_letters)) into max_id;
  if 'ready' = any (states) or 'delayed' = any (states) then
    loop
      select * into batch from :POSTBOX_SCHEMA.purge_messages_batch(queue_name, states, max_id, after_id, 10000);
      total := total + batch.purged;
      exit when batch.last_id is null;
      after_id := batch.last_id;
    end loop;
  end if;
  if 'dead' = any (states) then
    after_id := 0;
    loop
      select * into batch from :POSTBOX_SCHEMA.purge_dead_batch(queue_name, max_id, after_id, 10000);
      total := total + batch.purged;
      exit when batch.last_id is null;
      after_id := batch.last_id;
    end loop;
  end if;
  return total;
end;
$$;

-- Deletes one message by id: 'deleted', 'in_flight' (leased or locked, and
-- force is false: nothing done) or 'not_found'. A dead letter of the queue
-- (dead_letters) is deleted the same way. The dedup key, if any, stays: a
-- retried send within the window still gets the original id (as SQS).
create or replace function :POSTBOX_SCHEMA.delete_message(
  queue_name text, message_id bigint, force boolean default false
) returns text
language plpgsql as $$
begin
  if force then
    delete from :POSTBOX_SCHEMA.messages where queue = queue_name and id = message_id;
    if found then return 'deleted'; end if;
  else
    delete from :POSTBOX_SCHEMA.messages m where m.id = (
      select x.id from :POSTBOX_SCHEMA.messages x
      where x.queue = queue_name and x.id = message_id
        and :POSTBOX_SCHEMA.message_state(x.available_at, x.leased_until, x.lease_token) <> 'inFlight'
      for update skip locked);
    if found then return 'deleted'; end if;
    if exists (select 1 from :POSTBOX_SCHEMA.messages where queue = queue_name and id = message_id) then
      return 'in_flight';
    end if;
  end if;
  delete from :POSTBOX_SCHEMA.dead_letters where queue = queue_name and id = message_id;
  if found then return 'deleted'; end if;
  return 'not_found';
end;
$$;

-- Cancels the not-yet-delivered message(s) sent with this dedupKey: one row
-- per message, outcome 'cancelled' or 'in_flight' (left alone); no rows = none.
-- The key is released too, so the same dedupKey can schedule a new message.
create or replace function :POSTBOX_SCHEMA.cancel_by_dedup_key(queue_name text, key text)
returns table (id bigint, outcome text)
language plpgsql as $$
begin
  return query
  with cancelled as (
    delete from :POSTBOX_SCHEMA.messages m where m.id in (
      select x.id from :POSTBOX_SCHEMA.messages x
      where x.queue = queue_name and x.dedup_key = key
        and :POSTBOX_SCHEMA.message_state(x.available_at, x.leased_until, x.lease_token) <> 'inFlight'
      for update skip locked)
    returning m.id
  ),
  released as (
    delete from :POSTBOX_SCHEMA.dedup_keys k
    where k.queue = queue_name and k.dedup_key = key and k.message_id in (select c.id from cancelled c)
  )
  select c.id, 'cancelled'::text from cancelled c
  union all
  select x.id, 'in_flight'::text from :POSTBOX_SCHEMA.messages x
  where x.queue = queue_name and x.dedup_key = key and x.id not in (select c.id from cancelled c);
end;
$$;

-- The dead-letter move task (SQS StartMessageMoveTask). Moves, from
-- source_queue: (1) its live messages that are dead letters of another queue
-- (header x-postbox-dead-letter-from, set when a queue with a deadLetterQueue
-- dead-letters a message), back to that queue or to destination_queue; and
-- (2) its own dead letters (dead_letters, queues without a deadLetterQueue),
-- back to itself or to destination_queue. Messages in flight, or whose
-- destination queue no longer exists, are left where they are.
create or replace function :POSTBOX_SCHEMA.start_move_task(
  source_queue text, destination_queue text default null, max_per_second int default null
) returns uuid
language plpgsql as $$
declare
  task_id uuid;
  newest bigint;
  movable bigint;
begin
  if not exists (select 1 from :POSTBOX_SCHEMA.queues where name = source_queue) then
    raise exception 'queue "%" does not exist', source_queue using errcode = 'P0002';
  end if;
  if destination_queue is not null
     and not exists (select 1 from :POSTBOX_SCHEMA.queues where name = destination_queue) then
    raise exception 'queue "%" does not exist', destination_queue using errcode = 'P0002';
  end if;
  select coalesce(max(id), 0) into newest from :POSTBOX_SCHEMA.messages;
  select
    (select count(*) from :POSTBOX_SCHEMA.messages m
     where m.queue = source_queue and m.headers ? 'x-postbox-dead-letter-from'
       and :POSTBOX_SCHEMA.message_state(m.available_at, m.leased_until, m.lease_token) <> 'inFlight'
       and exists (select 1 from :POSTBOX_SCHEMA.queues q
                   where q.name = coalesce(destination_queue, m.headers->>'x-postbox-dead-letter-from')))
    + (select count(*) from :POSTBOX_SCHEMA.dead_letters d where d.queue = source_queue)
  into movable;
  insert into :POSTBOX_SCHEMA.tasks (kind, source, destination, total, max_message_id, max_per_second,
                                     state, finished_at)
  values ('move', source_queue, destination_queue, movable, newest, max_per_second,
          case when movable = 0 then 'completed' else 'running' end,
          case when movable = 0 then now() end)
  returning id into task_id;
  return task_id;
end;
$$;

-- Leases a running task to runner_id for lease_ms: the given one, or (task_id
-- null) the oldest whose lease ran out (its process died). Null = none.
create or replace function :POSTBOX_SCHEMA.lease_task(task_id uuid, runner_id bigint, lease_ms int)
returns uuid
language sql as $$
  update :POSTBOX_SCHEMA.tasks t
  set runner = runner_id, lease_until = now() + lease_ms * interval '1 millisecond', updated_at = now()
  where t.id = (
    select x.id from :POSTBOX_SCHEMA.tasks x
    where x.state = 'running' and (x.lease_until is null or x.lease_until < now())
      and (task_id is null or x.id = task_id)
    order by x.lease_until nulls first
    limit 1
    for update skip locked)
  returning t.id
$$;

-- One batch of a move task, atomic with its progress: the moved messages and
-- the task's new count commit together, so a crash between batches repeats
-- and loses nothing. Returns the messages moved, or -1 when runner_id no
-- longer holds the task (its lease ran out and another process took it over,
-- or the task ended). A short batch completes the task.
create or replace function :POSTBOX_SCHEMA.move_batch(
  task_id uuid, runner_id bigint, batch_size int, lease_ms int
) returns int
language plpgsql
-- The candidates in messages_claim_idx order (no sort), as purge_messages_batch.
set enable_sort = off
set jit = off
as $$
declare
  t :POSTBOX_SCHEMA.tasks;
  live int := 0;
  dead int := 0;
  destinations text[];
begin
  select * into t from :POSTBOX_SCHEMA.tasks where id = task_id for update;
  if not found or t.state <> 'running' or t.runner is distinct from runner_id then
    return -1;
  end if;
  with picked as (
    select m.id, coalesce(t.destination, m.headers->>'x-postbox-dead-letter-from') as destination
    from :POSTBOX_SCHEMA.messages m
    where m.queue = t.source and m.id <= t.max_message_id
      and m.headers ? 'x-postbox-dead-letter-from'
      and :POSTBOX_SCHEMA.message_state(m.available_at, m.leased_until, m.lease_token) <> 'inFlight'
      and exists (select 1 from :POSTBOX_SCHEMA.queues q
                  where q.name = coalesce(t.destination, m.headers->>'x-postbox-dead-letter-from'))
    -- The claim's order, so messages_claim_idx reads only this queue (ordering
    -- by id alone walked the primary key through every queue's messages).
    order by m.priority, m.available_at, m.id
    limit batch_size
    for update of m skip locked
  ),
  gone as (
    delete from :POSTBOX_SCHEMA.messages m using picked p where m.id = p.id
    returning m.*, p.destination
  ),
  -- Back as it was sent: attempts 0, ready now, the dead-letter headers
  -- dropped (the last error stays in last_error for the record).
  moved as (
    insert into :POSTBOX_SCHEMA.messages (queue, priority, enqueued_at, group_key, last_error, headers, body)
    select g.destination, g.priority, g.enqueued_at, g.group_key, g.last_error,
           nullif(g.headers - array['x-postbox-dead-letter-from', 'x-postbox-original-id',
                                    'x-postbox-attempts', 'x-postbox-last-error'], '{}'::jsonb),
           g.body
    from gone g order by g.id
    returning queue
  )
  select count(*), array_agg(distinct queue) into live, destinations from moved;
  perform pg_notify(':POSTBOX_SCHEMA.wakeup', d) from unnest(destinations) d;
  if live < batch_size then
    with picked as (
      select d.id from :POSTBOX_SCHEMA.dead_letters d
      where d.queue = t.source and d.dead_at <= t.created_at
        and exists (select 1 from :POSTBOX_SCHEMA.queues q where q.name = coalesce(t.destination, t.source))
      order by d.id
      limit batch_size - live
      for update skip locked
    ),
    gone as (
      delete from :POSTBOX_SCHEMA.dead_letters d using picked p where d.id = p.id returning d.*
    ),
    moved as (
      insert into :POSTBOX_SCHEMA.messages (id, queue, priority, enqueued_at, group_key, last_error, headers, body)
      select g.id, coalesce(t.destination, t.source), g.priority, g.enqueued_at, g.group_key, g.last_error,
             g.headers, g.body
      from gone g order by g.id
      returning queue
    )
    select count(*) into dead from moved;
    if dead > 0 then
      perform pg_notify(':POSTBOX_SCHEMA.wakeup', coalesce(t.destination, t.source));
    end if;
  end if;
  update :POSTBOX_SCHEMA.tasks
  set moved = moved + live + dead,
      lease_until = case when live + dead < batch_size then null
                         else now() + lease_ms * interval '1 millisecond' end,
      state = case when live + dead < batch_size then 'completed' else 'running' end,
      finished_at = case when live + dead < batch_size then now() end,
      updated_at = now()
  where id = task_id;
  return live + dead;
end;
$$;

-- A runner stopping gracefully hands its task back at once (no lease to wait out).
create or replace function :POSTBOX_SCHEMA.release_task(task_id uuid, runner_id bigint)
returns void
language sql as $$
  update :POSTBOX_SCHEMA.tasks set lease_until = null, updated_at = now()
  where id = task_id and runner = runner_id and state = 'running'
$$;

-- Whole move for psql users: starts the task and runs it to the end in this
-- transaction (the library and REST run it in committed batches instead).
create or replace function :POSTBOX_SCHEMA.move_dead_letters(
  source_queue text, destination_queue text default null
) returns bigint
language plpgsql as $$
declare
  task_id uuid;
  runner_id bigint := (random() * 1e15)::bigint;
  n int;
  total bigint := 0;
begin
  task_id := :POSTBOX_SCHEMA.start_move_task(source_queue, destination_queue);
  if :POSTBOX_SCHEMA.lease_task(task_id, runner_id, 60000) is null then
    return 0;
  end if;
  loop
    n := :POSTBOX_SCHEMA.move_batch(task_id, runner_id, 1000, 60000);
    exit when n < 0;
    total := total + n;
    exit when n < 1000;
  end loop;
  return total;
end;
$$;
