import type { ReceivedMessage } from '../../libs/core/src/messages/message';
import type { Postbox } from '../../libs/core/src/postbox';

/** Receives until `count` messages arrived (or the deadline), acking each batch. */
export async function drain(
  postbox: Postbox,
  queue: string,
  count: number,
  timeoutMs = 30_000,
): Promise<ReceivedMessage[]> {
  const got: ReceivedMessage[] = [];
  const deadline = Date.now() + timeoutMs;
  while (got.length < count && Date.now() < deadline) {
    const batch = await postbox.receive(queue, { max: 100, waitMs: 500 });
    if (batch.length > 0)
      await postbox.ack(
        queue,
        batch.map((m) => m.receipt),
      );
    got.push(...batch);
  }
  return got;
}
