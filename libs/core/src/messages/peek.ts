import { sql } from 'kysely';
import type { Executor } from '../database/database';
import { type SchemaOption, tablesFor } from '../database/tables';
import { InvalidInputError } from '../errors';

export const MESSAGE_STATES = ['ready', 'delayed', 'inFlight', 'dead'] as const;
export type MessageState = (typeof MESSAGE_STATES)[number];

/** A message as seen by an operator: no receipt, nothing claimed. */
export interface PeekedMessage {
  id: string;
  state: MessageState;
  body: unknown;
  headers: Record<string, string>;
  attempts: number;
  priority: number;
  enqueuedAt: Date;
  /** ready/delayed: when it is (or was) visible; inFlight: when the lease ends; dead: when it died. */
  availableAt: Date;
  groupKey: string | null;
  dedupKey: string | null;
  lastError: string | null;
}

interface PeekRow {
  id: string;
  body: unknown;
  headers: Record<string, string> | null;
  attempts: number;
  priority: number;
  enqueued_at: Date;
  at: Date;
  group_key: string | null;
  dedup_key: string | null;
  last_error: string | null;
}

/** Lists messages of one state in delivery order, without claiming anything. */
export async function peek(
  db: Executor,
  queue: string,
  state: MessageState,
  limit = 100,
  { schema }: SchemaOption = {},
): Promise<PeekedMessage[]> {
  if (!MESSAGE_STATES.includes(state)) {
    throw new InvalidInputError('state', `must be one of ${MESSAGE_STATES.join(', ')}`);
  }
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new InvalidInputError('limit', 'must be an integer between 1 and 1000');
  }
  const t = tablesFor(schema);
  // The states are defined once, by the message_state SQL function
  // (migrations/functions/10-ready.sql), which the queue_stats view uses too.
  const messageState = sql.id(t.schema, 'message_state');
  const { rows } =
    state === 'dead'
      ? await sql<PeekRow>`
          select id, body, headers, attempts, priority, enqueued_at, dead_at as at, group_key, dedup_key, last_error
          from ${t.deadLetters} where queue = ${queue} order by id limit ${limit}`.execute(db)
      : await sql<PeekRow>`
          select id, body, headers, attempts, priority, enqueued_at, case when lease_token is null then available_at else greatest(available_at, leased_until) end as at, group_key, dedup_key, last_error
          from ${t.messages} m where m.queue = ${queue} and ${messageState}(m.available_at, m.leased_until, m.lease_token) = ${state}
          order by m.priority, m.available_at, m.id limit ${limit}`.execute(db);
  return rows.map((row) => ({
    id: String(row.id),
    state,
    body: row.body,
    headers: row.headers ?? {},
    attempts: row.attempts,
    priority: row.priority,
    enqueuedAt: row.enqueued_at,
    availableAt: row.at,
    groupKey: row.group_key,
    dedupKey: row.dedup_key,
    lastError: row.last_error,
  }));
}
