import { isFifoName, requireQueue, type SqsContext } from '../sqs-context';
import { sqsErrors } from '../sqs-error';
import { batchEntries, type SqsInput } from '../sqs-input';
import { type PreparedSend, prepareSend } from '../sqs-message';
import { readSendSettings } from '../sqs-queue-settings';
import { batchFailure } from './batch-failure';

/**
 * SendMessageBatch → one postbox.sendBatch for the valid entries (one
 * statement, all or nothing); an entry SQS would refuse is listed in Failed
 * and the others still go, as SQS does.
 */
export async function sendMessageBatch(ctx: SqsContext, input: SqsInput) {
  const name = requireQueue(ctx);
  const settings = await readSendSettings(ctx.postbox, name);
  const entries = batchEntries(input);
  const valid: { id: string; prepared: PreparedSend }[] = [];
  const failed: ReturnType<typeof batchFailure>[] = [];
  let total = 0;
  for (const entry of entries) {
    try {
      const prepared = prepareSend(name, entry, settings);
      total += Buffer.byteLength(prepared.message.body as string);
      valid.push({ id: entry.Id, prepared });
    } catch (error) {
      failed.push(batchFailure(entry.Id, error));
    }
  }
  if (total > settings.maximumMessageSize) throw sqsErrors.batchRequestTooLong(settings.maximumMessageSize);
  const successful: Record<string, unknown>[] = [];
  if (valid.length > 0) {
    const { ids } = await ctx.postbox.sendBatch(
      name,
      valid.map((v) => v.prepared.message),
    );
    valid.forEach(({ id, prepared }, i) => {
      const entry: Record<string, unknown> = {
        Id: id,
        MessageId: ids[i],
        MD5OfMessageBody: prepared.md5OfBody,
      };
      if (prepared.md5OfAttributes) entry.MD5OfMessageAttributes = prepared.md5OfAttributes;
      if (isFifoName(name)) entry.SequenceNumber = ids[i];
      successful.push(entry);
    });
  } else {
    await ctx.postbox.getQueue(name);
  }
  return { Successful: successful, Failed: failed };
}
