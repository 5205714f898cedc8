import { performance } from 'node:perf_hooks';
import type { ConsumeOptions } from 'postbox';
import { Postbox } from 'postbox';

/**
 * One consumer process of the scaling workload (scaling.ts forks 1, 2 or 4
 * of these): a user's worker as the README shows it — its own Postbox (pool
 * 10) and `consume(queue, handler, { concurrency: 10 })` with a handler that
 * only counts, `claimMode: 'lock'` when asked. It connects first and says
 * `ready`; the parent sends `go` to all at once, so no process gets a head
 * start while the others are still loading. Progress goes back every 100 ms;
 * `stop` stops the consumer (its last acks flushed), reports and exits.
 *
 * Times are epoch milliseconds (timeOrigin + now()), comparable across the
 * processes of one machine.
 */
export type ScalingChildMessage =
  | { type: 'ready' }
  | { type: 'progress'; handled: number; first: number; last: number }
  | { type: 'done'; handled: number; first: number; last: number }
  | { type: 'failed'; error: string };

const url = process.env.SCALING_URL as string;
const queue = process.env.SCALING_QUEUE as string;
const claimMode = process.env.SCALING_CLAIM_MODE === 'lock' ? 'lock' : undefined;
const epoch = () => performance.timeOrigin + performance.now();
const send = (message: ScalingChildMessage) => process.send?.(message);

async function main(): Promise<void> {
  const postbox = await Postbox.create({ connectionString: url });
  let handled = 0;
  let first = 0;
  let last = 0;
  send({ type: 'ready' });
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  const options: ConsumeOptions = claimMode ? { concurrency: 10, claimMode } : { concurrency: 10 };
  const consumer = await postbox.consume(
    queue,
    () => {
      last = epoch();
      if (handled++ === 0) first = last;
    },
    { ...options, onError: (error) => send({ type: 'failed', error: String(error) }) },
  );
  const progress = setInterval(() => send({ type: 'progress', handled, first, last }), 100);
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  clearInterval(progress);
  await consumer.stop();
  await postbox.close();
  send({ type: 'done', handled, first, last });
  process.disconnect?.();
}

main().catch((error) => {
  send({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exitCode = 1;
  process.disconnect?.();
});
