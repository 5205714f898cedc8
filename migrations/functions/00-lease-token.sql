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
