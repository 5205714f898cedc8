--! Previous: sha1:b75d795f25897e3dfa74fb41a5daf5b16dc64008
--! Hash: sha1:5004307704744b906971418a8a5dfab42e4c6b60

-- Transactional messaging: half messages (prepare → commit/rollback, with
-- check-back) and the exactly-once consumer's inbox.

-- A half message: a message held back from its queue (or topic) until the
-- producer commits it. RocketMQ's model: prepared → committed | rolledBack,
-- or expired after max_checks unanswered check-backs. The message itself is
-- kept as the JSON the producer sent and only becomes a row in messages at
-- commit, so nothing prepared is ever visible to a consumer.
create table :POSTBOX_SCHEMA.transactions (
  id uuid primary key default gen_random_uuid(),
  -- Stored generically so topic targets go through the same state machine.
  target_kind text not null check (target_kind in ('queue', 'topic')),
  target text not null,
  message jsonb not null,
  state text not null default 'prepared'
    check (state in ('prepared', 'committed', 'rolledBack', 'expired')),
  -- A producer retrying prepare with the same key gets the same transaction.
  dedup_key text,
  checkback_url text,
  check_after_ms int not null default 60000 check (check_after_ms between 0 and 86400000),
  max_checks int not null default 15 check (max_checks between 1 and 1000),
  -- Check-backs started so far. Bumped when a runner claims the transaction,
  -- so it doubles as the claim's token: a runner whose lease ran out can no
  -- longer record an answer for an older check.
  checks int not null default 0,
  -- When the next check-back is due; while a check runs, the end of its lease.
  next_check_at timestamptz not null,
  last_check_at timestamptz,
  last_error text,
  created_at timestamptz not null default now(),
  resolved_at timestamptz,
  -- 'producer' (commit/rollback call), 'checkback' (the check's answer) or
  -- 'expiry' (max_checks ran out): what decided the outcome.
  resolved_by text check (resolved_by in ('producer', 'checkback', 'expiry')),
  -- The message (or topic publication) id the commit produced.
  message_id text
);

create unique index transactions_dedup_key_idx
  on :POSTBOX_SCHEMA.transactions (target_kind, target, dedup_key)
  where dedup_key is not null;

-- The check-back runner's claim: due prepared transactions, oldest first.
create index transactions_due_idx
  on :POSTBOX_SCHEMA.transactions (next_check_at)
  where state = 'prepared';

-- Resolved transactions are pruned after a retention period.
create index transactions_resolved_idx
  on :POSTBOX_SCHEMA.transactions (resolved_at)
  where resolved_at is not null;

-- The exactly-once consumer's inbox: one row per (consumer, message) it has
-- processed, written in the same transaction as the handler's effects and the
-- ack. The primary key is the guarantee: a second delivery of the message to
-- the same consumer cannot insert its row again, so its handler never runs.
create table :POSTBOX_SCHEMA.inbox (
  consumer text not null check (length(consumer) between 1 and 256),
  message_id bigint not null,
  processed_at timestamptz not null default now(),
  primary key (consumer, message_id)
);
create index inbox_processed_at_idx on :POSTBOX_SCHEMA.inbox (processed_at);

-- For psql users: half messages by target and state.
create view :POSTBOX_SCHEMA.transaction_stats as
select target_kind, target, state, count(*) as transactions,
       min(created_at) as oldest_created_at, max(checks) as max_checks_so_far
from :POSTBOX_SCHEMA.transactions
group by target_kind, target, state;
