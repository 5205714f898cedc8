import { sql } from 'kysely';
import type { Executor } from '../database/database';
import type { SchemaOption } from '../database/tables';
import { tablesFor } from '../database/tables';
import { type Topic, topicFromRow } from './topic-settings';

export interface TopicGroup {
  group: string;
  queue: string;
  tags: string[] | null;
  subscribedAt: Date;
}

export interface TopicWithGroups extends Topic {
  groups: TopicGroup[];
}

/**
 * Topics and their consumer groups, without depth: two small tables, so it
 * costs the same however many messages wait (listTopics counts each group's
 * queue, O(backlog)). The dashboard joins it with the queue depths it
 * already sampled.
 */
export async function listTopicGroups(db: Executor, { schema }: SchemaOption = {}): Promise<TopicWithGroups[]> {
  const t = tablesFor(schema);
  const { rows } = await sql<{
    name: string;
    retention_ms: string | null;
    created_at: Date;
    group_name: string | null;
    queue: string | null;
    tags: string[] | null;
    subscribed_at: Date | null;
  }>`
    select tp.name, tp.retention_ms, tp.created_at, s.group_name, s.queue, s.tags, s.created_at as subscribed_at
    from ${t.topics} tp left join ${t.subscriptions} s on s.topic = tp.name
    order by tp.name, s.group_name`.execute(db);
  const topics = new Map<string, TopicWithGroups>();
  for (const row of rows) {
    let topic = topics.get(row.name);
    if (!topic) {
      topic = { ...topicFromRow(row), groups: [] };
      topics.set(row.name, topic);
    }
    if (row.group_name !== null && row.queue !== null) {
      topic.groups.push({
        group: row.group_name,
        queue: row.queue,
        tags: row.tags,
        subscribedAt: row.subscribed_at as Date,
      });
    }
  }
  return [...topics.values()];
}
