-- The headers every group's copy of a published message carries (and the
-- topic archive keeps): the topic, the topic message id (one per published
-- message, shared by the groups' copies) and the tag. Both publishes call it:
-- libs/core/src/topics/publish.ts and publish() below.
create or replace function :POSTBOX_SCHEMA.topic_headers(
  headers jsonb, topic_name text, topic_message_id bigint, tag text
) returns jsonb
language sql immutable parallel safe
as $$
  select coalesce(headers, '{}'::jsonb)
    || jsonb_build_object('x-postbox-topic', topic_name, 'x-postbox-topic-message-id', topic_message_id::text)
    || case when tag is null then '{}'::jsonb else jsonb_build_object('x-postbox-tag', tag) end
$$;

-- SQL-level publish, so a psql user (or any language) can publish without
-- TypeScript: the same fan-out, archive and headers as the TypeScript
-- publish, one message at a time, each group's queue woken at commit.
-- Returns the topic message id.
create or replace function :POSTBOX_SCHEMA.publish(
  topic_name text,
  body jsonb,
  headers jsonb default null,
  tag text default null,
  delay_ms int default 0,
  priority int default 0,
  group_key text default null
) returns bigint
language plpgsql as $$
declare
  topic_retention_ms bigint;
  new_id bigint;
  delivered_headers jsonb;
begin
  select t.retention_ms into topic_retention_ms from :POSTBOX_SCHEMA.topics t where t.name = topic_name;
  if not found then
    raise exception 'topic "%" does not exist', topic_name using errcode = 'P0002';
  end if;
  new_id := nextval(':POSTBOX_SCHEMA.topic_message_id_seq');
  delivered_headers := :POSTBOX_SCHEMA.topic_headers(publish.headers, topic_name, new_id, publish.tag);
  if topic_retention_ms is not null then
    insert into :POSTBOX_SCHEMA.published_messages (id, topic, tag, priority, group_key, headers, body)
    values (new_id, topic_name, publish.tag, publish.priority, publish.group_key, delivered_headers, publish.body);
  end if;
  -- Each group's queue admits its copy by its own limits (40-send.sql); the
  -- size is what the publisher sent (its headers, not the topic's).
  perform :POSTBOX_SCHEMA.admit_message(
            q.name, q.max_message_bytes, :POSTBOX_SCHEMA.message_bytes(publish.body, publish.headers), 'message'),
          case when q.max_length is null then true else :POSTBOX_SCHEMA.admit_length(q.name, 1) end
  from :POSTBOX_SCHEMA.subscriptions s join :POSTBOX_SCHEMA.queues q on q.name = s.queue
  where s.topic = topic_name and (s.tags is null or publish.tag = any (s.tags))
  order by s.queue;
  insert into :POSTBOX_SCHEMA.messages (queue, body, headers, priority, available_at, group_key, expires_at)
  select s.queue, publish.body, delivered_headers, publish.priority,
         now() + publish.delay_ms * interval '1 millisecond', publish.group_key,
         :POSTBOX_SCHEMA.expiry(null, q.message_ttl_ms)
  from :POSTBOX_SCHEMA.subscriptions s join :POSTBOX_SCHEMA.queues q on q.name = s.queue
  where s.topic = topic_name and (s.tags is null or publish.tag = any (s.tags))
  order by s.queue;
  perform pg_notify(':POSTBOX_SCHEMA.wakeup', s.queue)
  from :POSTBOX_SCHEMA.subscriptions s
  where s.topic = topic_name and (s.tags is null or publish.tag = any (s.tags));
  return new_id;
end;
$$;

-- Subscribes a consumer group, for psql users: the group's queue (default
-- "<topic>.<group>") is created with default settings unless it exists, and
-- gets every message published from now on whose tag is in `tags` (null:
-- all). Idempotent; other tags or another queue for an existing group raise
-- (errcode 23505, as the library's ConflictError). Returns the queue's name.
create or replace function :POSTBOX_SCHEMA.subscribe(
  topic_name text, group_name text, tags text[] default null, queue_name text default null
) returns text
language plpgsql as $$
#variable_conflict use_column
declare
  target constant text := coalesce(queue_name, topic_name || '.' || group_name);
  -- As the library resolves a tag filter: '*' is every message, the rest deduplicated and sorted.
  tag_filter constant text[] := case when '*' = any (subscribe.tags) then null
                                 else (select array_agg(distinct t order by t) from unnest(subscribe.tags) t) end;
  existing record;
begin
  perform 1 from :POSTBOX_SCHEMA.topics t where t.name = topic_name for key share;
  if not found then
    raise exception 'topic "%" does not exist', topic_name using errcode = 'P0002';
  end if;
  insert into :POSTBOX_SCHEMA.queues (name) values (target) on conflict (name) do nothing;
  insert into :POSTBOX_SCHEMA.subscriptions (topic, group_name, queue, tags)
  values (topic_name, subscribe.group_name, target, tag_filter)
  on conflict (topic, group_name) do nothing;
  select s.queue, s.tags into existing from :POSTBOX_SCHEMA.subscriptions s
  where s.topic = topic_name and s.group_name = subscribe.group_name;
  if existing.queue <> target or existing.tags is distinct from tag_filter then
    raise exception 'subscription "%" of topic "%" already exists with other settings', subscribe.group_name, topic_name
      using errcode = '23505';
  end if;
  return target;
end;
$$;
