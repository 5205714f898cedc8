import { cancelMessageMoveTask } from './actions/cancel-message-move-task';
import { changeMessageVisibility } from './actions/change-message-visibility';
import { changeMessageVisibilityBatch } from './actions/change-message-visibility-batch';
import { createQueue } from './actions/create-queue';
import { deleteMessage } from './actions/delete-message';
import { deleteMessageBatch } from './actions/delete-message-batch';
import { deleteQueue } from './actions/delete-queue';
import { getQueueAttributes } from './actions/get-queue-attributes';
import { getQueueUrl } from './actions/get-queue-url';
import { listDeadLetterSourceQueues } from './actions/list-dead-letter-source-queues';
import { listMessageMoveTasks } from './actions/list-message-move-tasks';
import { listQueues } from './actions/list-queues';
import { purgeQueue } from './actions/purge-queue';
import { receiveMessage } from './actions/receive-message';
import { sendMessage } from './actions/send-message';
import { sendMessageBatch } from './actions/send-message-batch';
import { setQueueAttributes } from './actions/set-queue-attributes';
import { startMessageMoveTask } from './actions/start-message-move-task';
import type { SqsContext } from './sqs-context';
import type { SqsInput } from './sqs-input';

export type SqsAction = (ctx: SqsContext, input: SqsInput) => Promise<Record<string, unknown>>;

/** Every SQS action the endpoint serves; any other is InvalidAction. */
export const SQS_ACTIONS: Record<string, SqsAction> = {
  CreateQueue: createQueue,
  GetQueueUrl: getQueueUrl,
  ListQueues: listQueues,
  DeleteQueue: deleteQueue,
  GetQueueAttributes: getQueueAttributes,
  SetQueueAttributes: setQueueAttributes,
  PurgeQueue: purgeQueue,
  SendMessage: sendMessage,
  SendMessageBatch: sendMessageBatch,
  ReceiveMessage: receiveMessage,
  DeleteMessage: deleteMessage,
  DeleteMessageBatch: deleteMessageBatch,
  ChangeMessageVisibility: changeMessageVisibility,
  ChangeMessageVisibilityBatch: changeMessageVisibilityBatch,
  ListDeadLetterSourceQueues: listDeadLetterSourceQueues,
  StartMessageMoveTask: startMessageMoveTask,
  ListMessageMoveTasks: listMessageMoveTasks,
  CancelMessageMoveTask: cancelMessageMoveTask,
};
