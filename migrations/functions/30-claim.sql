-- The lease claim (libs/core/src/messages/claim.ts documents its semantics):
-- up to max_messages ready messages straight off messages_claim_idx with
-- FOR UPDATE SKIP LOCKED, leased by moving available_at forward with a fresh
-- lease token; FIFO queues only offer each group's head (lowest id); a
-- candidate whose final lease ran out is dead-lettered instead (20-dead-letter.sql);
-- a paused queue (may_hand_out, 10-ready.sql) offers no candidates; expired
-- messages (is_expired, 10-ready.sql) are never candidates, and each claim
-- removes up to max_messages of them (expire_due, 20-dead-letter.sql).
--
-- Why a function, when most operations are statements in libs/core:
-- 1. Its plan is cached per connection (Kysely cannot name statements).
--    Planning the CTE took ~0.7-1 ms against ~0.5 ms to run it for a few
--    rows; claim (1 row) + ack on one connection: 2.45 ms as a statement,
--    1.85 ms through the function. PL/pgSQL, not SQL: before PostgreSQL 18
--    a SQL function's statements are planned again on every call, while
--    PL/pgSQL keeps its plans for the session. Backend CPU per claim of 8
--    on PostgreSQL 15: 1.4-1.5 ms as SQL, 0.4-0.6 ms as PL/pgSQL with the
--    generic plan below (claim of 500: 11.5-19 vs 10-11.5 µs per row);
--    on 18 the two measure the same.
-- 2. It pins the plan. With stale statistics (a table analyzed while empty,
--    exactly when a burst arrives) Postgres chose a bitmap scan of every
--    ready row plus a sort: 15-22 ms per claim on a 20k backlog instead of
--    0.5 ms. enable_sort = off leaves the ordered index scan as the only
--    sort-free plan (the final ORDER BY of the claimed rows sorts in every plan).
--
-- count_attempt: every caller passes true now (REST, SQL receive and the
-- lease-mode consumer, whose claim sizer keeps its unstarted buffer small:
-- libs/core/src/consumer/lease-claims.ts). false is kept for old callers.
create or replace function :POSTBOX_SCHEMA.claim_messages(
  queue_name text, max_messages int, lease_ms int, count_attempt boolean default true
)
returns table (
  id bigint, lease_token bigint, body jsonb, headers jsonb, attempts int,
  enqueued_at timestamptz, group_key text, priority int, available_at timestamptz
)
language plpgsql
set enable_sort = off
-- enable_sort = off adds a huge cost to the final sort of claimed rows; before
-- PostgreSQL 18 that cost crosses jit_above_cost, and JIT compiling every
-- claim took ~450 ms on PostgreSQL 15 (against ~0.5 ms to run it).
set jit = off
-- The UPDATE and the dead-letter DELETE find each candidate again by id.
-- Left to the planner, with the table's real statistics (20,000 waiting,
-- analyzed), both hash-joined the candidates against a sequential scan of
-- the whole table: 20,000 rows hashed to claim 500. No hash or merge join
-- leaves a nested loop over messages_pkey, one probe per candidate.
set enable_hashjoin = off
set enable_mergejoin = off
-- One plan for every call. The plan cache re-makes a parameterized plan for
-- each call while it judges the generic one dearer, and with LIMIT
-- max_messages unknown it always does (PostgreSQL 18, as a SQL function):
-- planning this CTE was ~0.7 ms of the ~1.0 ms of backend CPU a claim of 8
-- took (0.30 ms generic), and ~2.5 ms of a claim of 500 (15 → 10 µs per row
-- claimed). The settings above leave the generic plan the shape the custom
-- one had: the ordered scan of messages_claim_idx and primary-key probes.
set plan_cache_mode = force_generic_plan
as $$
#variable_conflict use_column
begin
  return query
    with q as (
      select fifo, max_attempts, coalesce(lease_ms, visibility_timeout_ms) as vt,
             gen_random_uuid()::text as claim_key  -- once per claim: lease_token_for, 00-lease-token.sql
      from :POSTBOX_SCHEMA.queues where name = queue_name
    ),
    candidates as (
      select m.id, m.attempts from :POSTBOX_SCHEMA.messages m
      where m.queue = queue_name and :POSTBOX_SCHEMA.is_ready(m.available_at, m.leased_until, m.lease_token)
        and not :POSTBOX_SCHEMA.is_expired(m.expires_at)
        and :POSTBOX_SCHEMA.may_hand_out(queue_name)
        and ((select not fifo from q) or m.group_key is null or m.id = (
          select min(h.id) from :POSTBOX_SCHEMA.messages h where h.queue = m.queue and h.group_key = m.group_key))
      order by m.priority, m.available_at, m.id
      limit max_messages
      for update skip locked
    ),
    claimed as (
      update :POSTBOX_SCHEMA.messages m
      set attempts = m.attempts + case when count_attempt then 1 else 0 end,
          -- Not available_at: leaving every indexed column alone keeps this
          -- UPDATE heap-only (HOT); see migration 000011 and 10-ready.sql.
          leased_until = now() + q.vt * interval '1 millisecond',
          lease_token = :POSTBOX_SCHEMA.lease_token_for(q.claim_key, m.id)
      from candidates c, q
      where m.id = c.id and c.attempts < q.max_attempts
      returning m.id, m.lease_token, m.body, m.headers, m.attempts, m.enqueued_at, m.group_key,
                m.priority, m.leased_until as available_at
    ),
    exhausted as (
      delete from :POSTBOX_SCHEMA.messages m using candidates c, q
      where m.id = c.id and c.attempts >= q.max_attempts
      returning :POSTBOX_SCHEMA.dead_letter(m, m.attempts, null, true)
    ),
    -- The guard is an inline probe of messages_expiry_idx, so a queue with no
    -- expiring message never pays for the function call.
    expired as (
      select case when exists (
        select 1 from :POSTBOX_SCHEMA.messages x where x.queue = queue_name and x.expires_at is not null)
      then :POSTBOX_SCHEMA.expire_due(queue_name, max_messages) else 0 end as n
    ),
    -- A FIFO group whose head just expired has a new head: wake the queue so
    -- it is claimed now, not at the consumers' next poll. Nothing expired, nothing sent.
    woken as (select pg_notify(':POSTBOX_SCHEMA.wakeup', queue_name) from expired where n > 0)
    select c.id, c.lease_token, c.body, c.headers, c.attempts, c.enqueued_at, c.group_key, c.priority, c.available_at
    from claimed c
    where (select count(*) from woken) >= 0  -- a one-time filter: runs woken once, rows or not
    order by c.priority, c.id;
end
$$;

-- SQL-level receive for psql users: the very claim TypeScript runs,
-- returning "<id>.<token>" receipts that ack(), nack(), extend() and the
-- REST/TypeScript verbs accept.
create or replace function :POSTBOX_SCHEMA.receive(
  queue_name text,
  max_messages int default 1,
  visibility_timeout_ms int default null
) returns table (id bigint, receipt text, attempts int, enqueued_at timestamptz, headers jsonb, body jsonb)
language sql as $$
  select c.id, c.id || '.' || c.lease_token, c.attempts, c.enqueued_at, c.headers, c.body
  from :POSTBOX_SCHEMA.claim_messages(queue_name, max_messages, visibility_timeout_ms) c
$$;
