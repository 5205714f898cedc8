import { requireQueue, type SqsContext } from '../sqs-context';
import { sqsErrors } from '../sqs-error';
import { optionalInt, requiredString, type SqsInput } from '../sqs-input';
import { receiptOf } from './delete-message';

export function visibilityTimeoutOf(input: SqsInput): number {
  const seconds = optionalInt(input, 'VisibilityTimeout', 0, 43_200);
  if (seconds === undefined) throw sqsErrors.missingParameter('VisibilityTimeout');
  return seconds * 1000;
}

export function notInFlight(handle: string) {
  return sqsErrors.invalidParameterValue(
    `Value ${handle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`,
  );
}

/**
 * ChangeMessageVisibility → postbox.extend (0 makes the message visible at
 * once). A receipt whose message is no longer in flight under it is SQS's
 * InvalidParameterValue ("not available for visibility timeout change").
 */
export async function changeMessageVisibility(ctx: SqsContext, input: SqsInput) {
  const name = requireQueue(ctx);
  const handle = requiredString(input, 'ReceiptHandle');
  const receipt = receiptOf(handle);
  const { extended } = await ctx.postbox.extend(name, [receipt], visibilityTimeoutOf(input));
  if (extended === 0) {
    await ctx.postbox.getQueue(name);
    throw notInFlight(handle);
  }
  return {};
}
