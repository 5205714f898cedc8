import { type PostboxTables, tablesFor } from '../database/tables';

/** @deprecated The pub/sub tables are in the one registry now: use tablesFor (database/tables.ts). */
export type PubSubTables = PostboxTables;

/** @deprecated Use tablesFor (database/tables.ts). */
export function pubSubTablesFor(schema?: string): PostboxTables {
  return tablesFor(schema);
}
