--! Previous: sha1:49b50923330b33b48c757d9bee7f8171c1c9db92
--! Hash: sha1:1690dc53ee70acf0c2edd6c182036a7839cc4bf0

-- Lock-mode claims (consumer option claimMode: 'lock', issue 5).
--
-- A lease claim rewrites every claimed row (available_at, lease_token,
-- attempts): a new row version plus an entry in every index, and a commit,
-- before a handler may start; the ack then deletes the row in a second
-- commit. Here the claim is only a row lock taken inside a transaction the
-- consumer keeps open while the batch's handlers run; the ack is the DELETE
-- in that same transaction, so a batch costs one commit and no row rewrite.
-- Measured on PostgreSQL 18 (embedded, durable defaults, 2 cores), 20,000
-- messages claimed and deleted 500 at a time on one connection: ~27-36k
-- msg/s as lease claim + ack vs ~66-84k msg/s as lock + delete + commit.
--
-- What the lock costs in guarantees, and why it is opt-in: the transaction
-- holds a connection, and its xid holds back vacuum, for as long as the
-- slowest handler of the batch runs; a process that dies (or a connection
-- that drops) releases the locks at once, so its messages come back
-- immediately but without an attempt counted (attempts count failures:
-- throws, and nacks). Lease mode counts every delivery.
--
-- Same candidate rule as claim_messages (000004): FIFO heads only, the
-- ordered scan of messages_claim_idx pinned with enable_sort = off and JIT
-- off. A candidate that a lease-mode consumer left exhausted (its final
-- lease expired) comes back flagged, and the consumer dead-letters it through
-- nack instead of running the handler. enqueued_at comes back as epoch
-- milliseconds: pg parses a timestamptz text with a regex, ~2% of the
-- consumer's CPU in a drain, against a parseFloat for a number.
create function :POSTBOX_SCHEMA.lock_messages(queue_name text, max_messages int)
returns table (
  id bigint, lease_token bigint, body jsonb, headers jsonb, attempts int,
  enqueued_at_ms float8, group_key text, priority int, exhausted boolean
)
language sql
set enable_sort = off
set jit = off
as $$
  with q as (
    select fifo, max_attempts from :POSTBOX_SCHEMA.queues where name = queue_name
  )
  select m.id, m.lease_token, m.body, m.headers, m.attempts,
         extract(epoch from m.enqueued_at)::float8 * 1000, m.group_key, m.priority,
         m.attempts >= (select max_attempts from q)
  from :POSTBOX_SCHEMA.messages m
  -- statement_timestamp(), not now(): the consumer begins the transaction
  -- ahead of the claim (a standby, to save a round trip at wake-up), and
  -- now() would be that BEGIN's time, hiding everything that became ready since.
  where m.queue = queue_name and m.available_at <= statement_timestamp()
    and ((select not fifo from q) or m.group_key is null or m.id = (
      select min(h.id) from :POSTBOX_SCHEMA.messages h where h.queue = m.queue and h.group_key = m.group_key))
  order by m.priority, m.available_at, m.id
  limit max_messages
  for update of m skip locked
$$;
