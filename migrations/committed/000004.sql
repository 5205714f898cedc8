--! Previous: sha1:8ba9f45d7d287010e0a6cb8e7679557059cdc409
--! Hash: sha1:49b50923330b33b48c757d9bee7f8171c1c9db92

-- Hot-path tuning (bench/, issue 5): the claim as a SQL function.
--
-- Why a function, when every other operation is a statement in libs/core:
--
-- 1. Its plan is cached per connection (PostgreSQL 18 caches SQL-function
--    plans; Kysely cannot name statements, so nothing else on the hot path
--    is prepared). Planning the claim's CTE took ~0.7-1 ms against ~0.5 ms
--    to run it for a few rows; measured claim (1 row) + ack on one
--    connection: 2.45 ms as a statement, 1.85 ms through the function. That
--    is most of the idle-consumer latency budget (send → NOTIFY → claim).
--
-- 2. It can pin the plan. The claim must read messages_claim_idx in order
--    and stop after max_messages entries; Postgres only does that when it
--    believes the queue holds many rows. With stale statistics (a table
--    analyzed while empty, or while this queue was small: exactly when a
--    burst arrives) it chose a bitmap scan of every ready row plus a sort:
--    15-22 ms per claim on a 20k backlog instead of 0.5 ms. enable_sort = off
--    leaves the ordered index scan as the only sort-free plan, whatever the
--    statistics say (the final ORDER BY of the claimed rows sorts in every
--    plan, so it is not affected).
--
-- Semantics are those of libs/core/src/messages/claim.ts (which documents
-- them): lease by moving available_at, fresh lease token, FIFO heads only,
-- and a candidate whose final lease expired is dead-lettered instead (the
-- dead-letter part mirrors deadLetterCtes in messages/dead-letter.ts, which
-- nack still uses; keep the two in step).
create function :POSTBOX_SCHEMA.claim_messages(queue_name text, max_messages int, lease_ms int)
returns table (
  id bigint, lease_token bigint, body jsonb, headers jsonb, attempts int,
  enqueued_at timestamptz, group_key text, priority int, available_at timestamptz
)
language sql
set enable_sort = off
-- enable_sort = off adds a huge cost to the final sort of claimed rows; before
-- PostgreSQL 18 that cost crosses jit_above_cost, and JIT compiling every
-- claim took ~450 ms on PostgreSQL 15 (against ~0.5 ms to run it).
set jit = off
as $$
  with q as (
    select fifo, max_attempts, dead_letter_queue, coalesce(lease_ms, visibility_timeout_ms) as vt
    from :POSTBOX_SCHEMA.queues where name = queue_name
  ),
  candidates as (
    select m.id, m.attempts from :POSTBOX_SCHEMA.messages m
    where m.queue = queue_name and m.available_at <= now()
      and ((select not fifo from q) or m.group_key is null or m.id = (
        select min(h.id) from :POSTBOX_SCHEMA.messages h where h.queue = m.queue and h.group_key = m.group_key))
    order by m.priority, m.available_at, m.id
    limit max_messages
    for update skip locked
  ),
  claimed as (
    update :POSTBOX_SCHEMA.messages m
    set attempts = m.attempts + 1,
        available_at = now() + q.vt * interval '1 millisecond',
        lease_token = (random() * 9007199254740991)::bigint
    from candidates c, q
    where m.id = c.id and c.attempts < q.max_attempts
    returning m.id, m.lease_token, m.body, m.headers, m.attempts, m.enqueued_at, m.group_key,
              m.priority, m.available_at
  ),
  exhausted as (
    delete from :POSTBOX_SCHEMA.messages m using candidates c, q
    where m.id = c.id and c.attempts >= q.max_attempts
    returning m.*
  ),
  to_dead_letters as (
    insert into :POSTBOX_SCHEMA.dead_letters (id, queue, priority, attempts, enqueued_at, group_key, dedup_key, last_error, headers, body)
    select e.id, e.queue, e.priority, e.attempts, e.enqueued_at, e.group_key, e.dedup_key,
           coalesce(e.last_error, 'visibility timeout expired on the final attempt'), e.headers, e.body
    from exhausted e, q where q.dead_letter_queue is null
  ),
  to_dead_letter_queue as (
    insert into :POSTBOX_SCHEMA.messages (queue, priority, enqueued_at, group_key, headers, body, last_error)
    select q.dead_letter_queue, e.priority, e.enqueued_at, e.group_key,
           coalesce(e.headers, '{}'::jsonb) || jsonb_build_object(
             'x-postbox-dead-letter-from', e.queue,
             'x-postbox-original-id', e.id::text,
             'x-postbox-attempts', e.attempts::text,
             'x-postbox-last-error', coalesce(e.last_error, 'visibility timeout expired on the final attempt')),
           e.body, coalesce(e.last_error, 'visibility timeout expired on the final attempt')
    from exhausted e, q where q.dead_letter_queue is not null
  )
  select c.id, c.lease_token, c.body, c.headers, c.attempts, c.enqueued_at, c.group_key, c.priority, c.available_at
  from claimed c order by c.priority, c.id
$$;

-- SQL-level receive for psql users: the very claim TypeScript runs (FIFO
-- heads, dead-lettering of exhausted leases), returning "<id>.<token>"
-- receipts that postbox.ack() and the REST/TypeScript ack accept.
create function :POSTBOX_SCHEMA.receive(
  queue_name text,
  max_messages int default 1,
  visibility_timeout_ms int default null
) returns table (id bigint, receipt text, attempts int, enqueued_at timestamptz, headers jsonb, body jsonb)
language sql as $$
  select c.id, c.id || '.' || c.lease_token, c.attempts, c.enqueued_at, c.headers, c.body
  from :POSTBOX_SCHEMA.claim_messages(queue_name, max_messages, visibility_timeout_ms) c
$$;
