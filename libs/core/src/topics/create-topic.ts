import { sql } from 'kysely';
import type { Executor } from '../database/database';
import { type SchemaOption, tablesFor } from '../database/tables';
import { ConflictError } from '../errors';
import {
  assertTopicName,
  resolveRetentionMs,
  type Topic,
  type TopicOptions,
  type TopicRow,
  topicFromRow,
} from './topic-settings';

export interface CreateTopicResult {
  topic: Topic;
  /** false when the topic already existed with the same settings. */
  created: boolean;
}

/**
 * Creates a topic, idempotently like createQueue: the same settings again
 * return the existing topic (created: false); another retention throws
 * ConflictError (409).
 */
export async function createTopic(
  db: Executor,
  name: string,
  options: TopicOptions = {},
  { schema }: SchemaOption = {},
): Promise<CreateTopicResult> {
  assertTopicName(name);
  const retentionMs = resolveRetentionMs(options.retentionMs);
  const t = tablesFor(schema);
  const { rows } = await sql<TopicRow & { created: boolean }>`
    with ins as (
      insert into ${t.topics} (name, retention_ms) values (${name}, ${retentionMs})
      on conflict (name) do nothing
      returning *
    )
    select *, true as created from ins
    union all
    select *, false as created from ${t.topics} where name = ${name} and not exists (select 1 from ins)`.execute(db);
  const row = rows[0];
  if (!row) return createTopic(db, name, options, { schema }); // inserted by a concurrent transaction not yet visible
  const topic = topicFromRow(row);
  if (!row.created && topic.retentionMs !== retentionMs) {
    throw new ConflictError(`topic "${name}" already exists with other settings`);
  }
  return { topic, created: row.created };
}
