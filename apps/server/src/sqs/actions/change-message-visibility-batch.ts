import { requireQueue, type SqsContext } from '../sqs-context';
import { batchEntries, requiredString, type SqsInput } from '../sqs-input';
import { batchFailure } from './batch-failure';
import { notInFlight, visibilityTimeoutOf } from './change-message-visibility';
import { receiptOf } from './delete-message';

/** ChangeMessageVisibilityBatch → one postbox.extend per distinct VisibilityTimeout in the batch. */
export async function changeMessageVisibilityBatch(ctx: SqsContext, input: SqsInput) {
  const name = requireQueue(ctx);
  const byTimeout = new Map<number, { id: string; receipt: string }[]>();
  const failed: ReturnType<typeof batchFailure>[] = [];
  for (const entry of batchEntries(input)) {
    try {
      const receipt = receiptOf(requiredString(entry, 'ReceiptHandle'));
      const timeoutMs = visibilityTimeoutOf(entry);
      byTimeout.set(timeoutMs, [...(byTimeout.get(timeoutMs) ?? []), { id: entry.Id, receipt }]);
    } catch (error) {
      failed.push(batchFailure(entry.Id, error));
    }
  }
  const successful: { Id: string }[] = [];
  for (const [timeoutMs, group] of byTimeout) {
    const { stale } = await ctx.postbox.extend(
      name,
      group.map((g) => g.receipt),
      timeoutMs,
    );
    const staleSet = new Set(stale);
    for (const { id, receipt } of group) {
      if (staleSet.has(receipt)) failed.push(batchFailure(id, notInFlight(receipt)));
      else successful.push({ Id: id });
    }
  }
  if (successful.length === 0) await ctx.postbox.getQueue(name);
  return { Successful: successful, Failed: failed };
}
