-- Lock-mode claims (consumer option claimMode: 'lock'). The claim is only a
-- row lock taken inside a transaction the caller keeps open while the
-- batch's handlers run; the ack is the DELETE in that same transaction, so a
-- batch costs one commit and no row rewrite. Measured on PostgreSQL 18
-- (embedded, durable defaults, 2 cores), 20,000 messages claimed and deleted
-- 500 at a time on one connection: ~27-36k msg/s as lease claim + ack vs
-- ~66-84k msg/s as lock + delete + commit.
--
-- What the lock costs, and why it is opt-in: the transaction holds a
-- connection, and its xid holds back vacuum, for as long as the slowest
-- handler runs; a process that dies releases the locks at once, so its
-- messages come back immediately but without an attempt counted (attempts
-- count failures: throws and nacks). Lease mode counts every delivery.
--
-- Same candidates as claim_messages (30-claim.sql), plan pinned the same
-- way, paused and expired alike (may_hand_out, is_expired: 10-ready.sql;
-- expire_due: 20-dead-letter.sql). A candidate whose final lease (of a
-- lease-mode consumer) ran out
-- comes back flagged `exhausted`: the caller dead-letters it through nack
-- (nack_held in psql) instead of handling it. enqueued_at comes back as
-- epoch milliseconds: pg parses a timestamptz text with a regex, ~2% of the
-- consumer's CPU in a drain, against a parseFloat for a number.
create or replace function :POSTBOX_SCHEMA.lock_messages(queue_name text, max_messages int)
returns table (
  id bigint, lease_token bigint, body jsonb, headers jsonb, attempts int,
  enqueued_at_ms float8, group_key text, priority int, exhausted boolean
)
language plpgsql
set enable_sort = off
set jit = off
-- One plan for every call, kept for the session (PL/pgSQL), as
-- claim_messages (30-claim.sql): a lock claim of 8 took 0.53 ms of backend
-- CPU re-planned per call, 0.13 ms generic (PostgreSQL 18); on 15, 0.4-0.9 ms
-- as a SQL function, 0.3-0.4 ms as PL/pgSQL (claim of 500: 4.0-4.5 vs 1.5-2.0 µs per row).
set plan_cache_mode = force_generic_plan
as $$
#variable_conflict use_column
begin
  return query
    with q as (
      select fifo, max_attempts from :POSTBOX_SCHEMA.queues where name = queue_name
    ),
    -- Expired messages leave in the caller's transaction, committed with the
    -- batch's acks (a consumer rolls back a claim that found nothing, so
    -- while nothing live is ready they stay, never delivered). As in
    -- claim_messages, a removal wakes the queue (at the commit), and the
    -- guard keeps queues without expiring messages from calling expire_due.
    expired as (
      select case when exists (
        select 1 from :POSTBOX_SCHEMA.messages x where x.queue = queue_name and x.expires_at is not null)
      then :POSTBOX_SCHEMA.expire_due(queue_name, max_messages, statement_timestamp()) else 0 end as n
    ),
    woken as (select pg_notify(':POSTBOX_SCHEMA.wakeup', queue_name) from expired where n > 0)
    select m.id, m.lease_token, m.body, m.headers, m.attempts,
           extract(epoch from m.enqueued_at)::float8 * 1000, m.group_key, m.priority,
           m.attempts >= (select max_attempts from q)
    from :POSTBOX_SCHEMA.messages m
    -- statement_timestamp(), not now(): the consumer begins the transaction
    -- ahead of the claim (a standby, to save a round trip at wake-up), and
    -- now() would be that BEGIN's time, hiding everything that became ready since.
    where m.queue = queue_name and :POSTBOX_SCHEMA.is_ready(m.available_at, m.leased_until, m.lease_token, statement_timestamp())
      and not :POSTBOX_SCHEMA.is_expired(m.expires_at, statement_timestamp())
      and :POSTBOX_SCHEMA.may_hand_out(queue_name)
      and (select count(*) from woken) >= 0  -- one-time filters, as may_hand_out: run once, rows or not
      and ((select not fifo from q) or m.group_key is null or m.id = (
        select min(h.id) from :POSTBOX_SCHEMA.messages h where h.queue = m.queue and h.group_key = m.group_key))
    order by m.priority, m.available_at, m.id
    limit max_messages
    for update of m skip locked;
end
$$;
