import { type RawBuilder, sql } from 'kysely';

export const DEFAULT_SCHEMA = 'postbox';

/**
 * The one registry of Postbox's tables, views and sequences for one schema.
 * Every statement in the core is written against these, so one database can
 * host Postbox under any schema name (default "postbox") without touching
 * the caller's search_path, and a renamed table is a one-line change here.
 */
export interface PostboxTables {
  schema: string;
  queues: RawBuilder<unknown>;
  messages: RawBuilder<unknown>;
  deadLetters: RawBuilder<unknown>;
  dedupKeys: RawBuilder<unknown>;
  messagesIdSeq: string;
  /** LISTEN/NOTIFY channel; the payload is the queue name. */
  wakeupChannel: string;
  topics: RawBuilder<unknown>;
  subscriptions: RawBuilder<unknown>;
  /** The topic archive (published messages of topics with a retention). */
  publishedMessages: RawBuilder<unknown>;
  /** The queue archive (acked messages of queues with a retention). */
  archivedMessages: RawBuilder<unknown>;
  topicMessageIdSeq: string;
  queueStats: RawBuilder<unknown>;
  topicStats: RawBuilder<unknown>;
  /** Half messages. */
  transactions: RawBuilder<unknown>;
  inbox: RawBuilder<unknown>;
  apiKeys: RawBuilder<unknown>;
}

export function tablesFor(schema: string = DEFAULT_SCHEMA): PostboxTables {
  const table = (name: string) => sql.table(`${schema}.${name}`);
  return {
    schema,
    queues: table('queues'),
    messages: table('messages'),
    deadLetters: table('dead_letters'),
    dedupKeys: table('dedup_keys'),
    messagesIdSeq: `"${schema}".messages_id_seq`,
    wakeupChannel: `${schema}.wakeup`,
    topics: table('topics'),
    subscriptions: table('subscriptions'),
    publishedMessages: table('published_messages'),
    archivedMessages: table('archived_messages'),
    topicMessageIdSeq: `"${schema}".topic_message_id_seq`,
    queueStats: table('queue_stats'),
    topicStats: table('topic_stats'),
    transactions: table('transactions'),
    inbox: table('inbox'),
    apiKeys: table('api_keys'),
  };
}

/** The schema option every operation accepts. */
export interface SchemaOption {
  schema?: string;
}
