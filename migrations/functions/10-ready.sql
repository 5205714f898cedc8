-- What "ready" means, in one place. A live message's state (the SQS
-- visibility model):
--   available_at <= at and not leased        ready (including expired leases)
--   available_at >  at, lease_token is null  delayed (delayMs, nack backoff)
--   otherwise                                in flight until
--                                            greatest(available_at, leased_until)
-- "Leased" is a lease claim's lease still running: lease_token set and
-- leased_until in the future. The lease claim writes leased_until and leaves
-- available_at (an indexed column) alone, so its UPDATE is HOT (migration
-- 000011 has the numbers); nack and release end a lease by clearing
-- lease_token; extend moves available_at.
-- `at` is now() for a claim; a lock-mode claim passes statement_timestamp()
-- (its transaction began before the claim, see 31-lock.sql).
--
-- Both are single-expression SQL functions without SET clauses, so the
-- planner inlines them: `is_ready(m.available_at, …)` in the claim plans as
-- `m.available_at <= now()` (an index condition on messages_claim_idx) plus
-- a filter on the lease columns. The rows that filter skips are the ones in
-- flight on leases, at the front of the index: a claim reads past them.
create or replace function :POSTBOX_SCHEMA.is_ready(
  available_at timestamptz, leased_until timestamptz, lease_token bigint, at timestamptz default now()
)
returns boolean
language sql stable parallel safe
as $$ select available_at <= at and (lease_token is null or leased_until is null or leased_until <= at) $$;

-- 'ready', 'delayed' or 'inFlight' (the names peek and the REST API use).
create or replace function :POSTBOX_SCHEMA.message_state(
  available_at timestamptz, leased_until timestamptz, lease_token bigint, at timestamptz default now()
) returns text
language sql stable parallel safe
as $$
  select case
    when :POSTBOX_SCHEMA.is_ready(available_at, leased_until, lease_token, at) then 'ready'
    when lease_token is null then 'delayed'
    else 'inFlight'
  end
$$;

-- Whether a message has expired (its queue's messageTtlMs or its own
-- expiresAt, set at send: 40-send.sql). An expired message is never handed
-- out: the claim and the lock-mode claim (30-claim.sql, 31-lock.sql) call
-- this for every candidate and expire the ones it is true for (expire,
-- 20-dead-letter.sql). Null (no TTL, the default) is never expired: one
-- null test per candidate, nothing more on the claim's path.
create or replace function :POSTBOX_SCHEMA.is_expired(expires_at timestamptz, at timestamptz default now())
returns boolean
language sql stable parallel safe
as $$ select expires_at is not null and expires_at <= at $$;

-- Whether the queue's messages may be handed out at all: false while it is
-- paused (pause_queue, 65-queue-controls.sql). The one place that decides
-- it; both claims test it once per call (the planner makes it an initPlan:
-- one primary-key lookup, the row the claim reads for its settings anyway).
create or replace function :POSTBOX_SCHEMA.may_hand_out(queue_name text)
returns boolean
language sql stable parallel safe
as $$ select exists (select 1 from :POSTBOX_SCHEMA.queues q where q.name = queue_name and not q.paused) $$;
