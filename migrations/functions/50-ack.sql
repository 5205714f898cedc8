-- Ack: the deliveries (id, lease token) leave the live table, which keeps
-- the claim index short; a queue with a retention_ms archives them in the
-- same statement (so an ack is archived exactly when it commits, and
-- replay_queue can deliver them again). A delivery matches only while its
-- token is the row's current one: a consumer whose lease ran out and whose
-- message went to someone else acks nothing. A null token matches a row
-- never leased (lock mode: the caller's transaction holds its lock).
--
-- The library's ack calls this for queues that archive; for the others it
-- runs a plain DELETE (libs/core/src/messages/ack.ts), which skips the
-- queue lookup and the archive insert. Measured with
-- bench/src/ack-retention.ts (batches of 100): ~6,200 acks/s archiving vs
-- ~6,500/s plain. `m.id = any(ids)` makes the read of messages a primary-key
-- probe per receipt whatever the statistics say (test/receipt-plans.spec.ts).
create or replace function :POSTBOX_SCHEMA.ack_messages(queue_name text, ids bigint[], tokens bigint[])
returns table (id bigint, lease_token bigint, archived boolean)
language sql as $$
  with q as (
    select name, retention_ms is not null as archives from :POSTBOX_SCHEMA.queues where name = queue_name
  ),
  gone as (
    delete from :POSTBOX_SCHEMA.messages m
    using unnest(ids, tokens) as r(id, token)
    where m.id = any(ids) and m.id = r.id and m.lease_token is not distinct from r.token and m.queue = queue_name
    returning m.id, m.lease_token, m.queue, m.priority, m.attempts, m.enqueued_at, m.group_key, m.headers, m.body
  ),
  archived as (
    insert into :POSTBOX_SCHEMA.archived_messages (id, queue, priority, attempts, enqueued_at, group_key, headers, body)
    select g.id, g.queue, g.priority, g.attempts, g.enqueued_at, g.group_key, g.headers, g.body
    from gone g, q where q.archives
  )
  select g.id, g.lease_token, coalesce((select archives from q), false) from gone g
$$;

-- Ack one receipt ("<id>.<token>", as receive() returns it): true when it
-- matched the current delivery.
create or replace function :POSTBOX_SCHEMA.ack(receipt text) returns boolean
language sql as $$
  select exists (
    select 1 from :POSTBOX_SCHEMA.ack_messages(
      (select m.queue from :POSTBOX_SCHEMA.messages m where m.id = split_part(receipt, '.', 1)::bigint),
      array[split_part(receipt, '.', 1)::bigint], array[split_part(receipt, '.', 2)::bigint]))
$$;

-- Ack several receipts of one queue; returns how many matched.
create or replace function :POSTBOX_SCHEMA.ack(queue_name text, receipts text[]) returns int
language sql as $$
  select count(*)::int from :POSTBOX_SCHEMA.ack_messages(queue_name,
    array(select split_part(r, '.', 1)::bigint from unnest(receipts) with ordinality u(r, n) order by n),
    array(select split_part(r, '.', 2)::bigint from unnest(receipts) with ordinality u(r, n) order by n))
$$;
