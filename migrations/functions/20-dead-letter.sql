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
    insert into :POSTBOX_SCHEMA.messages (queue, priority, enqueued_at, group_key, headers, body, last_error)
    values (target, msg.priority, msg.enqueued_at, msg.group_key,
            coalesce(msg.headers, '{}'::jsonb) || jsonb_build_object(
              'x-postbox-dead-letter-from', msg.queue,
              'x-postbox-original-id', msg.id::text,
              'x-postbox-attempts', dead_letter.attempts::text,
              'x-postbox-last-error', reason),
            msg.body, reason);
  end if;
  return target;
end;
$$;
