import { type RawBuilder, sql } from 'kysely';

export const DEFAULT_SCHEMA = 'postbox';

/**
 * Qualified table references for one Postbox schema. Every statement in the
 * core is written against these, so one database can host Postbox under any
 * schema name (default "postbox") without touching the caller's search_path.
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
}

export function tablesFor(schema: string = DEFAULT_SCHEMA): PostboxTables {
  return {
    schema,
    queues: sql.table(`${schema}.queues`),
    messages: sql.table(`${schema}.messages`),
    deadLetters: sql.table(`${schema}.dead_letters`),
    dedupKeys: sql.table(`${schema}.dedup_keys`),
    messagesIdSeq: `"${schema}".messages_id_seq`,
    wakeupChannel: `${schema}.wakeup`,
  };
}

/** The schema option every operation accepts. */
export interface SchemaOption {
  schema?: string;
}
