-- SQL-level send, so a psql user (or any language) can use a queue without
-- TypeScript. Returns the new message's id.
create or replace function :POSTBOX_SCHEMA.send(
  queue_name text,
  body jsonb,
  headers jsonb default null,
  delay_ms int default 0,
  priority int default 0
) returns bigint
language plpgsql as $$
declare
  new_id bigint;
begin
  if not exists (select 1 from :POSTBOX_SCHEMA.queues where name = queue_name) then
    raise exception 'queue "%" does not exist', queue_name using errcode = 'P0002';
  end if;
  insert into :POSTBOX_SCHEMA.messages (queue, body, headers, priority, available_at)
  values (queue_name, body, headers, priority, now() + delay_ms * interval '1 millisecond')
  returning id into new_id;
  perform pg_notify(':POSTBOX_SCHEMA.wakeup', queue_name);
  return new_id;
end;
$$;
