-- What "ready" means, in one place. available_at is the whole state machine
-- of a live message (the SQS visibility model):
--   available_at <= at                        ready (including expired leases)
--   available_at >  at, lease_token is null   delayed (delayMs, nack backoff)
--   available_at >  at, lease_token not null  in flight until available_at
-- `at` is now() for a claim; a lock-mode claim passes statement_timestamp()
-- (its transaction began before the claim, see 31-lock.sql).
--
-- Both are single-expression SQL functions without SET clauses, so the
-- planner inlines them: `is_ready(m.available_at)` in the claim plans exactly
-- as `m.available_at <= now()` (an index condition on messages_claim_idx).
create or replace function :POSTBOX_SCHEMA.is_ready(available_at timestamptz, at timestamptz default now())
returns boolean
language sql stable parallel safe
as $$ select available_at <= at $$;

-- 'ready', 'delayed' or 'inFlight' (the names peek and the REST API use).
create or replace function :POSTBOX_SCHEMA.message_state(
  available_at timestamptz, lease_token bigint, at timestamptz default now()
) returns text
language sql stable parallel safe
as $$
  select case
    when :POSTBOX_SCHEMA.is_ready(available_at, at) then 'ready'
    when lease_token is null then 'delayed'
    else 'inFlight'
  end
$$;
