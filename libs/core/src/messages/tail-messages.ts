import { sql } from 'kysely';
import type { Executor } from '../database/database';
import { isMessageId } from '../database/receipt';
import { type SchemaOption, tablesFor } from '../database/tables';
import { InvalidInputError } from '../errors';
import type { MessageState, PeekedMessage } from './peek';

interface TailRow {
  id: string;
  state: MessageState;
  body: unknown;
  headers: Record<string, string> | null;
  attempts: number;
  priority: number;
  enqueued_at: Date;
  available_at: Date;
  group_key: string | null;
  dedup_key: string | null;
  last_error: string | null;
}

/**
 * The queue's messages enqueued after message `afterId`, oldest first,
 * whatever their state (ready, delayed, in flight), claiming nothing: what
 * `postbox tail` follows. Without `afterId`, the newest `limit` messages.
 * Peek cannot do this: it lists in delivery order, so behind a backlog
 * larger than its limit a new message never shows. Walks the primary key
 * from `afterId` (ids grow with each send), so a poll costs the same at any
 * backlog. A message sent and acked between two polls is not seen.
 */
export async function tailMessages(
  db: Executor,
  queue: string,
  afterId: string | undefined,
  limit = 100,
  { schema }: SchemaOption = {},
): Promise<PeekedMessage[]> {
  if (afterId !== undefined && !isMessageId(afterId)) {
    throw new InvalidInputError('after', 'must be a message id');
  }
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new InvalidInputError('limit', 'must be an integer between 1 and 1000');
  }
  const t = tablesFor(schema);
  // The states are defined once, by the message_state SQL function (migrations/functions/10-ready.sql).
  const messageState = sql.id(t.schema, 'message_state');
  // availableAt as peek shows it: for a message in flight, when its lease ends (leased_until since migration 000011).
  const columns = sql`id, body, headers, attempts, priority, enqueued_at, group_key, dedup_key, last_error,
    case when lease_token is null then available_at else greatest(available_at, leased_until) end as available_at,
    ${messageState}(available_at, leased_until, lease_token) as state`;
  const { rows } =
    afterId === undefined
      ? await sql<TailRow>`
          select * from (select ${columns} from ${t.messages} where queue = ${queue} order by id desc limit ${limit}) newest
          order by id`.execute(db)
      : await sql<TailRow>`
          select ${columns} from ${t.messages}
          where queue = ${queue} and id > ${afterId}::bigint order by id limit ${limit}`.execute(db);
  return rows.map((row) => ({
    id: String(row.id),
    state: row.state,
    body: row.body,
    headers: row.headers ?? {},
    attempts: row.attempts,
    priority: row.priority,
    enqueuedAt: row.enqueued_at,
    availableAt: row.available_at,
    groupKey: row.group_key,
    dedupKey: row.dedup_key,
    lastError: row.last_error,
  }));
}
