import { sql } from 'kysely';
import { checkReplayFrom, REPLAY_HEADER, type ReplayCallOptions, type ReplayOptions } from '../archive/replay-settings';
import type { Executor } from '../database/database';
import { tablesFor } from '../database/tables';
import { wakeConsumers } from '../wakeups/wakeup';
import { SubscriptionNotFoundError } from './topic-settings';

export type { ReplayCallOptions, ReplayOptions } from '../archive/replay-settings';

/**
 * Kafka's offset reset by timestamp, for one consumer group: every message
 * of the topic's archive published at or after `from`, still within the
 * topic's retention and matching the group's tags, is inserted into that
 * group's queue again, in the original publish order (topic message id), with
 * header x-postbox-replay: true. One statement; other groups are untouched.
 * The group's subscription time does not limit a replay: a group that
 * subscribed late can read history this way. Without a topic retention
 * nothing was archived, so nothing is replayed.
 */
export async function replayTopic(
  db: Executor,
  topic: string,
  group: string,
  { from }: ReplayOptions,
  options: ReplayCallOptions = {},
): Promise<{ replayed: number }> {
  const since = checkReplayFrom(from);
  const t = tablesFor(options.schema);
  const wake = db.isTransaction ? sql`select pg_notify(${t.wakeupChannel}, queue) from sub` : sql`select 1`;
  const { rows } = await sql<{ queue: string | null; replayed: number }>`
    with sub as (select queue, tags from ${t.subscriptions} where topic = ${topic} and group_name = ${group}),
    replayed as (
      insert into ${t.messages} (queue, body, headers, priority, group_key)
      select sub.queue, p.body, p.headers || jsonb_build_object(${REPLAY_HEADER}::text, 'true'), p.priority, p.group_key
      from sub, ${t.topics} tp, ${t.publishedMessages} p
      where tp.name = ${topic} and p.topic = ${topic}
        and p.published_at >= ${since.toISOString()}::timestamptz
        and p.published_at > now() - tp.retention_ms * interval '1 millisecond'
        and (sub.tags is null or p.tag = any(sub.tags))
      order by p.id
      returning 1
    ),
    wake as (${wake})
    select (select queue from sub) as queue,
           (select count(*) from replayed)::int as replayed,
           (select count(*) from wake) as woken`.execute(db);
  const row = rows[0];
  if (!row?.queue) throw new SubscriptionNotFoundError(topic, group);
  if (row.replayed > 0) await wakeConsumers(db, [row.queue], options);
  return { replayed: row.replayed };
}
