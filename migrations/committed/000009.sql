--! Previous: sha1:b6c183ccea04f268b6bf51f2df6c0d67510550cd
--! Hash: sha1:2941882b61a529d04595a59d3597d9ae886fc613

-- Operating a queue (issue 13, items 4, 7 and 9): tables and indexes only;
-- the functions live in migrations/functions/60-operations.sql and
-- 70-schedules.sql.

-- Cancel a delayed message by its dedupKey (messages/cancel-by-dedup-key.ts).
-- dedup_keys cannot find it: its row expires with the dedup window (5 min by
-- default) while a message may be delayed for a year. Partial, so a message
-- sent without a dedupKey (and every claim's rewrite of such a row) adds no
-- entry here.
create index messages_dedup_key_idx
  on :POSTBOX_SCHEMA.messages (queue, dedup_key)
  where dedup_key is not null;

-- Long-running operations with progress (SQS's message move task). A task is
-- worked through in batches; each batch commits its messages and the task's
-- progress together, so a crash loses or repeats nothing. A running task is
-- leased by one process (runner + lease_until); when the lease runs out
-- (the process died) any process's maintenance takes it over.
create table :POSTBOX_SCHEMA.tasks (
  id uuid primary key default gen_random_uuid(),
  kind text not null check (kind in ('move')),
  -- move: the queue whose dead letters are moved.
  source text not null,
  -- move: where to; null = back to the queue each message was dead-lettered from.
  destination text,
  state text not null default 'running' check (state in ('running', 'completed', 'failed')),
  moved bigint not null default 0,
  -- Counted when the task started; messages dead-lettered later are not part of it.
  total bigint not null,
  -- The newest message id the task covers (live dead letters above it arrived later).
  max_message_id bigint not null,
  -- Messages per second, null = as fast as batches go (SQS MaxNumberOfMessagesPerSecond).
  max_per_second int check (max_per_second between 1 and 100000),
  runner bigint,
  lease_until timestamptz,
  last_error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  finished_at timestamptz
);
-- Maintenance's look-up of running tasks whose runner died.
create index tasks_running_idx on :POSTBOX_SCHEMA.tasks (lease_until) where state = 'running';

-- Recurring schedules: a message enqueued to a queue or published to a topic
-- at every tick of a cron expression (in a time zone) or every N ms.
create table :POSTBOX_SCHEMA.schedules (
  name text primary key check (name ~ '^[a-zA-Z0-9][a-zA-Z0-9._-]{0,127}$'),
  target_kind text not null check (target_kind in ('queue', 'topic')),
  target text not null,
  cron text check (length(cron) between 1 and 256),
  every_ms bigint check (every_ms between 100 and 31536000000),
  timezone text not null default 'UTC',
  -- The message as sent at each tick ({body, headers?, priority?, groupKey?, delayMs?}).
  message jsonb not null,
  missed text not null default 'skip' check (missed in ('skip', 'once')),
  paused boolean not null default false,
  -- The next tick; null until a runner has computed it (a cron schedule created from SQL).
  next_at timestamptz,
  last_at timestamptz,
  last_error text,
  created_at timestamptz not null default now(),
  check ((cron is null) <> (every_ms is null))
);
-- The tick runner's look-up: due, unpaused schedules.
create index schedules_due_idx on :POSTBOX_SCHEMA.schedules (next_at) where not paused;

-- One row per tick enqueued. The primary key is the exactly-once guarantee:
-- however many processes run the tick runner, the insert of (schedule, tick)
-- succeeds once, and the message is sent in the same transaction only by the
-- process whose insert did. Rows older than a day are pruned by the runner.
create table :POSTBOX_SCHEMA.schedule_ticks (
  schedule text not null references :POSTBOX_SCHEMA.schedules (name) on delete cascade,
  tick timestamptz not null,
  -- true: the one catch-up message of missed: "once" for ticks missed while no runner ran.
  catch_up boolean not null default false,
  message_id text,
  enqueued_at timestamptz not null default now(),
  primary key (schedule, tick)
);
