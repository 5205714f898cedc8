-- How long a failed delivery waits before it is ready again: the queue's
-- exponential backoff, initial_ms·2^(attempts-1) capped at max_ms, with
-- "equal jitter" (half fixed, half random) so a burst of failures does not
-- come back as a burst. The library's nack statement
-- (libs/core/src/messages/nack.ts) and nack_messages below both call it.
create or replace function :POSTBOX_SCHEMA.retry_delay_ms(attempts int, initial_ms int, max_ms int)
returns float8
language sql volatile parallel safe
as $$ select least(max_ms, initial_ms * power(2, greatest(attempts - 1, 0))) * (0.5 + random() / 2) $$;

-- Nack, for psql: returns the deliveries (id, lease token) to the queue. A
-- message with attempts left is ready again after delay_ms (or the backoff
-- above); one on its final attempt dies (dead_letter, 20-dead-letter.sql).
-- held_lock: the caller's transaction holds the rows through
-- lock_messages(), which counted no attempt, so this failure is counted
-- here (a row whose final lease had already run out is not counted again:
-- it dies with the attempts it had, its reason saying the lease expired).
--
-- The library's nack runs the same statement built in TypeScript (batch
-- arrays, plan checked by test/receipt-plans.spec.ts); both call
-- retry_delay_ms and dead_letter, and test/conformance runs every
-- branch through both.
-- dead_now: dead-letter these at once, attempts left or not (a handler's
-- UnrecoverableError; an invalid body). The signature without it is dropped
-- here so that calls with defaults stay unambiguous.
drop function if exists :POSTBOX_SCHEMA.nack_messages(text, bigint[], bigint[], text[], bigint[], boolean);
create or replace function :POSTBOX_SCHEMA.nack_messages(
  queue_name text, ids bigint[], tokens bigint[], errors text[] default null, delays_ms bigint[] default null,
  held_lock boolean default false, dead_now boolean[] default null
) returns table (id bigint, lease_token bigint, outcome text)
language sql as $$
  with q as (
    select max_attempts, backoff_initial_ms, backoff_max_ms from :POSTBOX_SCHEMA.queues where name = queue_name
  ),
  input as (
    select u.id, u.token, left(u.error, 10000) as error, u.delay_ms, coalesce(u.dead_now, false) as dead_now
    from unnest(ids, tokens, coalesce(errors, array[]::text[]), coalesce(delays_ms, array[]::bigint[]),
                coalesce(dead_now, array[]::boolean[]))
      as u(id, token, error, delay_ms, dead_now)
  ),
  target as (
    select m.id, i.token, i.error, i.delay_ms, i.dead_now,
           m.attempts + case when held_lock and m.attempts < q.max_attempts then 1 else 0 end as attempts,
           held_lock and m.attempts >= q.max_attempts as lease_expired
    from :POSTBOX_SCHEMA.messages m
    join input i on m.id = i.id and m.lease_token is not distinct from i.token
    cross join q
    where m.id = any(ids) and m.queue = queue_name
    for update of m
  ),
  retried as (
    update :POSTBOX_SCHEMA.messages m
    set lease_token = null,
        attempts = x.attempts,
        last_error = coalesce(x.error, m.last_error),
        available_at = statement_timestamp() + interval '1 millisecond' * coalesce(
          x.delay_ms, :POSTBOX_SCHEMA.retry_delay_ms(x.attempts, q.backoff_initial_ms, q.backoff_max_ms))
    from target x, q
    where m.id = any(ids) and m.id = x.id and x.attempts < q.max_attempts and not x.dead_now
    returning m.id, x.token
  ),
  exhausted as (
    delete from :POSTBOX_SCHEMA.messages m using target x, q
    where m.id = any(ids) and m.id = x.id and (x.attempts >= q.max_attempts or x.dead_now)
    returning m.id, x.token, :POSTBOX_SCHEMA.dead_letter(m, x.attempts, x.error, x.lease_expired)
  )
  select r.id, r.token, 'retried' from retried r
  union all
  select e.id, e.token, 'dead' from exhausted e
$$;

-- Nack one receipt: 'retried', 'dead' (dead-lettered), or null when the
-- receipt matched no current delivery.
-- dead_letter: dead-letter it now (see nack_messages' dead_now).
drop function if exists :POSTBOX_SCHEMA.nack(text, text, bigint);
create or replace function :POSTBOX_SCHEMA.nack(
  receipt text, error text default null, delay_ms bigint default null, dead_letter boolean default false
)
returns text
language sql as $$
  select n.outcome from :POSTBOX_SCHEMA.nack_messages(
    (select m.queue from :POSTBOX_SCHEMA.messages m where m.id = split_part(receipt, '.', 1)::bigint),
    array[split_part(receipt, '.', 1)::bigint], array[split_part(receipt, '.', 2)::bigint],
    array[error], array[delay_ms], false, array[dead_letter]) n
$$;

-- Sets the lease of a delivery to end visibility_timeout_ms from now (SQS
-- ChangeMessageVisibility); 0 makes it visible at once, the receipt still
-- valid. True when the receipt matched the current delivery.
create or replace function :POSTBOX_SCHEMA.extend(receipt text, visibility_timeout_ms int) returns boolean
language sql as $$
  with changed as (
    update :POSTBOX_SCHEMA.messages m
    set available_at = now() + visibility_timeout_ms * interval '1 millisecond',
        leased_until = now() + visibility_timeout_ms * interval '1 millisecond'
    where m.id = split_part(receipt, '.', 1)::bigint and m.lease_token = split_part(receipt, '.', 2)::bigint
    returning 1
  )
  select exists (select 1 from changed)
$$;

-- Gives back a delivery never started: visible again at once, and the
-- attempt its claim counted is taken back. True when it matched.
create or replace function :POSTBOX_SCHEMA.release(receipt text) returns boolean
language sql as $$
  with released as (
    update :POSTBOX_SCHEMA.messages m
    set available_at = now(), lease_token = null, attempts = greatest(m.attempts - 1, 0)
    where m.id = split_part(receipt, '.', 1)::bigint and m.lease_token = split_part(receipt, '.', 2)::bigint
    returning 1
  )
  select exists (select 1 from released)
$$;

-- Moves dead letters back into their queue as fresh, ready messages (same
-- id, attempts reset, last error kept for the record), oldest first, and
-- with `notify` wakes the queue's consumers at commit. ids null: every dead
-- letter of the queue. Returns how many. The library's redrive calls this
-- (notify only inside the caller's transaction; outside one it wakes the
-- queue after the commit: libs/core/src/wakeups/wakeup.ts).
create or replace function :POSTBOX_SCHEMA.redrive(queue_name text, ids bigint[] default null, notify boolean default true)
returns int
language sql as $$
  with dead as (
    delete from :POSTBOX_SCHEMA.dead_letters d
    where d.queue = queue_name and (ids is null or d.id = any(ids))
    returning d.*
  ),
  back as (
    insert into :POSTBOX_SCHEMA.messages (id, queue, priority, enqueued_at, group_key, last_error, headers, body)
    select id, queue, priority, enqueued_at, group_key, last_error, headers, body from dead
    order by id
    returning 1
  ),
  counted as (select count(*)::int as n from back)
  select c.n from counted c
  left join lateral (select pg_notify(':POSTBOX_SCHEMA.wakeup', queue_name) where notify and c.n > 0) w on true
$$;
