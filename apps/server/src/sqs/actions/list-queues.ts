import { queueUrl, type SqsContext } from '../sqs-context';
import { optionalInt, optionalString, type SqsInput } from '../sqs-input';

/**
 * ListQueues → postbox.listQueues, filtered by QueueNamePrefix and by what
 * the caller's key may see; MaxResults pages with NextToken (the last name
 * of the page before).
 */
export async function listQueues(ctx: SqsContext, input: SqsInput) {
  const prefix = optionalString(input, 'QueueNamePrefix') ?? '';
  const maxResults = optionalInt(input, 'MaxResults', 1, 1000);
  const after = optionalString(input, 'NextToken');
  const names = (await ctx.postbox.listQueues())
    .map((q) => q.name)
    .filter((name) => name.startsWith(prefix) && ctx.allows('ListQueues', name))
    .filter((name) => after === undefined || name > after);
  // Without MaxResults SQS answers at most 1000 queues.
  const page = names.slice(0, maxResults ?? 1000);
  const result: Record<string, unknown> = {};
  if (page.length > 0) result.QueueUrls = page.map((name) => queueUrl(ctx, name));
  if (maxResults !== undefined && names.length > page.length) result.NextToken = page[page.length - 1];
  return result;
}
