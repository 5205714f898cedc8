--! Previous: sha1:068152ee36a4c4a20fe51794ba185a950d70267c
--! Hash: sha1:9f045519f62dea6cc482169a1ce3cb71431918ef

-- Protocol attributes: settings a protocol endpoint keeps for a queue that
-- have no meaning for the core (SQS's default DelaySeconds, default
-- ReceiveMessageWaitTimeSeconds, ContentBasedDeduplication). They lived in
-- the SQS endpoint's process memory: lost on restart and different in each
-- service instance. One jsonb object per queue, flat keys prefixed by the
-- protocol ("sqs.DelaySeconds"), so a set merges with || and two concurrent
-- sets of different keys both survive (libs/core/src/queues/set-protocol-attributes.ts).
-- Adding a column with a constant default is a catalog-only change (no table
-- rewrite, since PostgreSQL 11).
alter table :POSTBOX_SCHEMA.queues
  add column protocol_attributes jsonb not null default '{}'
  constraint queues_protocol_attributes_object check (jsonb_typeof(protocol_attributes) = 'object');
