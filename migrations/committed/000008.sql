--! Previous: sha1:5d0f5a692c78a16d3a3a9b0d361fb2e1dde4914f
--! Hash: sha1:b6c183ccea04f268b6bf51f2df6c0d67510550cd

-- Issue 12: function and view bodies now live in migrations/functions/, one
-- current file each, applied after the committed migrations on every
-- migrate. `create or replace` cannot change an argument list, so the
-- psql functions that gained arguments lose their old signature here (the
-- functions/ files then create the new one):
--   send: + dedup_key, group_key (40-send.sql)
--   publish: + delay_ms, priority, group_key (60-publish.sql)
-- Calls written for the old signatures resolve to the new ones (the new
-- arguments have defaults).
drop function if exists :POSTBOX_SCHEMA.send(text, jsonb, jsonb, int, int);
drop function if exists :POSTBOX_SCHEMA.publish(text, jsonb, jsonb, text);
