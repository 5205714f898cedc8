-- SQL-level ack of one receipt: true when it matched the current delivery.
create or replace function :POSTBOX_SCHEMA.ack(receipt text) returns boolean
language sql as $$
  with gone as (
    delete from :POSTBOX_SCHEMA.messages
    where id = split_part(receipt, '.', 1)::bigint
      and lease_token = split_part(receipt, '.', 2)::bigint
    returning 1
  )
  select exists (select 1 from gone);
$$;
