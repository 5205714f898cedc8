import type { ReceivedMessage } from 'postbox';
import { requireQueue, type SqsContext } from '../sqs-context';
import { optionalInt, type SqsInput, stringList } from '../sqs-input';
import { toSqsMessage } from '../sqs-message';
import { readSqsOnlySettings } from '../sqs-queue-settings';

/**
 * ReceiveMessage → postbox.receive: MaxNumberOfMessages ≤ 10, VisibilityTimeout
 * for this delivery, WaitTimeSeconds long-polls (woken by NOTIFY) up to 20 s
 * (the queue's ReceiveMessageWaitTimeSeconds when not given).
 */
export async function receiveMessage(ctx: SqsContext, input: SqsInput) {
  const name = requireQueue(ctx);
  const started = Date.now();
  const max = optionalInt(input, 'MaxNumberOfMessages', 1, 10) ?? 1;
  const visibility = optionalInt(input, 'VisibilityTimeout', 0, 43_200);
  const wait =
    optionalInt(input, 'WaitTimeSeconds', 0, 20) ??
    (await readSqsOnlySettings(ctx.postbox, name)).receiveMessageWaitTimeSeconds;
  const attributeNames = [...stringList(input, 'AttributeNames'), ...stringList(input, 'MessageSystemAttributeNames')];
  const messageAttributeNames = stringList(input, 'MessageAttributeNames');
  // The core's lease is at least 1 ms; SQS's 0 ("visible again at once") is 1 ms here.
  const options = { max, visibilityTimeoutMs: visibility === undefined ? undefined : Math.max(1, visibility * 1000) };
  let messages: ReceivedMessage[] = await ctx.postbox.receive(name, options);
  if (messages.length === 0) {
    await ctx.postbox.getQueue(name); // QueueDoesNotExist before waiting on it
    const waitMs = wait * 1000 - (Date.now() - started);
    if (waitMs > 0) {
      const poll = ctx.longPolls.start(ctx.res);
      messages = await ctx.postbox.receive(name, { ...options, waitMs, signal: poll.signal });
      if (poll.clientGone && messages.length > 0) {
        // Claimed after the client hung up: hand them back now rather than after the lease.
        await ctx.postbox.release(
          name,
          messages.map((m) => m.receipt),
        );
        messages = [];
      }
    }
  }
  if (messages.length === 0) return {};
  const shape = { attributeNames, messageAttributeNames, senderId: ctx.options.accountId, receivedAt: Date.now() };
  return { Messages: messages.map((m) => toSqsMessage(m, shape)) };
}
