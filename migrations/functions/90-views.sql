-- Inspection views for psql users (the TypeScript stats read them too).
--
-- Dropped and created again on every migrate rather than `create or
-- replace view`, which cannot drop, rename or retype a column: a column
-- change here is then a one-file diff, like a function's. topic_stats reads
-- queue_stats, so it goes first and comes back last. No CASCADE: a view of
-- the application's own built on these makes the migrate fail loudly
-- instead of being dropped silently.
drop view if exists :POSTBOX_SCHEMA.topic_stats;
drop view if exists :POSTBOX_SCHEMA.queue_stats;
drop view if exists :POSTBOX_SCHEMA.transaction_stats;

-- Depth, age, in-flight and dead letters per queue (states as in 10-ready.sql).
create view :POSTBOX_SCHEMA.queue_stats as
select
  q.name as queue,
  coalesce(m.ready, 0) as ready,
  coalesce(m.delayed, 0) as delayed,
  coalesce(m.in_flight, 0) as in_flight,
  coalesce(d.dead, 0) as dead,
  m.oldest_ready_enqueued_at,
  extract(epoch from now() - m.oldest_ready_enqueued_at) * 1000 as oldest_ready_age_ms
from :POSTBOX_SCHEMA.queues q
left join lateral (
  select
    count(*) filter (where :POSTBOX_SCHEMA.message_state(available_at, leased_until, lease_token) = 'ready') as ready,
    count(*) filter (where :POSTBOX_SCHEMA.message_state(available_at, leased_until, lease_token) = 'delayed') as delayed,
    count(*) filter (where :POSTBOX_SCHEMA.message_state(available_at, leased_until, lease_token) = 'inFlight') as in_flight,
    min(enqueued_at) filter (where :POSTBOX_SCHEMA.is_ready(available_at, leased_until, lease_token)) as oldest_ready_enqueued_at
  from :POSTBOX_SCHEMA.messages
  where queue = q.name
) m on true
left join lateral (
  select count(*) as dead from :POSTBOX_SCHEMA.dead_letters where queue = q.name
) d on true;

-- Every topic with its groups, each group's queue depth and the age of its
-- oldest ready message.
create view :POSTBOX_SCHEMA.topic_stats as
select
  t.name as topic,
  t.retention_ms,
  s.group_name,
  s.queue,
  s.tags,
  qs.ready,
  qs.delayed,
  qs.in_flight,
  qs.dead,
  qs.oldest_ready_age_ms,
  s.created_at as subscribed_at
from :POSTBOX_SCHEMA.topics t
left join :POSTBOX_SCHEMA.subscriptions s on s.topic = t.name
left join :POSTBOX_SCHEMA.queue_stats qs on qs.queue = s.queue;

-- Half messages by target and state.
create view :POSTBOX_SCHEMA.transaction_stats as
select target_kind, target, state, count(*) as transactions,
       min(created_at) as oldest_created_at, max(checks) as max_checks_so_far
from :POSTBOX_SCHEMA.transactions
group by target_kind, target, state;
