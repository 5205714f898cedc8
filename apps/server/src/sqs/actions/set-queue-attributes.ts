import type { QueueOptions } from 'postbox';
import { parseQueueAttributes } from '../queue-attributes';
import { requireQueue, type SqsContext } from '../sqs-context';
import { type SqsInput, stringMap } from '../sqs-input';
import { toProtocolAttributes } from '../sqs-queue-settings';

/**
 * SetQueueAttributes. MaximumMessageSize and MessageRetentionPeriod change
 * the queue's maxMessageBytes and messageTtlMs (postbox.updateQueue);
 * DelaySeconds, ReceiveMessageWaitTimeSeconds and ContentBasedDeduplication
 * its protocol attributes — both in one transaction, so a refused request
 * changes nothing. VisibilityTimeout and RedrivePolicy change the queue's
 * visibilityTimeoutMs, maxAttempts and deadLetterQueue in place, as PATCH
 * /v1/queues/:queue does (docs/queue-controls.md: messages in flight keep
 * their lease; the new maxAttempts applies at their next failure).
 */
export async function setQueueAttributes(ctx: SqsContext, input: SqsInput) {
  const name = requireQueue(ctx);
  const parsed = parseQueueAttributes(name, stringMap(input, 'Attributes'));
  const { core } = parsed;
  const update: QueueOptions = {};
  if (core.visibilityTimeoutMs !== undefined) update.visibilityTimeoutMs = core.visibilityTimeoutMs;
  if (core.maxAttempts !== undefined) update.maxAttempts = core.maxAttempts;
  if (core.deadLetterQueue !== undefined) update.deadLetterQueue = core.deadLetterQueue;
  if (core.maxMessageBytes !== undefined) update.maxMessageBytes = core.maxMessageBytes;
  if (core.messageTtlMs !== undefined) {
    update.messageTtlMs = core.messageTtlMs;
    update.expiredTo = core.expiredTo;
  }
  const attributes = toProtocolAttributes(parsed.sqsOnly);
  await ctx.postbox.transaction(async (trx) => {
    if (Object.keys(update).length > 0) await ctx.postbox.updateQueue(name, update, { trx });
    if (Object.keys(attributes).length > 0) await ctx.postbox.setProtocolAttributes(name, attributes, { trx });
  });
  return {};
}
