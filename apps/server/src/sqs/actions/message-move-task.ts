import { QueueNotFoundError, type TaskInfo } from 'postbox';
import { queueArn, type SqsContext } from '../sqs-context';
import { sqsErrors } from '../sqs-error';
import { optionalString } from '../sqs-input';

/** What the three move-task actions share: ARNs, the task handle, a task in SQS's words. */

/** arn:aws:sqs:<region>:<account>:<queue> → queue; an ARN of another region or account names no queue here. */
export function queueOfArn(ctx: SqsContext, field: string, arn: string): string {
  const parts = arn.split(':');
  const name = parts[5];
  if (parts.length !== 6 || parts[0] !== 'arn' || parts[2] !== 'sqs' || !name) {
    throw sqsErrors.invalidParameterValue(
      `Value ${arn} for parameter ${field} is invalid. Reason: not an SQS queue ARN.`,
    );
  }
  if (parts[3] !== ctx.options.region || parts[4] !== ctx.options.accountId)
    throw sqsErrors.resourceNotFound(field, arn);
  return name;
}

export function optionalArn(ctx: SqsContext, input: Record<string, unknown>, field: string): string | undefined {
  const arn = optionalString(input, field);
  return arn === undefined || arn === '' ? undefined : queueOfArn(ctx, field, arn);
}

/** A names-limited key may only act on queues its glob covers (as the REST move route). */
export function requireAllowed(ctx: SqsContext, action: string, queues: readonly string[] | 'all'): void {
  const ok = queues === 'all' ? ctx.allowsEveryName(action) : queues.every((q) => ctx.allows(action, q));
  if (!ok) throw sqsErrors.accessDenied(action, queues === 'all' ? null : queues.join(','));
}

/** Unknown queues answer ResourceNotFoundException, as SQS does for these actions. */
export async function orNotFound<T>(ctx: SqsContext, field: (queue: string) => string, run: () => Promise<T>) {
  try {
    return await run();
  } catch (error) {
    if (error instanceof QueueNotFoundError)
      throw sqsErrors.resourceNotFound(field(error.queue), queueArn(ctx.options, error.queue));
    throw error;
  }
}

/**
 * The TaskHandle: opaque to clients, as SQS's (which is base64 JSON of the
 * task id and source ARN too): base64url of {taskId, sourceArn}.
 */
export function encodeTaskHandle(taskId: string, sourceArn: string): string {
  return Buffer.from(JSON.stringify({ taskId, sourceArn })).toString('base64url');
}

export function decodeTaskHandle(handle: string): { taskId: string; sourceArn: string } {
  try {
    const parsed = JSON.parse(Buffer.from(handle, 'base64url').toString('utf8'));
    if (typeof parsed?.taskId === 'string' && typeof parsed?.sourceArn === 'string') return parsed;
  } catch {
    // falls through to the error below
  }
  throw sqsErrors.invalidParameterValue(`Value ${handle} for parameter TaskHandle is invalid.`);
}

const STATUS: Record<TaskInfo['state'], string> = { running: 'RUNNING', completed: 'COMPLETED', failed: 'FAILED' };

/**
 * A task as a ListMessageMoveTasksResultEntry. CANCELLING/CANCELLED never
 * appear: the core cannot cancel a task. A running task's lastError is a
 * batch being retried, not a failure, so FailureReason is only for FAILED.
 */
export function toMoveTaskEntry(ctx: SqsContext, task: TaskInfo) {
  const sourceArn = queueArn(ctx.options, task.source);
  return {
    TaskHandle: task.state === 'running' ? encodeTaskHandle(task.id, sourceArn) : undefined,
    Status: STATUS[task.state],
    SourceArn: sourceArn,
    DestinationArn: task.destination === null ? undefined : queueArn(ctx.options, task.destination),
    MaxNumberOfMessagesPerSecond: task.maxPerSecond ?? undefined,
    ApproximateNumberOfMessagesMoved: task.moved,
    ApproximateNumberOfMessagesToMove: task.total,
    FailureReason: task.state === 'failed' ? (task.lastError ?? undefined) : undefined,
    StartedTimestamp: task.createdAt.getTime(),
  };
}
