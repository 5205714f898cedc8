import { queueUrl, type SqsContext } from '../sqs-context';
import { requiredString, type SqsInput } from '../sqs-input';

/** GetQueueUrl → postbox.getQueue (QueueDoesNotExist when there is none). */
export async function getQueueUrl(ctx: SqsContext, input: SqsInput) {
  const name = requiredString(input, 'QueueName');
  await ctx.postbox.getQueue(name);
  return { QueueUrl: queueUrl(ctx, name) };
}
