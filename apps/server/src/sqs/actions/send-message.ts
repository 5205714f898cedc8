import { isFifoName, requireQueue, type SqsContext } from '../sqs-context';
import type { SqsInput } from '../sqs-input';
import { prepareSend } from '../sqs-message';
import { readSendSettings } from '../sqs-queue-settings';

/** SendMessage → postbox.send (a FIFO duplicate answers the original's MessageId, as SQS). */
export async function sendMessage(ctx: SqsContext, input: SqsInput) {
  const name = requireQueue(ctx);
  const prepared = prepareSend(name, input, await readSendSettings(ctx.postbox, name));
  const { id } = await ctx.postbox.send(name, prepared.message);
  const result: Record<string, unknown> = { MessageId: id, MD5OfMessageBody: prepared.md5OfBody };
  if (prepared.md5OfAttributes) result.MD5OfMessageAttributes = prepared.md5OfAttributes;
  if (isFifoName(name)) result.SequenceNumber = id;
  return result;
}
