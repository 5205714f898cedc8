--! Previous: sha1:8a041cb368059a2887c81a5eb1e9356cc0e22966
--! Hash: sha1:068152ee36a4c4a20fe51794ba185a950d70267c

-- Issue 14 item 2: a lease claim that leaves the indexed columns alone, so
-- its UPDATE is HOT (heap-only: no new entry in messages_pkey or
-- messages_claim_idx, and the dead version is pruned inside its page).
--
-- The claim used to lease a row by moving available_at forward, which is in
-- messages_claim_idx: every claim was a non-HOT update. It now writes the
-- lease end into leased_until, which no index holds, and leaves available_at
-- as it was; "ready" (migrations/functions/10-ready.sql) reads both. nack,
-- release and extend are unchanged: nack and release clear lease_token,
-- which ends the lease whatever leased_until says; extend moves available_at.
--
-- fillfactor 50: a HOT update needs room for the new version on the row's
-- own page; a page filled by sendBatch had none. Measured with
-- bench/src/claim-candidates.ts (20,000 messages, consume(queue, handler,
-- { concurrency: 10 }), best of 3, shared 2-core machine), as a ratio to
-- graphile-worker 0.18 (localQueue 500) in the same run, two runs:
--   available_at moved (before)    0.91x / 1.10x, WAL 522 B/msg
--   leased_until, fillfactor 80    1.25x / 1.27x, WAL 496 B/msg (15-45% HOT)
--   leased_until, fillfactor 50    1.95x / 1.35x, WAL 295 B/msg (~90% HOT)
--   (lock mode, batchSize 500      3.05x / 2.04x, WAL 112 B/msg)
-- The table takes about twice the pages for the same backlog (100,000
-- waiting: 25.4 MB of heap vs 12.5), so a count over a whole queue (the
-- queue_stats view, the large-queue snapshot) reads twice the pages: 99 ->
-- 192 ms and 166 -> 243 ms p50 in two runs at 100,000 waiting; the LIMIT
-- probe that decides exact vs snapshot did not slow down (6.9 -> 3.7 ms,
-- 13.0 -> 11.5 ms).
--
-- The price: a leased row keeps its place at the front of messages_claim_idx,
-- and every claim reads past the rows in flight on leases (index entry + heap
-- check each). Claim of 10 + ack, p50, one run at load ~14
-- (bench/src/in-flight-claims.ts): 0 in flight 8.0 vs 8.1 ms, 1,000 in flight
-- 8.0 vs 10.7 ms, 10,000 in flight 8.2 vs 15.9 ms (available_at moved vs
-- leased_until). The consumer's claim sizer keeps its buffer to what its
-- handlers need, and extend (a lease half gone) moves available_at, which
-- takes a long-held row out of the front.
alter table :POSTBOX_SCHEMA.messages add column leased_until timestamptz;
alter table :POSTBOX_SCHEMA.messages set (fillfactor = 50);

-- "Ready" takes the lease columns now (10-ready.sql): the old signatures go,
-- so nothing can call "ready" without them. The views that call them are
-- dropped here and created again by 90-views.sql. (On a fresh database the
-- functions/ files have not run yet, hence "if exists".)
drop view if exists :POSTBOX_SCHEMA.topic_stats;
drop view if exists :POSTBOX_SCHEMA.queue_stats;
drop function if exists :POSTBOX_SCHEMA.message_state(timestamptz, bigint, timestamptz);
drop function if exists :POSTBOX_SCHEMA.is_ready(timestamptz, timestamptz);
