import { sql } from 'kysely';
import type { Executor } from '../database/database';
import { type SchemaOption, tablesFor } from '../database/tables';
import { InvalidInputError } from '../errors';
import { toMessageColumns } from '../messages/message';
import { MAX_BATCH } from '../messages/send';
import { toAdmissionError } from '../queues/admission-error';
import { type Wakeup, wakeConsumers } from '../wakeups/wakeup';
import { checkTag, type PublishedMessage, TopicNotFoundError } from './topic-settings';

export interface PublishOptions extends SchemaOption {
  /**
   * How the groups' consumers are woken after a publish outside a
   * transaction: default one NOTIFY statement for all of them; a Postbox
   * client passes its WakeupNotifier's wakeup, which coalesces them.
   */
  wakeup?: Wakeup;
}

export interface PublishResult {
  /** The topic message id (the same for every group's copy; header x-postbox-topic-message-id). */
  id: string;
  /** How many groups got a copy. */
  deliveredTo: number;
}

interface PublishRow {
  id: string;
  delivered_to: number;
  woken: string[] | null;
}

/** Publishes one message. See publishBatch. */
export async function publish(
  db: Executor,
  topic: string,
  message: PublishedMessage,
  options: PublishOptions = {},
): Promise<PublishResult> {
  const [result] = await publishBatch(db, topic, [message], options);
  return result as PublishResult;
}

/**
 * Publishes up to 1000 messages to a topic in ONE statement, however many
 * groups subscribe: the fan-out is a join of the input (unnest) with the
 * topic's subscriptions, inserted into the groups' queues as one set, plus
 * one archive row per message when the topic has a retention. Pass the
 * caller's transaction as `db` for the outbox: every group gets the
 * messages if and only if that transaction commits.
 *
 * Wake-ups: inside a transaction the statement NOTIFYs each group queue once
 * (Postgres folds duplicates per transaction, and the notifications fire at
 * commit); outside one, each group queue is woken after the commit, as send
 * does, so the commit path stays free of the notification lock.
 */
export async function publishBatch(
  db: Executor,
  topic: string,
  messages: readonly PublishedMessage[],
  options: PublishOptions = {},
): Promise<PublishResult[]> {
  if (messages.length === 0) return [];
  if (messages.length > MAX_BATCH) throw new InvalidInputError('messages', `must hold at most ${MAX_BATCH} messages`);
  const single = messages.length === 1;
  const columns = messages.map((m, i) => {
    const prefix = single ? '' : `messages[${i}].`;
    // Dedup keys are per queue; a topic-wide window is not built yet.
    if (m && (m as { dedupKey?: unknown }).dedupKey !== undefined) {
      throw new InvalidInputError(`${prefix}dedupKey`, 'is not supported when publishing to a topic');
    }
    return { ...toMessageColumns(m, prefix), tag: checkTag(m.tag, `${prefix}tag`) };
  });
  const t = tablesFor(options.schema);
  const fn = (name: string) => sql.id(t.schema, name);
  const inTransaction = db.isTransaction;
  const wake = inTransaction
    ? sql`select count(pg_notify(${t.wakeupChannel}, queue)) as n from matched_queues`
    : sql`select 0 as n`;
  let rows: PublishRow[];
  try {
    ({ rows } = await sql<PublishRow>`
    with topic as (select name, retention_ms from ${t.topics} where name = ${topic}),
    -- One topic message id per message, drawn in input order: nextval sits
    -- in the select list of a query over the ordered input, so it runs once
    -- per row, after the sort. (It used to sit in a lateral subquery that
    -- referenced nothing of the row; Postgres ran that once per statement
    -- and a batch of 5 got ids [5,5,5,5,5].)
    numbered as materialized (
      select i.*, nextval(${t.topicMessageIdSeq}::regclass) as id
      from (
        select i.* from unnest(
          ${columns.map((c) => c.body)}::jsonb[],
          ${columns.map((c) => c.headers)}::jsonb[],
          ${columns.map((c) => c.priority)}::int[],
          ${columns.map((c) => c.delayMs)}::bigint[],
          ${columns.map((c) => c.availableAt)}::timestamptz[],
          ${columns.map((c) => c.groupKey)}::text[],
          ${columns.map((c) => c.tag)}::text[],
          ${columns.map((c) => c.expiresAt)}::timestamptz[],
          ${columns.map((c) => c.bytes)}::bigint[]
        ) with ordinality as i(body, headers, priority, delay_ms, available_at, group_key, tag, expires_at, bytes, ord)
        where exists (select 1 from topic)
        order by i.ord
      ) i
    ),
    input as materialized (
      select i.ord, i.body, i.priority, i.group_key, i.tag, i.expires_at, i.bytes,
             coalesce(i.available_at, now() + i.delay_ms * interval '1 millisecond') as available_at,
             i.id,
             -- The delivered headers are defined once, by the topic_headers
             -- SQL function (migrations/functions/60-publish.sql), psql's publish() too.
             ${sql.id(t.schema, 'topic_headers')}(i.headers, topic.name, i.id, i.tag) as headers
      from topic, numbered i
      order by i.ord
    ),
    deliveries as materialized (
      select i.ord, s.queue from input i
      join ${t.subscriptions} s on s.topic = ${topic} and (s.tags is null or i.tag = any(s.tags))
    ),
    -- Each group's queue admits its copies by its own limits (migrations/functions/40-send.sql):
    -- maxLength once per queue, maxMessageBytes per copy (the publisher's body and headers);
    -- its messageTtlMs sets expires_at.
    admitting as materialized (
      select q.name, q.max_message_bytes, q.message_ttl_ms,
             case when q.max_length is null then true else ${fn('admit_length')}(q.name, n.copies::int) end as admitted
      from (select queue, count(*) as copies from deliveries group by queue) n
      join ${t.queues} q on q.name = n.queue
    ),
    fanout as (
      insert into ${t.messages} (queue, body, headers, priority, available_at, group_key, expires_at)
      select d.queue, i.body, i.headers, i.priority, i.available_at, i.group_key,
             ${fn('expiry')}(i.expires_at, q.message_ttl_ms)
      from deliveries d join input i on i.ord = d.ord join admitting q on q.name = d.queue
      where q.admitted
        and ${fn('admit_message')}(q.name, q.max_message_bytes, i.bytes,
              ${single ? sql`'message'` : sql`'messages[' || (i.ord - 1) || ']'`})
      order by i.ord, d.queue
    ),
    archived as (
      insert into ${t.publishedMessages} (id, topic, tag, priority, group_key, headers, body)
      select i.id, topic.name, i.tag, i.priority, i.group_key, i.headers, i.body
      from input i, topic where topic.retention_ms is not null
    ),
    matched_queues as (select distinct queue from deliveries),
    wake as (${wake})
    select i.id,
           coalesce(c.n, 0)::int as delivered_to,
           case when i.ord = 1 then (select array_agg(queue) from matched_queues) end as woken
    from input i
    left join (select ord, count(*) as n from deliveries group by ord) c on c.ord = i.ord
    left join wake on true
    order by i.ord`.execute(db));
  } catch (error) {
    throw toAdmissionError(error, topic);
  }
  if (rows.length === 0) throw new TopicNotFoundError(topic);

  await wakeConsumers(db, rows[0]?.woken ?? [], options);
  return rows.map((row) => ({ id: String(row.id), deliveredTo: Number(row.delivered_to) }));
}
