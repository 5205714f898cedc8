import { queueUrl, requireQueue, type SqsContext } from '../sqs-context';

/** ListDeadLetterSourceQueues → the queues whose deadLetterQueue is this one. */
export async function listDeadLetterSourceQueues(ctx: SqsContext) {
  const name = requireQueue(ctx);
  await ctx.postbox.getQueue(name);
  const sources = (await ctx.postbox.listQueues()).filter(
    (q) => q.deadLetterQueue === name && ctx.allows('ListDeadLetterSourceQueues', q.name),
  );
  return { queueUrls: sources.map((q) => queueUrl(ctx, q.name)) };
}
