import { pickQueueAttributes, renderQueueAttributes } from '../queue-attributes';
import { requireQueue, type SqsContext } from '../sqs-context';
import { type SqsInput, stringList } from '../sqs-input';

/** GetQueueAttributes → postbox.getQueueStats (depth by state) and the queue's settings. */
export async function getQueueAttributes(ctx: SqsContext, input: SqsInput) {
  const name = requireQueue(ctx);
  const names = stringList(input, 'AttributeNames');
  const all = renderQueueAttributes(await ctx.postbox.getQueueStats(name), ctx.settings.get(name), ctx.options);
  const picked = pickQueueAttributes(all, names);
  return Object.keys(picked).length > 0 ? { Attributes: picked } : {};
}
