import { sql } from 'kysely';
import type { Executor } from '../database/database';
import { type SchemaOption, tablesFor } from '../database/tables';
import { ConflictError, InvalidInputError } from '../errors';
import { createQueue } from '../queues/create-queue';
import { findQueue } from '../queues/get-queue';
import { assertQueueName, type Queue, type QueueOptions } from '../queues/queue-settings';
import { assertTopicName, resolveTagFilter, TopicNotFoundError } from './topic-settings';

export interface SubscribeOptions extends QueueOptions {
  /** Only messages published with one of these tags (exact match); default: every message. */
  tags?: string | string[] | null;
  /** The group's queue; default `<topic>.<group>`. Created with the queue settings given here. */
  queue?: string;
}

export interface Subscription {
  topic: string;
  group: string;
  queue: string;
  tags: string[] | null;
  createdAt: Date;
}

export interface SubscribeResult {
  subscription: Subscription;
  queue: Queue;
  /** false when the same subscription already existed. */
  created: boolean;
}

export interface SubscriptionRow {
  topic: string;
  group_name: string;
  queue: string;
  tags: string[] | null;
  created_at: Date;
}

export function subscriptionFromRow(row: SubscriptionRow): Subscription {
  return { topic: row.topic, group: row.group_name, queue: row.queue, tags: row.tags, createdAt: row.created_at };
}

/**
 * Subscribes a consumer group to a topic: the group gets every message
 * published from now on (matching its tags) in its own queue, which is
 * created here with the given queue settings (or, when `queue` names an
 * existing queue and no settings are given, used as it is). Idempotent:
 * the same subscription again returns it (created: false); other tags or
 * another queue for the group throw ConflictError (409). Runs in one
 * transaction (the caller's, when `db` is one).
 */
export async function subscribe(
  db: Executor,
  topic: string,
  group: string,
  options: SubscribeOptions = {},
  { schema }: SchemaOption = {},
): Promise<SubscribeResult> {
  assertTopicName(topic, 'topic');
  assertQueueName(group, 'group');
  const { tags: rawTags, queue: rawQueue, ...queueOptions } = options;
  const tags = resolveTagFilter(rawTags);
  const queueName = rawQueue ?? `${topic}.${group}`;
  assertQueueName(queueName, rawQueue === undefined ? 'group' : 'queue');
  if (rawQueue === undefined && queueName.length > 128) {
    throw new InvalidInputError('group', `makes the queue name "${topic}.${group}" longer than 128 characters`);
  }
  const t = tablesFor(schema);

  const run = async (trx: Executor): Promise<SubscribeResult> => {
    // Lock the topic row: a concurrent deleteTopic cannot leave a subscription behind.
    const found = await sql`select 1 from ${t.topics} where name = ${topic} for key share`.execute(trx);
    if (found.rows.length === 0) throw new TopicNotFoundError(topic);
    const settingsGiven = Object.values(queueOptions).some((v) => v !== undefined);
    const existingQueue = !settingsGiven && rawQueue !== undefined ? await findQueue(trx, queueName, { schema }) : null;
    const queue = existingQueue ?? (await createQueue(trx, queueName, queueOptions, { schema })).queue;
    const { rows } = await sql<SubscriptionRow & { created: boolean }>`
      with ins as (
        insert into ${t.subscriptions} (topic, group_name, queue, tags)
        values (${topic}, ${group}, ${queueName}, ${tags}::text[])
        on conflict (topic, group_name) do nothing
        returning *
      )
      select *, true as created from ins
      union all
      select *, false as created from ${t.subscriptions}
      where topic = ${topic} and group_name = ${group} and not exists (select 1 from ins)`.execute(trx);
    const row = rows[0];
    if (!row) throw new ConflictError(`subscription "${group}" of topic "${topic}" is being created concurrently`);
    const subscription = subscriptionFromRow(row);
    if (!row.created && (subscription.queue !== queueName || !sameTags(subscription.tags, tags))) {
      throw new ConflictError(`subscription "${group}" of topic "${topic}" already exists with other settings`);
    }
    return { subscription, queue, created: row.created };
  };
  return db.isTransaction ? run(db) : db.transaction().execute(run);
}

function sameTags(a: string[] | null, b: string[] | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((tag, i) => tag === b[i]);
}

/** Ends a subscription (its queue and the messages in it stay). Returns false when there was none. */
export async function unsubscribe(
  db: Executor,
  topic: string,
  group: string,
  { schema }: SchemaOption = {},
): Promise<boolean> {
  const t = tablesFor(schema);
  const { rows } = await sql`
    delete from ${t.subscriptions} where topic = ${topic} and group_name = ${group} returning 1`.execute(db);
  return rows.length > 0;
}
