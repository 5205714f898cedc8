import { parseQueueAttributes } from '../queue-attributes';
import { requireQueue, type SqsContext } from '../sqs-context';
import { sqsErrors } from '../sqs-error';
import { type SqsInput, stringMap } from '../sqs-input';

/**
 * SetQueueAttributes. The attributes kept by the endpoint (DelaySeconds,
 * ReceiveMessageWaitTimeSeconds, MaximumMessageSize, MessageRetentionPeriod,
 * ContentBasedDeduplication) change; VisibilityTimeout and RedrivePolicy are
 * the queue's own settings, and the core has no operation to change a
 * queue's settings in place yet: setting them to what they are is accepted,
 * to anything else is UnsupportedOperation.
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
  ctx.settings.set(name, parsed.sqsOnly);
  return {};
}
