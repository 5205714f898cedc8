import { sql } from 'kysely';
import type { Executor } from '../database/database';
import type { SchemaOption } from '../database/tables';
import { tablesFor } from '../database/tables';
import { setPaused } from '../queues/pause-queue';
import type { Queue } from '../queues/queue-settings';
import { SubscriptionNotFoundError } from './topic-settings';

/**
 * Pauses (or resumes) one consumer group of a topic alone: its queue stops
 * handing out messages while publishes keep landing in it and the topic's
 * other groups go on. A group is its queue, so this is pauseQueue on the
 * subscription's queue; returns that queue.
 */
export async function setGroupPaused(
  db: Executor,
  topic: string,
  group: string,
  paused: boolean,
  options: SchemaOption = {},
): Promise<Queue> {
  const t = tablesFor(options.schema);
  const { rows } = await sql<{ queue: string }>`
    select queue from ${t.subscriptions} where topic = ${topic} and group_name = ${group}`.execute(db);
  const queue = rows[0]?.queue;
  if (queue === undefined) throw new SubscriptionNotFoundError(topic, group);
  return setPaused(db, queue, paused, options);
}
