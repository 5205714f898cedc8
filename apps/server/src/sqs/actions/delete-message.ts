import { parseReceipt } from 'postbox';
import { requireQueue, type SqsContext } from '../sqs-context';
import { sqsErrors } from '../sqs-error';
import { requiredString, type SqsInput } from '../sqs-input';

/** A receipt handle as the core's receipt; one that never was a receipt is ReceiptHandleIsInvalid. */
export function receiptOf(handle: string): string {
  try {
    parseReceipt(handle);
  } catch {
    throw sqsErrors.receiptHandleIsInvalid(handle);
  }
  return handle;
}

/**
 * DeleteMessage → postbox.ack. A receipt whose lease expired (or whose
 * message is gone) deletes nothing and still succeeds, as in SQS.
 */
export async function deleteMessage(ctx: SqsContext, input: SqsInput) {
  const name = requireQueue(ctx);
  const receipt = receiptOf(requiredString(input, 'ReceiptHandle'));
  const { acked } = await ctx.postbox.ack(name, [receipt]);
  if (acked === 0) await ctx.postbox.getQueue(name);
  return {};
}
