-- Function and view bodies: one current file each, applied (create or
-- replace) after the committed migrations on every migrate, in file-name
-- order, all in one transaction (libs/core/src/database/run-migrations.ts).
-- Changing a function is a diff of its file here. A change of a function's
-- arguments or result columns cannot be a `create or replace`: drop the old
-- signature in a new committed migration (which runs before these files).

-- A receipt ("<id>.<token>") is a capability: whoever holds it may ack,
-- nack or extend the delivery. gen_random_uuid() draws from the OS CSPRNG
-- (pg_strong_random); the token takes 62 of its random bits (the last 8
-- bytes, less the 2 variant bits). Guessing one live token takes ~2^61 tries
-- against a rate-limited API. (random() was a seeded PRNG: migration 000007.)
create or replace function :POSTBOX_SCHEMA.new_lease_token() returns bigint
language sql volatile parallel safe
as $$
  select ('x' || encode(substr(uuid_send(gen_random_uuid()), 9, 8), 'hex'))::bit(64)::bigint
         & 4611686018427387903  -- 2^62 - 1: drops the variant bits (and so the sign)
$$;

-- The claim's tokens: one CSPRNG draw per claim statement (claim_key, a
-- gen_random_uuid() as text), and per message the first 62 bits of
-- md5(claim_key || id). A holder of one receipt cannot get claim_key back
-- from it (that would invert MD5), so it tells nothing of the other tokens
-- of its claim, which a long-poll line may hand to other clients
-- (receive-waiters.ts). Why not new_lease_token() per row: the OS CSPRNG
-- costs ~5-7 µs a call here (5,000 gen_random_uuid(): 34-102 ms; the same
-- count of md5 tokens 3.4-22 ms, on the shared, loaded 2-core machine), and
-- a lease claim of 500 spent ~3.5 ms of its ~25 ms drawing tokens.
create or replace function :POSTBOX_SCHEMA.lease_token_for(claim_key text, message_id bigint) returns bigint
language sql immutable parallel safe
as $$
  select ('x' || substr(md5(claim_key || ':' || message_id::text), 1, 16))::bit(64)::bigint
         & 4611686018427387903  -- 2^62 - 1: a positive bigint, like new_lease_token()
$$;
