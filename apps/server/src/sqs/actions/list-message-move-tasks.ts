import type { SqsContext } from '../sqs-context';
import { optionalInt, requiredString, type SqsInput } from '../sqs-input';
import { orNotFound, queueOfArn, requireAllowed, toMoveTaskEntry } from './message-move-task';

/**
 * ListMessageMoveTasks → postbox.listTasks(source): the newest first, 1 by
 * default and at most 10, as SQS. Read scope, as GET /v1/tasks/:id.
 */
export async function listMessageMoveTasks(ctx: SqsContext, input: SqsInput) {
  const source = queueOfArn(ctx, 'SourceArn', requiredString(input, 'SourceArn'));
  const limit = optionalInt(input, 'MaxResults', 1, 10) ?? 1;
  requireAllowed(ctx, 'ListMessageMoveTasks', [source]);
  await orNotFound(
    ctx,
    () => 'SourceArn',
    () => ctx.postbox.getQueue(source),
  );
  const tasks = await ctx.postbox.listTasks(source, { limit });
  return { Results: tasks.map((task) => toMoveTaskEntry(ctx, task)) };
}
