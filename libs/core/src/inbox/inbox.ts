import { type RawBuilder, sql } from 'kysely';
import { DEFAULT_SCHEMA } from '../database/tables';

export function inboxTableFor(schema: string = DEFAULT_SCHEMA): RawBuilder<unknown> {
  return sql.table(`${schema}.inbox`);
}

/** Default for pruning inbox rows: a week, far longer than any message stays in a queue unacked. */
export const DEFAULT_INBOX_RETENTION_MS = 7 * 24 * 3600 * 1000;
