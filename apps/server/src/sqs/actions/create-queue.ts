import { ConflictError, type QueueOptions } from 'postbox';
import {
  DEFAULT_RETENTION_SECONDS,
  NO_REDRIVE_MAX_ATTEMPTS,
  parseQueueAttributes,
  renderQueueAttributes,
} from '../queue-attributes';
import { isFifoName, queueUrl, type SqsContext } from '../sqs-context';
import { sqsErrors } from '../sqs-error';
import { requiredString, type SqsInput, stringMap } from '../sqs-input';
import { readSqsOnlySettings, toProtocolAttributes } from '../sqs-queue-settings';

const SQS_QUEUE_NAME = /^[A-Za-z0-9_-]{1,75}(\.fifo)?$|^[A-Za-z0-9_-]{1,80}$/;

/**
 * CreateQueue → postbox.createQueue. As SQS: the same name again answers the
 * queue's URL when every attribute given matches the queue's; any
 * difference is QueueNameExists (query code QueueAlreadyExists). The queue
 * and its protocol attributes are written in one transaction, so another
 * service instance never sees the queue without them.
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
    // SQS's retention: messages older than 4 days are deleted (queue-attributes.ts).
    messageTtlMs: DEFAULT_RETENTION_SECONDS * 1000,
    expiredTo: 'drop',
    ...parsed.core,
  };
  let created = false;
  try {
    const attributes = toProtocolAttributes(parsed.sqsOnly);
    created = await ctx.postbox.transaction(async (trx) => {
      const result = await ctx.postbox.createQueue(name, options, { trx });
      if (result.created && Object.keys(attributes).length > 0) {
        await ctx.postbox.setProtocolAttributes(name, attributes, { trx });
      }
      return result.created;
    });
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
  }
  if (!created) {
    const [stats, sqsOnly] = await Promise.all([
      ctx.postbox.getQueueStats(name),
      readSqsOnlySettings(ctx.postbox, name),
    ]);
    const existing = renderQueueAttributes(stats, sqsOnly, ctx.options);
    for (const [attribute, value] of Object.entries(given)) {
      const wanted = JSON.stringify(parseQueueAttributes(name, { [attribute]: value }));
      if (wanted !== currentAttribute(name, attribute, existing[attribute])) throw sqsErrors.queueNameExists(name);
    }
  }
  return { QueueUrl: queueUrl(ctx, name) };
}

/** The existing queue's attribute parsed as a given one would be; one it does not report (or cannot) never matches. */
function currentAttribute(queue: string, attribute: string, value: string | undefined): string | null {
  try {
    return JSON.stringify(parseQueueAttributes(queue, { [attribute]: value ?? '' }));
  } catch {
    return null;
  }
}
