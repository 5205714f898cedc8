import { requireQueue, type SqsContext } from '../sqs-context';

/**
 * PurgeQueue → postbox.purgeQueue(queue, ['ready', 'delayed']), in committed
 * batches. One difference from SQS, on purpose: SQS deletes in-flight
 * messages too; Postbox never does (their consumer holds a receipt and would
 * ack or nack a message that is gone), so an in-flight message stays until
 * it is deleted or its visibility timeout runs out. The queue's own dead
 * letters (dead_letters) are not messages of the queue in SQS terms and stay
 * as well. Admin scope, as POST /v1/queues/:queue/purge. Answers SQS's empty
 * success; QueueDoesNotExist for an unknown queue (the core's QueueNotFoundError).
 */
export async function purgeQueue(ctx: SqsContext): Promise<Record<string, unknown>> {
  await ctx.postbox.purgeQueue(requireQueue(ctx), ['ready', 'delayed']);
  return {};
}
