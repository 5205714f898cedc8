import { type RawBuilder, sql } from 'kysely';
import { type PostboxTables, tablesFor } from '../database/tables';

/** The pub/sub and archive tables of one Postbox schema (migration 000003), next to the queue tables. */
export interface PubSubTables extends PostboxTables {
  topics: RawBuilder<unknown>;
  subscriptions: RawBuilder<unknown>;
  publishedMessages: RawBuilder<unknown>;
  archivedMessages: RawBuilder<unknown>;
  topicStats: RawBuilder<unknown>;
  topicMessageIdSeq: string;
}

export function pubSubTablesFor(schema?: string): PubSubTables {
  const t = tablesFor(schema);
  return {
    ...t,
    topics: sql.table(`${t.schema}.topics`),
    subscriptions: sql.table(`${t.schema}.subscriptions`),
    publishedMessages: sql.table(`${t.schema}.published_messages`),
    archivedMessages: sql.table(`${t.schema}.archived_messages`),
    topicStats: sql.table(`${t.schema}.topic_stats`),
    topicMessageIdSeq: `"${t.schema}".topic_message_id_seq`,
  };
}
