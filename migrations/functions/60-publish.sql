-- SQL-level publish, so a psql user (or any language) can publish without
-- TypeScript: the same fan-out, archive and headers as the TypeScript
-- publish, one message at a time. Returns the topic message id.
create or replace function :POSTBOX_SCHEMA.publish(
  topic_name text,
  body jsonb,
  headers jsonb default null,
  tag text default null
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
  delivered_headers := coalesce(publish.headers, '{}'::jsonb)
    || jsonb_build_object('x-postbox-topic', topic_name, 'x-postbox-topic-message-id', new_id::text)
    || case when publish.tag is null then '{}'::jsonb else jsonb_build_object('x-postbox-tag', publish.tag) end;
  if topic_retention_ms is not null then
    insert into :POSTBOX_SCHEMA.published_messages (id, topic, tag, priority, headers, body)
    values (new_id, topic_name, publish.tag, 0, delivered_headers, publish.body);
  end if;
  insert into :POSTBOX_SCHEMA.messages (queue, body, headers)
  select s.queue, publish.body, delivered_headers
  from :POSTBOX_SCHEMA.subscriptions s
  where s.topic = topic_name and (s.tags is null or publish.tag = any (s.tags))
  order by s.queue;
  perform pg_notify(':POSTBOX_SCHEMA.wakeup', s.queue)
  from :POSTBOX_SCHEMA.subscriptions s
  where s.topic = topic_name and (s.tags is null or publish.tag = any (s.tags));
  return new_id;
end;
$$;
