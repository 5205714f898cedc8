import { requireQueue, type SqsContext } from '../sqs-context';
import { sqsErrors } from '../sqs-error';

/** PurgeQueue: the core has no purge operation yet, so this answers UnsupportedOperation (for an existing queue). */
export async function purgeQueue(ctx: SqsContext): Promise<Record<string, unknown>> {
  await ctx.postbox.getQueue(requireQueue(ctx));
  throw sqsErrors.unsupportedOperation('PurgeQueue is not supported yet by Postbox.');
}
