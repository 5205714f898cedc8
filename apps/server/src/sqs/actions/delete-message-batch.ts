import { requireQueue, type SqsContext } from '../sqs-context';
import { batchEntries, requiredString, type SqsInput } from '../sqs-input';
import { batchFailure } from './batch-failure';
import { receiptOf } from './delete-message';

/** DeleteMessageBatch → one postbox.ack for every well-formed receipt handle. */
export async function deleteMessageBatch(ctx: SqsContext, input: SqsInput) {
  const name = requireQueue(ctx);
  const valid: { id: string; receipt: string }[] = [];
  const failed: ReturnType<typeof batchFailure>[] = [];
  for (const entry of batchEntries(input)) {
    try {
      valid.push({ id: entry.Id, receipt: receiptOf(requiredString(entry, 'ReceiptHandle')) });
    } catch (error) {
      failed.push(batchFailure(entry.Id, error));
    }
  }
  const { acked } = await ctx.postbox.ack(
    name,
    valid.map((v) => v.receipt),
  );
  if (acked === 0) await ctx.postbox.getQueue(name);
  return { Successful: valid.map((v) => ({ Id: v.id })), Failed: failed };
}
