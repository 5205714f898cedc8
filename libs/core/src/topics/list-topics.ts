import { sql } from 'kysely';
import type { Executor } from '../database/database';
import { type SchemaOption, tablesFor } from '../database/tables';
import { type Topic, TopicNotFoundError, topicFromRow } from './topic-settings';

export interface SubscriptionWithStats {
  group: string;
  queue: string;
  tags: string[] | null;
  subscribedAt: Date;
  ready: number;
  delayed: number;
  inFlight: number;
  dead: number;
  oldestReadyAgeMs: number | null;
}

export interface TopicWithSubscriptions extends Topic {
  subscriptions: SubscriptionWithStats[];
}

interface TopicStatsRow {
  topic: string;
  retention_ms: string | null;
  created_at: Date;
  group_name: string | null;
  queue: string | null;
  tags: string[] | null;
  subscribed_at: Date | null;
  ready: string | null;
  delayed: string | null;
  in_flight: string | null;
  dead: string | null;
  oldest_ready_age_ms: string | null;
}

/**
 * Topics with their groups and each group's queue depth, read from the
 * topic_stats view psql users see too. O(backlog): an admin call.
 */
export async function listTopics(
  db: Executor,
  { schema, name }: SchemaOption & { name?: string } = {},
): Promise<TopicWithSubscriptions[]> {
  const t = tablesFor(schema);
  const { rows } = await sql<TopicStatsRow>`
    select s.topic, s.retention_ms, tp.created_at, s.group_name, s.queue, s.tags, s.subscribed_at,
           s.ready, s.delayed, s.in_flight, s.dead, round(s.oldest_ready_age_ms) as oldest_ready_age_ms
    from ${t.topicStats} s join ${t.topics} tp on tp.name = s.topic
    where ${name === undefined ? sql`true` : sql`s.topic = ${name}`}
    order by s.topic, s.group_name`.execute(db);
  const topics = new Map<string, TopicWithSubscriptions>();
  for (const row of rows) {
    let topic = topics.get(row.topic);
    if (!topic) {
      topic = {
        ...topicFromRow({ name: row.topic, retention_ms: row.retention_ms, created_at: row.created_at }),
        subscriptions: [],
      };
      topics.set(row.topic, topic);
    }
    if (row.group_name !== null && row.queue !== null) {
      topic.subscriptions.push({
        group: row.group_name,
        queue: row.queue,
        tags: row.tags,
        subscribedAt: row.subscribed_at as Date,
        ready: Number(row.ready ?? 0),
        delayed: Number(row.delayed ?? 0),
        inFlight: Number(row.in_flight ?? 0),
        dead: Number(row.dead ?? 0),
        oldestReadyAgeMs: row.oldest_ready_age_ms === null ? null : Number(row.oldest_ready_age_ms),
      });
    }
  }
  return [...topics.values()];
}

export async function getTopic(
  db: Executor,
  name: string,
  options: SchemaOption = {},
): Promise<TopicWithSubscriptions> {
  const [topic] = await listTopics(db, { ...options, name });
  if (!topic) throw new TopicNotFoundError(name);
  return topic;
}
