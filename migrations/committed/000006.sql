--! Previous: sha1:1690dc53ee70acf0c2edd6c182036a7839cc4bf0
--! Hash: sha1:8d24b56047dda923bfe80fe8c74ccc48819cc9a3

-- Scoped API keys (issue 10, API.md "API keys").
--
-- A key is handed out once as `pbk_<key_id>_<secret>`: key_id finds the row
-- through its unique index (one lookup per request, no cache, so a revoke is
-- seen at once by every service instance), and the secret is checked
-- against secret_sha256. The secret is 32 random bytes (256 bits), so a
-- fast hash is enough: no one can enumerate 2^256 candidates, whatever the
-- hash costs; scrypt's slowness only protects low-entropy passwords, and
-- would cost tens of milliseconds of CPU on every request.
--
-- scopes: admin (everything, keys included), produce, consume, read.
-- names: a glob limiting the queues and topics the key may touch; null = all.
-- last_used_at is written at most once a minute per key, not per request.
create table :POSTBOX_SCHEMA.api_keys (
  name text primary key check (name ~ '^[a-zA-Z0-9][a-zA-Z0-9._-]{0,127}$'),
  key_id text not null unique,
  secret_sha256 bytea not null check (length(secret_sha256) = 32),
  scopes text[] not null check (
    cardinality(scopes) > 0 and scopes <@ array['admin', 'produce', 'consume', 'read']::text[]
  ),
  names text check (names ~ '^[a-zA-Z0-9._*-]{1,128}$'),
  created_at timestamptz not null default now(),
  last_used_at timestamptz
);
