import { sql } from 'kysely';
import type { Executor } from '../database/database';
import { tablesFor } from '../database/tables';
import { QueueNotFoundError } from '../errors';
import { wakeConsumers } from '../wakeups/wakeup';
import {
  checkReplayFrom,
  REPLAY_HEADER,
  REPLAY_OF_HEADER,
  type ReplayCallOptions,
  type ReplayOptions,
} from './replay-settings';

/**
 * Re-delivers every archived (acked, still retained) message of a queue that
 * was enqueued at or after `from`, in the original send order, as new ready
 * messages with headers x-postbox-replay: true and x-postbox-replay-of: the
 * original id. One statement. Acked replays are archived again but never
 * replayed a second time, so replaying twice does not multiply history.
 * A queue without retentionMs archives nothing, so nothing is replayed.
 */
export async function replayQueue(
  db: Executor,
  queue: string,
  { from }: ReplayOptions,
  options: ReplayCallOptions = {},
): Promise<{ replayed: number }> {
  const since = checkReplayFrom(from).toISOString();
  const t = tablesFor(options.schema);
  const wake = db.isTransaction ? sql`select pg_notify(${t.wakeupChannel}, name) from q` : sql`select 1`;
  const { rows } = await sql<{ found: boolean; replayed: number }>`
    with q as (select name, retention_ms from ${t.queues} where name = ${queue}),
    replayed as (
      insert into ${t.messages} (queue, body, headers, priority, group_key)
      select q.name, a.body,
             coalesce(a.headers, '{}'::jsonb)
               || jsonb_build_object(${REPLAY_HEADER}::text, 'true', ${REPLAY_OF_HEADER}::text, a.id::text),
             a.priority, a.group_key
      from q, ${t.archivedMessages} a
      where a.queue = q.name
        and a.enqueued_at >= ${since}::timestamptz
        -- implied by the line above (acks come after sends); lets Postgres skip older partitions
        and a.acked_at >= ${since}::timestamptz
        and a.acked_at > now() - q.retention_ms * interval '1 millisecond'
        and not coalesce(a.headers ? ${REPLAY_HEADER}::text, false)
      order by a.id
      returning 1
    ),
    wake as (${wake})
    select exists (select 1 from q) as found,
           (select count(*) from replayed)::int as replayed,
           (select count(*) from wake) as woken`.execute(db);
  const row = rows[0];
  if (!row?.found) throw new QueueNotFoundError(queue);
  if (row.replayed > 0) await wakeConsumers(db, [queue], options);
  return { replayed: row.replayed };
}
