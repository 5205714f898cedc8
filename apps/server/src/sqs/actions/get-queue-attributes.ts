import { pickQueueAttributes, renderQueueAttributes } from '../queue-attributes';
import { requireQueue, type SqsContext } from '../sqs-context';
import { type SqsInput, stringList } from '../sqs-input';
import { readSqsOnlySettings } from '../sqs-queue-settings';

/** GetQueueAttributes → postbox.getQueueStats (depth by state) and the queue's settings. */
export async function getQueueAttributes(ctx: SqsContext, input: SqsInput) {
  const name = requireQueue(ctx);
  const names = stringList(input, 'AttributeNames');
  const [stats, sqsOnly] = await Promise.all([ctx.postbox.getQueueStats(name), readSqsOnlySettings(ctx.postbox, name)]);
  const all = renderQueueAttributes(stats, sqsOnly, ctx.options);
  const picked = pickQueueAttributes(all, names);
  return Object.keys(picked).length > 0 ? { Attributes: picked } : {};
}
