import { TaskNotFoundError } from 'postbox';
import type { SqsContext } from '../sqs-context';
import { sqsErrors } from '../sqs-error';
import { requiredString, type SqsInput } from '../sqs-input';
import { decodeTaskHandle, queueOfArn, requireAllowed } from './message-move-task';

/**
 * CancelMessageMoveTask: UnsupportedOperation for a task that exists. The
 * core has no way to stop a task: its states are running, completed and
 * failed, the runner of any process re-leases a running task whose lease ran
 * out (tasks/task-runner.ts), and nothing marks one cancelled — a cancel here
 * would be undone by the next maintenance pass. The handle is still checked
 * (malformed: InvalidParameterValue; unknown: ResourceNotFoundException).
 */
export async function cancelMessageMoveTask(ctx: SqsContext, input: SqsInput): Promise<Record<string, unknown>> {
  const handle = requiredString(input, 'TaskHandle');
  const { taskId, sourceArn } = decodeTaskHandle(handle);
  const source = queueOfArn(ctx, 'TaskHandle', sourceArn);
  requireAllowed(ctx, 'CancelMessageMoveTask', [source]);
  try {
    await ctx.postbox.getTask(taskId);
  } catch (error) {
    if (error instanceof TaskNotFoundError) throw sqsErrors.resourceNotFound('TaskHandle', handle);
    throw error;
  }
  throw sqsErrors.unsupportedOperation(
    'CancelMessageMoveTask is not supported by Postbox: a move task cannot be cancelled (it runs to completion in ' +
      'committed batches of 1,000; messages already moved stay moved). ListMessageMoveTasks shows its progress.',
  );
}
