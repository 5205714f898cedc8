import { requireQueue, type SqsContext } from '../sqs-context';
import { sqsErrors } from '../sqs-error';

/** DeleteQueue → postbox.deleteQueue (its messages and dead letters go with it). */
export async function deleteQueue(ctx: SqsContext) {
  const name = requireQueue(ctx);
  if (!(await ctx.postbox.deleteQueue(name))) throw sqsErrors.queueDoesNotExist(name);
  return {};
}
