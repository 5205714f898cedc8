import { type RawBuilder, sql } from 'kysely';
import type { Executor } from '../database/database';
import { tablesFor } from '../database/tables';
import { InvalidInputError } from '../errors';
import type { OutgoingMessage } from '../messages/message';
import { publish } from '../topics/publish';

/**
 * The seam between half messages and pub/sub. Transactions store their
 * target generically (kind + name); for a topic the prepare checks the topic
 * exists and the commit publishes (fans out to every subscribed group) in
 * the commit's own transaction.
 */
export function topicTargetRow(topic: string, schema?: string): RawBuilder<unknown> {
  return sql`select name from ${tablesFor(schema).topics} where name = ${topic}`;
}

/** Topic publications have no per-queue dedup window; the transaction's own dedupKey covers retries. */
export function checkTopicMessage(message: OutgoingMessage): void {
  if (message.dedupKey !== undefined) {
    throw new InvalidInputError('dedupKey', 'is not supported on a message to a topic (use the transaction dedupKey)');
  }
}

export async function publishCommittedToTopic(
  trx: Executor,
  topic: string,
  message: OutgoingMessage & { tag?: string },
  schema?: string,
): Promise<string> {
  const { dedupKey: _ignored, ...published } = message;
  return (await publish(trx, topic, published, { schema })).id;
}
