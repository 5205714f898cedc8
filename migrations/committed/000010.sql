--! Previous: sha1:2941882b61a529d04595a59d3597d9ae886fc613
--! Hash: sha1:8a041cb368059a2887c81a5eb1e9356cc0e22966

-- Issue 13, items 1, 3, 5, 6 and 8: operating a queue (docs/queue-controls.md).
-- Columns only; the rules that read them live in migrations/functions/.
--
-- paused: claim_messages and lock_messages hand nothing out while it is set
--   (may_hand_out, 10-ready.sql); sends still land.
-- message_ttl_ms / messages.expires_at: a message not delivered by expires_at
--   is never delivered (is_expired, 10-ready.sql); expired_to says whether it
--   goes to the dead letters (reason "expired") or is dropped.
-- max_length / overflow: RabbitMQ's x-max-length, checked in the send
--   statement (admit_length, 40-send.sql).
-- max_message_bytes: body plus headers as JSON text, checked in the send
--   statement (admit_message, 40-send.sql). 1 MiB, as SQS's maximum.
alter table :POSTBOX_SCHEMA.queues
  add column paused boolean not null default false,
  add column message_ttl_ms bigint check (message_ttl_ms between 1 and 3153600000000),
  add column expired_to text not null default 'deadLetter' check (expired_to in ('deadLetter', 'drop')),
  add column max_length int check (max_length between 1 and 1000000),
  add column overflow text not null default 'reject' check (overflow in ('reject', 'dropOldest')),
  add column max_message_bytes int not null default 1048576 check (max_message_bytes between 1 and 16777216);

-- Null for every message without a TTL: no bytes beyond the null bitmap the
-- row already has, and nothing for the claim to compare but a null.
alter table :POSTBOX_SCHEMA.messages add column expires_at timestamptz;

-- Messages that can expire, by queue and expiry: what expire_due
-- (migrations/functions/20-dead-letter.sql) reads at every claim. Partial:
-- a message without an expiry (the default) is not in it, so sends without
-- TTLs maintain nothing and a claim on such a queue probes an empty range.
create index messages_expiry_idx on :POSTBOX_SCHEMA.messages (queue, expires_at) where expires_at is not null;

-- send() gains expires_at (migrations/functions/40-send.sql): the old
-- signature (000008's) goes, or a call without it would be ambiguous. On a
-- fresh database the functions/ files have not run yet, hence "if exists".
drop function if exists :POSTBOX_SCHEMA.send(text, jsonb, jsonb, int, int, text, text);
