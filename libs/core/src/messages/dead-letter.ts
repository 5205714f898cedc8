import { type RawBuilder, sql } from 'kysely';
import type { PostboxTables } from '../database/tables';

/**
 * CTE fragments that dead-letter the rows a statement deleted. Used by nack
 * (the final attempt failed); claim (a lease ran out on the final attempt)
 * has the same SQL inside its claim_messages function (migration 000004), so
 * a message dies the same way whichever path it takes: keep them in step.
 *
 * `exhausted` must be a CTE of deleted message rows, `q` one holding the
 * queue's dead_letter_queue. Without a dead-letter queue the message is kept
 * in dead_letters (listable, redrivable); with one, it is enqueued there as a
 * ready message (RabbitMQ's DLX), headers saying where it came from and why.
 */
export function deadLetterCtes(t: PostboxTables, defaultError: string): RawBuilder<unknown> {
  return sql`
    to_dead_letters as (
      insert into ${t.deadLetters} (id, queue, priority, attempts, enqueued_at, group_key, dedup_key, last_error, headers, body)
      select e.id, e.queue, e.priority, e.attempts, e.enqueued_at, e.group_key, e.dedup_key,
             coalesce(e.last_error, ${defaultError}), e.headers, e.body
      from exhausted e, q where q.dead_letter_queue is null
    ),
    to_dead_letter_queue as (
      insert into ${t.messages} (queue, priority, enqueued_at, group_key, headers, body, last_error)
      select q.dead_letter_queue, e.priority, e.enqueued_at, e.group_key,
             coalesce(e.headers, '{}'::jsonb) || jsonb_build_object(
               'x-postbox-dead-letter-from', e.queue,
               'x-postbox-original-id', e.id::text,
               'x-postbox-attempts', e.attempts::text,
               'x-postbox-last-error', coalesce(e.last_error, ${defaultError})),
             e.body, coalesce(e.last_error, ${defaultError})
      from exhausted e, q where q.dead_letter_queue is not null
    )`;
}
