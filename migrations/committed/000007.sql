--! Previous: sha1:8d24b56047dda923bfe80fe8c74ccc48819cc9a3
--! Hash: sha1:5d0f5a692c78a16d3a3a9b0d361fb2e1dde4914f

-- Issue 10, items 10 and 11: the claim as in 000004, with two changes.
--
-- 1. Lease tokens from a cryptographic source. A receipt ("<id>.<token>")
--    is a capability: whoever holds it may ack, nack or extend the delivery.
--    The token was (random() * 2^53)::bigint, and random() is a seeded PRNG
--    whose next outputs follow from earlier ones (receipts are handed to
--    REST clients, so earlier outputs are easy to collect). gen_random_uuid()
--    is core since PostgreSQL 13 and draws from the OS CSPRNG
--    (pg_strong_random); the token keeps its bigint column and takes 62 of
--    the uuid's random bits (the last 8 bytes, less the 2 variant bits), so
--    the receipt format, the columns and every statement stay as they are.
--    Guessing one live token takes ~2^61 tries against a rate-limited API.
--
-- 2. count_attempt: a lease-mode consumer claims a batch into its local
--    buffer, and a message that waits there when the process dies lost an
--    attempt although no handler ever saw it (SIGKILL every 0.4-0.9 s with
--    batch 500 dead-lettered 115 of 5,000 messages). The consumer now claims
--    with count_attempt = false and counts the attempt when it hands the
--    message to a handler (messages/count-attempts.ts). REST/SQL receive
--    (the default, true) counts at the claim, as before: there the client
--    is the handler.

create function :POSTBOX_SCHEMA.new_lease_token() returns bigint
language sql volatile parallel safe
as $$
  select ('x' || encode(substr(uuid_send(gen_random_uuid()), 9, 8), 'hex'))::bit(64)::bigint
         & 4611686018427387903  -- 2^62 - 1: drops the variant bits (and so the sign)
$$;

-- receive() calls claim_messages(text, int, int): the default keeps it resolving to this one.
drop function :POSTBOX_SCHEMA.claim_messages(text, int, int);

create function :POSTBOX_SCHEMA.claim_messages(
  queue_name text, max_messages int, lease_ms int, count_attempt boolean default true
)
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
    set attempts = m.attempts + case when count_attempt then 1 else 0 end,
        available_at = now() + q.vt * interval '1 millisecond',
        lease_token = :POSTBOX_SCHEMA.new_lease_token()
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
