--! Previous: sha1:e04c9493ffc187a72f3a350d9fbc68938dd130ca
--! Hash: sha1:05a78485ce6e186343a9f17ecf694e0121ecdccb

-- Hot-path tuning (bench/, issue 5).

-- The claim's candidate scan, as a function so that it can carry its own
-- planner setting. The claim must read messages_claim_idx in order and stop
-- after max_messages entries; Postgres only does that when it believes the
-- queue holds many rows. With stale statistics (a table analyzed while empty
-- or while this queue was small, i.e. right when a burst arrives) it chose a
-- bitmap scan of every ready row plus a sort instead: 15-22 ms per claim on
-- a 20k backlog vs 0.5 ms, and the drain bench fell to ~1k msg/s.
-- enable_sort = off leaves the ordered index scan as the only sort-free plan,
-- whatever the statistics say. (SQL only, no side effects besides the row
-- locks, which the calling statement's transaction keeps.)
create function :POSTBOX_SCHEMA.claim_candidates(queue_name text, max_messages int, fifo boolean)
returns table (id bigint, attempts int)
language sql
set enable_sort = off
as $$
  select m.id, m.attempts from :POSTBOX_SCHEMA.messages m
  where m.queue = queue_name and m.available_at <= now()
    -- FIFO queues only consider the head (lowest id) of each message group.
    and (not fifo or m.group_key is null or m.id = (
      select min(h.id) from :POSTBOX_SCHEMA.messages h where h.queue = m.queue and h.group_key = m.group_key))
  order by m.priority, m.available_at, m.id
  limit max_messages
  for update skip locked
$$;
