import type { QueueOptions } from 'postbox';
import { parseQueueAttributes } from '../queue-attributes';
import { requireQueue, type SqsContext } from '../sqs-context';
import { sqsErrors } from '../sqs-error';
import { type SqsInput, stringMap } from '../sqs-input';
import { toProtocolAttributes } from '../sqs-queue-settings';

/**
 * SetQueueAttributes. MaximumMessageSize and MessageRetentionPeriod change
 * the queue's maxMessageBytes and messageTtlMs (postbox.updateQueue);
 * DelaySeconds, ReceiveMessageWaitTimeSeconds and ContentBasedDeduplication
 * its protocol attributes — both in one transaction, so a refused request
 * changes nothing. VisibilityTimeout and RedrivePolicy: setting them to what
 * they are is accepted, to anything else is UnsupportedOperation (not
 * offered here yet).
 */
export async function setQueueAttributes(ctx: SqsContext, input: SqsInput) {
  const name = requireQueue(ctx);
  const parsed = parseQueueAttributes(name, stringMap(input, 'Attributes'));
  const queue = await ctx.postbox.getQueue(name);
  const { core } = parsed;
  const changes =
    (core.visibilityTimeoutMs !== undefined && core.visibilityTimeoutMs !== queue.visibilityTimeoutMs) ||
    (core.maxAttempts !== undefined && core.maxAttempts !== queue.maxAttempts) ||
    (core.deadLetterQueue !== undefined && core.deadLetterQueue !== queue.deadLetterQueue);
  if (changes) {
    throw sqsErrors.unsupportedOperation(
      'Changing VisibilityTimeout or RedrivePolicy of an existing queue is not supported yet by Postbox.',
    );
  }
  const update: QueueOptions = {};
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
