-- How a message dies, in one place, whichever path kills it: the claim (a
-- lease ran out on the final attempt: 30-claim.sql), a nack of the final
-- attempt (libs/core/src/messages/nack.ts, psql nack()) or a lock-mode
-- consumer finding a row whose final lease had run out.

-- The reason recorded when the failure brought no error text of its own.
create or replace function :POSTBOX_SCHEMA.dead_letter_reason(lease_expired boolean) returns text
language sql immutable parallel safe
as $$
  select case when lease_expired then 'visibility timeout expired on the final attempt'
              else 'failed on the final attempt' end
$$;

-- Called for a message row its caller has just deleted from messages
-- (typically in the RETURNING of that DELETE, so it runs once per row and
-- is part of the same statement). Without a dead-letter queue the message
-- is kept in dead_letters (listable, redrivable); with one, it is enqueued
-- there as a ready message (RabbitMQ's DLX), its headers saying where it
-- came from and why. `attempts` is the count it died with; `failure` the
-- error of this failure (null: the message's last error, else the reason).
-- Returns the dead-letter queue's name, or null when it went to dead_letters.
create or replace function :POSTBOX_SCHEMA.dead_letter(
  msg :POSTBOX_SCHEMA.messages, attempts int, failure text, lease_expired boolean
) returns text
language plpgsql volatile
as $$
declare
  reason constant text := coalesce(failure, msg.last_error, :POSTBOX_SCHEMA.dead_letter_reason(lease_expired));
  target text;
begin
  select q.dead_letter_queue into target from :POSTBOX_SCHEMA.queues q where q.name = msg.queue;
  if target is null then
    insert into :POSTBOX_SCHEMA.dead_letters
      (id, queue, priority, attempts, enqueued_at, group_key, dedup_key, last_error, headers, body)
    values (msg.id, msg.queue, msg.priority, dead_letter.attempts, msg.enqueued_at, msg.group_key, msg.dedup_key,
            reason, msg.headers, msg.body);
  else
    -- The dead-letter queue's own messageTtlMs applies from here (RabbitMQ:
    -- a dead-lettered message starts over in its new queue).
    insert into :POSTBOX_SCHEMA.messages (queue, priority, enqueued_at, group_key, headers, body, last_error, expires_at)
    values (target, msg.priority, msg.enqueued_at, msg.group_key,
            coalesce(msg.headers, '{}'::jsonb) || jsonb_build_object(
              'x-postbox-dead-letter-from', msg.queue,
              'x-postbox-original-id', msg.id::text,
              'x-postbox-attempts', dead_letter.attempts::text,
              'x-postbox-last-error', reason),
            msg.body, reason,
            (select now() + t.message_ttl_ms * interval '1 millisecond' from :POSTBOX_SCHEMA.queues t where t.name = target));
  end if;
  return target;
end;
$$;

-- An expired message (is_expired, 10-ready.sql) leaving its queue, called
-- like dead_letter for a row its caller has just deleted: to the dead
-- letters with reason 'expired', or nowhere when the queue says
-- expiredTo: "drop" (RabbitMQ's per-queue TTL with or without a DLX).
-- Returns what dead_letter returns; null also when dropped.
create or replace function :POSTBOX_SCHEMA.expire(msg :POSTBOX_SCHEMA.messages) returns text
language plpgsql volatile
as $$
begin
  if exists (select 1 from :POSTBOX_SCHEMA.queues q where q.name = msg.queue and q.expired_to = 'drop') then
    return null;
  end if;
  return :POSTBOX_SCHEMA.dead_letter(msg, msg.attempts, 'expired', false);
end;
$$;

-- Removes up to max_messages expired messages of a queue that are not in
-- flight (in-flight ones keep their lease; they expire here once they come
-- back), through expire above; returns how many. Both claims call it
-- (30-claim.sql, 31-lock.sql), so expired messages leave as consumers
-- claim, whatever else is queued. It reads messages_expiry_idx, a partial
-- index holding only messages with an expiry: for a queue without TTLs that
-- is one probe of an empty range, the whole cost of expiry on the claim.
-- plpgsql, so its plan is cached per connection like the claim's.
create or replace function :POSTBOX_SCHEMA.expire_due(
  queue_name text, max_messages int, at timestamptz default now()
) returns int
language plpgsql volatile
as $$
declare
  n int;
begin
  with gone as (
    delete from :POSTBOX_SCHEMA.messages m
    where m.id in (
      select x.id from :POSTBOX_SCHEMA.messages x
      where x.queue = queue_name and :POSTBOX_SCHEMA.is_expired(x.expires_at, at)
        and :POSTBOX_SCHEMA.message_state(x.available_at, x.leased_until, x.lease_token, at) <> 'inFlight'
      order by x.expires_at
      limit max_messages
      for update skip locked)
    returning :POSTBOX_SCHEMA.expire(m)
  )
  select count(*) into n from gone;
  return n;
end;
$$;
