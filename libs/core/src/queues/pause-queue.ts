import { sql } from 'kysely';
import type { Executor } from '../database/database';
import { type SchemaOption, tablesFor } from '../database/tables';
import { QueueNotFoundError } from '../errors';
import { type Queue, type QueueRow, queueFromRow } from './queue-settings';

/**
 * Pauses a queue: claims (receive, both consumer claim modes, psql
 * receive) hand nothing out until it is resumed; sends still land and
 * messages already in flight keep their leases (ack, nack and extend work).
 * Idempotent. The rule itself is may_hand_out (migrations/functions/10-ready.sql);
 * this calls pause_queue (65-queue-controls.sql), as psql users do.
 */
export function pauseQueue(db: Executor, name: string, options: SchemaOption = {}): Promise<Queue> {
  return setPaused(db, name, true, options);
}

/**
 * Sets a queue's paused flag; resuming NOTIFYs its wake-up channel in the
 * same statement, so waiting receives and consumers claim at the commit.
 */
export async function setPaused(
  db: Executor,
  name: string,
  paused: boolean,
  { schema }: SchemaOption = {},
): Promise<Queue> {
  const fn = sql.id(tablesFor(schema).schema, 'pause_queue');
  try {
    const { rows } = await sql<QueueRow>`select * from ${fn}(${name}::text, ${paused}::boolean)`.execute(db);
    return queueFromRow(rows[0] as QueueRow);
  } catch (error) {
    if ((error as { code?: string }).code === 'P0002') throw new QueueNotFoundError(name);
    throw error;
  }
}
