--! Previous: sha1:9f045519f62dea6cc482169a1ce3cb71431918ef
--! Hash: sha1:294b0a7aa98684f520f37cc7d009da63bd1a2c64

-- Issue 14 item 6: autovacuum settings for the tables every message churns
-- through. A message is inserted, claimed (an update) and deleted on ack; at
-- the default scale factor (0.2 of the table) plus 50 rows, a queue table
-- holding a backlog of 1M rows waits for 200,000 dead rows before
-- autovacuum takes it. A fixed threshold of 10,000 (scale factor 0) makes
-- every autovacuum visit take it when it churns, whatever the backlog; and
-- no cost delay (default 2 ms per 200 cost units) lets the vacuum finish
-- before the next minute's dead rows arrive.
--
-- What this cannot do: bring the visit sooner. autovacuum_naptime (60 s by
-- default) is a server setting, and between two visits a busy queue piles up
-- a minute of dead rows (1.26M at ~20k msg/s in the steady-state bench).
-- Postbox's maintenance vacuums the queue tables itself every few seconds
-- (libs/core/src/maintenance/vacuum-queue-tables.ts); these settings cover a
-- role that may not, or a deployment that turned it off.
alter table :POSTBOX_SCHEMA.messages set (
  autovacuum_vacuum_scale_factor = 0,
  autovacuum_vacuum_threshold = 10000,
  autovacuum_vacuum_cost_delay = 0
);
alter table :POSTBOX_SCHEMA.dead_letters set (
  autovacuum_vacuum_scale_factor = 0,
  autovacuum_vacuum_threshold = 10000,
  autovacuum_vacuum_cost_delay = 0
);
alter table :POSTBOX_SCHEMA.dedup_keys set (
  autovacuum_vacuum_scale_factor = 0,
  autovacuum_vacuum_threshold = 10000,
  autovacuum_vacuum_cost_delay = 0
);
