import type { SqsContext } from '../sqs-context';
import type { SqsInput } from '../sqs-input';
import { optionalInt, requiredString } from '../sqs-input';
import { encodeTaskHandle, optionalArn, orNotFound, queueOfArn, requireAllowed } from './message-move-task';

/**
 * StartMessageMoveTask → postbox.moveDeadLetters(source, {to, maxPerSecond}).
 * SourceArn is the dead-letter queue; without DestinationArn each message goes
 * back to the queue it was dead-lettered from (header
 * x-postbox-dead-letter-from), as SQS. Differences: Postbox also moves a
 * queue's own dead letters (dead_letters, a queue without deadLetterQueue),
 * so SourceArn need not be a configured dead-letter queue; and a second task
 * on the same source is not refused (each moves what is not yet moved).
 * Scope as POST /v1/queues/:queue/move: admin on the source and destination,
 * and a key covering every name when the destination is "where each came from".
 */
export async function startMessageMoveTask(ctx: SqsContext, input: SqsInput) {
  const sourceArn = requiredString(input, 'SourceArn');
  const source = queueOfArn(ctx, 'SourceArn', sourceArn);
  const to = optionalArn(ctx, input, 'DestinationArn');
  // 500 a second is SQS's ceiling for MaxNumberOfMessagesPerSecond.
  const maxPerSecond = optionalInt(input, 'MaxNumberOfMessagesPerSecond', 1, 500);
  requireAllowed(ctx, 'StartMessageMoveTask', to === undefined ? 'all' : [source, to]);
  const taskId = await orNotFound(
    ctx,
    (queue) => (queue === source ? 'SourceArn' : 'DestinationArn'),
    () => ctx.postbox.moveDeadLetters(source, { to, maxPerSecond }),
  );
  return { TaskHandle: encodeTaskHandle(taskId, sourceArn) };
}
