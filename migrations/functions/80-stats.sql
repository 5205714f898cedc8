-- Queue depth as the REST API, /metrics and the dashboard read it
-- (queue-stats.ts), for the queues named (all when null). A queue holding
-- at most exact_limit messages and dead letters is counted exactly, states as
-- in 10-ready.sql; a larger one only answers large = true (its counts come
-- from a snapshot shared in the process, large-queue-stats.ts): counting 1M
-- waiting rows on every call took 240-670 ms, and five dashboards polling
-- ~1 s a poll.
--
-- Every scan here is ORDER BY an index's own order with a LIMIT, so the plan
-- does not hang on statistics. Without it, with one queue holding nearly all
-- rows the planner expected any queue to match at once and scanned all 1M
-- rows sequentially for each small queue (1.1-3.4 s a call at 1M waiting);
-- a sequential scan must now also sort the whole queue, which always costs
-- more than reading exact_limit + 1 index entries. Queues in known_large
-- (their snapshot said so) are not probed at all: at 1M waiting the probe
-- reads 10,001 index entries, ~2 ms a call, which five callers polling made
-- a noticeable share of a core. For the same reason the
-- exact counts are not the queue_stats view's: its per-queue aggregate has no
-- LIMIT, so the planner flattened it into a join that counted every queue,
-- large ones included, before any filter on size could apply.
create or replace function :POSTBOX_SCHEMA.queue_depths(queue_names text[], exact_limit int, known_large text[])
returns table (
  queue text,
  large boolean,
  ready bigint,
  delayed bigint,
  in_flight bigint,
  dead bigint,
  oldest_ready_age_ms double precision
)
language sql stable
as $$
  select
    q.name,
    k.known or mc.n > exact_limit or dc.n > exact_limit,
    coalesce(s.ready, 0),
    coalesce(s.delayed, 0),
    coalesce(s.in_flight, 0),
    dc.n,
    round(extract(epoch from now() - s.oldest_ready_enqueued_at) * 1000)::double precision
  from :POSTBOX_SCHEMA.queues q
  cross join lateral (select coalesce(q.name = any(known_large), false) as known) k
  cross join lateral (
    select count(*) as n from (
      select from :POSTBOX_SCHEMA.messages m
      where m.queue = q.name and not k.known
      order by m.priority, m.available_at, m.id
      limit exact_limit + 1
    ) x
  ) mc
  cross join lateral (
    select count(*) as n from (
      select from :POSTBOX_SCHEMA.dead_letters d
      where d.queue = q.name and not k.known
      order by d.id
      limit exact_limit + 1
    ) x
  ) dc
  -- Gated per queue by the probes above (a one-time filter: nothing is read for a large queue).
  left join lateral (
    select
      count(*) filter (where :POSTBOX_SCHEMA.message_state(available_at, leased_until, lease_token) = 'ready') as ready,
      count(*) filter (where :POSTBOX_SCHEMA.message_state(available_at, leased_until, lease_token) = 'delayed') as delayed,
      count(*) filter (where :POSTBOX_SCHEMA.message_state(available_at, leased_until, lease_token) = 'inFlight') as in_flight,
      min(enqueued_at) filter (where :POSTBOX_SCHEMA.is_ready(available_at, leased_until, lease_token)) as oldest_ready_enqueued_at
    from (
      select m.available_at, m.leased_until, m.lease_token, m.enqueued_at from :POSTBOX_SCHEMA.messages m
      where m.queue = q.name and not k.known and mc.n <= exact_limit and dc.n <= exact_limit
      order by m.priority, m.available_at, m.id
      limit exact_limit
    ) x
  ) s on true
  where queue_names is null or q.name = any(queue_names)
$$;
