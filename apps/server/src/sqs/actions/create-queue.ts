import { ConflictError, type QueueOptions } from 'postbox';
import { NO_REDRIVE_MAX_ATTEMPTS, parseQueueAttributes, renderQueueAttributes } from '../queue-attributes';
import { isFifoName, queueUrl, type SqsContext } from '../sqs-context';
import { sqsErrors } from '../sqs-error';
import { requiredString, type SqsInput, stringMap } from '../sqs-input';

const SQS_QUEUE_NAME = /^[A-Za-z0-9_-]{1,75}(\.fifo)?$|^[A-Za-z0-9_-]{1,80}$/;

/**
 * CreateQueue → postbox.createQueue. As SQS: the same name again answers the
 * queue's URL when every attribute given matches the queue's; any
 * difference is QueueNameExists (query code QueueAlreadyExists).
 */
export async function createQueue(ctx: SqsContext, input: SqsInput) {
  const name = requiredString(input, 'QueueName');
  if (!SQS_QUEUE_NAME.test(name)) {
    throw sqsErrors.invalidParameterValue(
      'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length.',
    );
  }
  const given = stringMap(input, 'Attributes');
  const parsed = parseQueueAttributes(name, given);
  const options: QueueOptions = {
    fifo: isFifoName(name),
    maxAttempts: NO_REDRIVE_MAX_ATTEMPTS,
    deadLetterQueue: null,
    ...parsed.core,
  };
  let created = false;
  try {
    created = (await ctx.postbox.createQueue(name, options)).created;
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
  }
  if (created) {
    ctx.settings.set(name, parsed.sqsOnly);
  } else {
    const existing = renderQueueAttributes(await ctx.postbox.getQueueStats(name), ctx.settings.get(name), ctx.options);
    for (const [attribute, value] of Object.entries(given)) {
      const wanted = JSON.stringify(parseQueueAttributes(name, { [attribute]: value }));
      const current = JSON.stringify(parseQueueAttributes(name, { [attribute]: existing[attribute] ?? '' }));
      if (wanted !== current) throw sqsErrors.queueNameExists(name);
    }
  }
  return { QueueUrl: queueUrl(ctx, name) };
}
